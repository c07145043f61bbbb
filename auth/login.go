package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Opener opens url in the user's browser (platform.OpenURL in the app). It
// should start the browser and return; Login cancels ctx when the sign-in
// ends and waits for Opener to return. An error ends the sign-in, so an
// opener that can show the URL some other way should do so and return nil.
type Opener func(ctx context.Context, url string) error

// LoginOptions adjusts one sign-in.
type LoginOptions struct {
	// Open opens the authorization URL in a browser. Required.
	Open Opener
	// LoginHint pre-selects an account on Google's chooser (signing in
	// again as a known account).
	LoginHint string
	// Workforce, if set, signs in with a workforce identity pool instead
	// of a Google account (gcloud auth login --login-config): the browser
	// goes to the login config's auth_url, the code is exchanged at its
	// token_url (STS) and the principal read at its token_info_url.
	Workforce *LoginConfig
}

// Login runs the OAuth installed-app flow: a redirect listener on a random
// 127.0.0.1 port, PKCE (S256) and a random state, the consent page in the
// system browser, and a page back in the browser saying how it went. On
// success the refresh token is in the Store and the account is active.
//
// Errors wrap ErrNoClientID, ErrAccessDenied, ErrStateMismatch,
// ErrScopeNotGranted, ErrBadTokenResponse, ErrNoKeyring, ErrLoginTimeout
// (after Config.LoginTimeout) or ctx's error when ctx is cancelled.
func (m *Manager) Login(ctx context.Context, opt LoginOptions) (Account, error) {
	if m.cfg.ClientID == "" {
		return Account{}, ErrNoClientID
	}
	if opt.Open == nil {
		return Account{}, errors.New("sign in: LoginOptions.Open is nil")
	}
	// Check the keyring before the user spends a minute in the browser: a
	// locked one may prompt now, a missing one fails now.
	probe := opt.LoginHint
	if probe == "" {
		probe = "keyring-check@iapdesk.invalid"
	}
	if _, err := m.store.Get(ctx, strings.ToLower(probe)); err != nil && !errors.Is(err, ErrNotStored) {
		return Account{}, fmt.Errorf("sign in: %w", err)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, m.cfg.LoginTimeout, ErrLoginTimeout)
	defer cancel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Account{}, fmt.Errorf("sign in: listen for the browser on 127.0.0.1: %w", err)
	}
	redirect := fmt.Sprintf("http://127.0.0.1:%d/", ln.Addr().(*net.TCPAddr).Port)
	oc := m.oauthConfig(redirect)
	verifier := oauth2.GenerateVerifier()
	state := randomState()
	opts := []oauth2.AuthCodeOption{
		oauth2.AccessTypeOffline,
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("prompt", "consent"), // always return a refresh token
	}
	if opt.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", opt.LoginHint))
	}
	if opt.Workforce != nil {
		oc, opts = m.workforceAuth(*opt.Workforce, redirect, verifier)
	}
	authURL := oc.AuthCodeURL(state, opts...)

	rcv := &receiver{callbacks: make(chan callback), done: make(chan struct{})}
	srv := &http.Server{
		Handler:           rcv,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelDebug),
	}
	openCtx, cancelOpen := context.WithCancel(ctx)
	openErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) }) // Serve closes ln
	wg.Go(func() { openErr <- opt.Open(openCtx, authURL) })
	defer func() {
		close(rcv.done) // late redirects get "already finished"
		cancelOpen()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(sctx) // lets the final page finish writing
		scancel()
		_ = srv.Close()
		wg.Wait()
	}()
	m.log.Info("sign-in started", slog.String("redirect_uri", redirect))

	for {
		select {
		case err := <-openErr:
			openErr = nil // received once; a nil channel is never ready
			if err != nil {
				return Account{}, fmt.Errorf("sign in: open the browser: %w", err)
			}
		case cb := <-rcv.callbacks:
			finish := m.finishLogin
			if opt.Workforce != nil {
				finish = m.finishWorkforce(*opt.Workforce)
			}
			acct, err := finish(ctx, oc, state, verifier, cb.query)
			cb.reply <- result{acct: acct, err: err}
			if err != nil {
				return Account{}, fmt.Errorf("sign in: %w", err)
			}
			return acct, nil
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), ErrLoginTimeout) {
				return Account{}, fmt.Errorf("sign in: no answer from the browser within %v: %w", m.cfg.LoginTimeout, ErrLoginTimeout)
			}
			return Account{}, fmt.Errorf("sign in: %w", ctx.Err())
		}
	}
}

// oauthConfig is the OAuth client with redirect as its redirect URI.
func (m *Manager) oauthConfig(redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     m.oauth.ClientID,
		ClientSecret: m.oauth.ClientSecret,
		Endpoint:     m.oauth.Endpoint,
		Scopes:       m.oauth.Scopes,
		RedirectURL:  redirect,
	}
}

// finishLogin checks the redirect, exchanges the code and records the
// account.
func (m *Manager) finishLogin(ctx context.Context, oc *oauth2.Config, state, verifier string, q url.Values) (Account, error) {
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return Account{}, ErrStateMismatch
	}
	if e := q.Get("error"); e != "" {
		// access_denied matches ErrAccessDenied.
		return Account{}, &OAuthError{Op: "authorization", Code: e, Description: q.Get("error_description")}
	}
	code := q.Get("code")
	if code == "" {
		return Account{}, errors.New("redirect without an authorization code")
	}
	hctx := context.WithValue(ctx, oauth2.HTTPClient, m.cfg.HTTPClient)
	tok, err := oc.Exchange(hctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Account{}, classifyTokenErr("exchange authorization code", oc.Endpoint.TokenURL, err)
	}
	fixExpiry(tok, m.cfg.Now)
	if tok.RefreshToken == "" {
		return Account{}, fmt.Errorf("token endpoint %s returned no refresh token: %w", oc.Endpoint.TokenURL, ErrBadTokenResponse)
	}
	if scope, _ := tok.Extra("scope").(string); scope != "" && !slices.Contains(strings.Fields(scope), ScopeCloudPlatform) {
		return Account{}, ErrScopeNotGranted
	}
	idTok, _ := tok.Extra("id_token").(string)
	email, err := emailFromIDToken(idTok, oc.ClientID)
	if err != nil {
		return Account{}, fmt.Errorf("read the account from the ID token: %v: %w", err, ErrBadTokenResponse)
	}
	if email == "" {
		if email, err = m.userinfoEmail(ctx, tok.AccessToken); err != nil {
			return Account{}, err
		}
	}
	email = strings.ToLower(email)

	now := m.cfg.Now()
	if err := m.keep(ctx, accountEntry{Email: email, AddedAt: now.UTC()}, tok); err != nil {
		return Account{}, err
	}
	m.log.Info("signed in", slog.String("account", email))
	return Account{Email: email, Active: true, AddedAt: now.UTC()}, nil
}

// keep stores a new sign-in: its refresh token in the keyring, e in the
// accounts file as the active account (replacing an entry of the same
// name), and tok as its first access token.
func (m *Manager) keep(ctx context.Context, e accountEntry, tok *oauth2.Token) error {
	if err := m.store.Set(ctx, e.Email, tok.RefreshToken); err != nil {
		return fmt.Errorf("keep the sign-in of %s: %w", e.Email, err)
	}
	err := m.db.update(ctx, func(st *accountState) error {
		if i := st.find(e.Email); i >= 0 {
			st.Accounts[i] = e
		} else {
			st.Accounts = append(st.Accounts, e)
		}
		st.Active = e.Email
		return nil
	})
	if err != nil {
		return err
	}
	src := m.source(e.Email)
	src.setRefresh(tok.RefreshToken)
	src.cache.prime(tok)
	return nil
}

// randomState is an unguessable state value (256 bits).
func randomState() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// receiver serves the redirect URI. Each redirect is handed to Login, which
// answers with the outcome; the handler then shows the page.
type receiver struct {
	callbacks chan callback // unbuffered: Login takes at most one
	done      chan struct{} // closed when Login returns
}

type callback struct {
	query url.Values
	reply chan<- result // buffered (1): Login never blocks replying
}

type result struct {
	acct Account
	err  error
}

func (rcv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if !q.Has("state") && !q.Has("code") && !q.Has("error") {
		writePage(w, http.StatusBadRequest, pageFailure,
			"This address finishes an iapdesk sign-in. Start the sign-in from iapdesk.")
		return
	}
	reply := make(chan result, 1)
	select {
	case rcv.callbacks <- callback{query: q, reply: reply}:
	case <-rcv.done:
		writePage(w, http.StatusGone, pageFailure, "This sign-in has already finished. Return to iapdesk.")
		return
	case <-r.Context().Done():
		return
	}
	select {
	case res := <-reply:
		if res.err != nil {
			// The error states what went wrong; iapdesk says what to do.
			writePage(w, http.StatusBadRequest, pageFailure, "Sign-in failed: "+res.err.Error()+". Return to iapdesk.")
			return
		}
		writePage(w, http.StatusOK, pageSuccess, "Signed in to iapdesk as "+res.acct.Email+
			". You can close this tab and return to iapdesk.")
	case <-r.Context().Done():
	}
}
