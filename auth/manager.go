package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/oauth2"
)

// Manager signs accounts in and out and hands out their tokens. Refresh
// tokens live in the Store, the account list in ConfigDir/accounts.json,
// access tokens only in memory. A Manager is safe for concurrent use; one per
// process is enough, and sharing it is what makes all tunnels of an account
// share one cached access token.
type Manager struct {
	cfg    Config
	oauth  *oauth2.Config
	store  Store
	db     *accountDB
	log    *slog.Logger
	memory bool // IAPDESK_KEYRING=memory: nothing is persisted

	// findADC looks up Application Default Credentials; tests replace it so
	// they never probe the real metadata server.
	findADC adcFinder

	mu      sync.Mutex                // guards sources
	sources map[string]*accountSource // by lower-case email
}

// New returns a Manager for cfg; see Config for the defaults. It does not
// touch the keyring or the network.
func New(cfg Config) (*Manager, error) {
	cfg, memory, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("configure sign-in: %w", err)
	}
	m := &Manager{
		cfg: cfg,
		oauth: &oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint: oauth2.Endpoint{
				AuthURL:   cfg.Endpoints.AuthURL,
				TokenURL:  cfg.Endpoints.TokenURL,
				AuthStyle: oauth2.AuthStyleInParams,
			},
			Scopes: Scopes,
		},
		store:   cfg.Store,
		db:      &accountDB{dir: cfg.ConfigDir},
		log:     cfg.Logger,
		memory:  memory,
		findADC: defaultFindADC,
		sources: map[string]*accountSource{},
	}
	if memory {
		m.db.dir = "" // "memory only" covers the account list too
	}
	return m, nil
}

// LogValue implements slog.LogValuer: the Manager holds the client secret.
func (m *Manager) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// Accounts lists the signed-in accounts, sorted by email.
func (m *Manager) Accounts(ctx context.Context) ([]Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := m.db.load()
	if err != nil {
		return nil, err
	}
	return st.list(), nil
}

// Active returns the active account, or ErrNotSignedIn.
func (m *Manager) Active(ctx context.Context) (Account, error) {
	accts, err := m.Accounts(ctx)
	if err != nil {
		return Account{}, err
	}
	for _, a := range accts {
		if a.Active {
			return a, nil
		}
	}
	return Account{}, ErrNotSignedIn
}

// SetActive makes email the active account.
func (m *Manager) SetActive(ctx context.Context, email string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := m.db.update(ctx, func(st *accountState) error {
		i := st.find(email)
		if i < 0 {
			return fmt.Errorf("switch to %s: %w", email, ErrUnknownAccount)
		}
		st.Active = st.Accounts[i].Email
		return nil
	})
	if err != nil {
		return err
	}
	m.log.Info("active account changed", slog.String("account", accountKey(email)))
	return nil
}

// TokenSource returns the access token source of a signed-in account. All
// callers for one account share a source: one cached token, refreshed 60 s
// (Config.RefreshEarly) before it expires, one refresh for any number of
// concurrent callers. When Google rejects the refresh token, Token returns an
// error wrapping ErrSignInRequired and the account is marked SignInRequired.
func (m *Manager) TokenSource(ctx context.Context, email string) (oauth2.TokenSource, error) {
	email = accountKey(email)
	st, err := m.db.load()
	if err != nil {
		return nil, err
	}
	i := st.find(email)
	if i < 0 {
		return nil, fmt.Errorf("account %s: %w", email, ErrUnknownAccount)
	}
	if st.Accounts[i].SignInRequired {
		return nil, fmt.Errorf("account %s: %w", email, ErrSignInRequired)
	}
	src := m.source(email)
	if _, err := src.refreshToken(ctx); err != nil {
		return nil, err
	}
	return src, nil
}

// source returns the shared source for email, creating it.
func (m *Manager) source(email string) *accountSource {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.sources[email]; ok {
		return s
	}
	s := &accountSource{m: m, email: email}
	s.cache = &cachedSource{fetch: s.fetch, early: m.cfg.RefreshEarly, now: m.cfg.Now}
	m.sources[email] = s
	return s
}

// Revoke signs email out: it revokes the refresh token at the revoke
// endpoint, deletes it from the Store and removes the account from the list.
// If the account was active, none is active afterwards (as with gcloud). When
// only the remote revocation fails (offline), the account is still removed
// here and the error wraps ErrNotRevoked.
func (m *Manager) Revoke(ctx context.Context, email string) error {
	email = accountKey(email)
	st, err := m.db.load()
	if err != nil {
		return err
	}
	if st.find(email) < 0 {
		return fmt.Errorf("sign out %s: %w", email, ErrUnknownAccount)
	}
	var remoteErr error
	rt, err := m.store.Get(ctx, email)
	switch {
	case err == nil && st.Accounts[st.find(email)].Workforce != nil:
		// A workforce login config names no revoke endpoint: the grant
		// ends with its refresh token here.
	case err == nil:
		remoteErr = m.revokeRemote(ctx, rt)
	case errors.Is(err, ErrNotStored):
		// Nothing to revoke: already expired, or signed in on another machine.
	default:
		return fmt.Errorf("sign out %s: %w", email, err)
	}
	if err := m.store.Delete(ctx, email); err != nil && !errors.Is(err, ErrNotStored) {
		return fmt.Errorf("sign out %s: %w", email, err)
	}
	m.mu.Lock()
	src := m.sources[email]
	delete(m.sources, email)
	m.mu.Unlock()
	if src != nil {
		src.forget() // tunnels still holding it now get ErrSignInRequired
	}
	err = m.db.update(ctx, func(st *accountState) error {
		if i := st.find(email); i >= 0 {
			st.Accounts = append(st.Accounts[:i], st.Accounts[i+1:]...)
		}
		if strings.EqualFold(st.Active, email) {
			st.Active = ""
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sign out %s: %w", email, err)
	}
	m.log.Info("signed out", slog.String("account", email), slog.Bool("revoked", remoteErr == nil))
	if remoteErr != nil {
		return fmt.Errorf("sign out %s: removed here: %w: %w", email, ErrNotRevoked, remoteErr)
	}
	return nil
}

// revokeRemote revokes token at the revoke endpoint. The token goes in the
// form body, never the URL, so it cannot leak through an error message. An
// already invalid token counts as revoked.
func (m *Manager) revokeRemote(ctx context.Context, token string) error {
	form := url.Values{"token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.cfg.Endpoints.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revoke at %s: %w", m.cfg.Endpoints.RevokeURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := m.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("revoke at %s: %w", m.cfg.Endpoints.RevokeURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode == http.StatusBadRequest && e.Error == "invalid_token" {
		return nil
	}
	return &OAuthError{Op: "revoke", URL: m.cfg.Endpoints.RevokeURL, StatusCode: resp.StatusCode, Status: resp.Status,
		Code: e.Error, Description: e.Description}
}

// accountSource is the shared token source of one account. It keeps the
// refresh token in memory once read from the Store.
type accountSource struct {
	m     *Manager
	email string
	cache *cachedSource

	mu      sync.Mutex // guards refresh
	refresh string     // cached refresh token; "" means read the Store
}

var _ oauth2.TokenSource = (*accountSource)(nil)

// Token implements oauth2.TokenSource.
func (s *accountSource) Token() (*oauth2.Token, error) { return s.cache.Token() }

// LogValue implements slog.LogValuer: the source holds a refresh token.
func (s *accountSource) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// refreshToken returns the account's refresh token, reading the Store when
// none is cached. A missing one means the user must sign in again.
func (s *accountSource) refreshToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	rt := s.refresh
	s.mu.Unlock()
	if rt != "" {
		return rt, nil
	}
	rt, err := s.m.store.Get(ctx, s.email)
	if errors.Is(err, ErrNotStored) {
		return "", fmt.Errorf("account %s: %w", s.email, ErrSignInRequired)
	}
	if err != nil {
		return "", fmt.Errorf("account %s: %w", s.email, err)
	}
	s.mu.Lock()
	s.refresh = rt
	s.mu.Unlock()
	return rt, nil
}

// setRefresh installs a new refresh token (after a sign-in) and drops the
// cached access token.
func (s *accountSource) setRefresh(rt string) {
	s.mu.Lock()
	s.refresh = rt
	s.mu.Unlock()
	s.cache.reset()
}

// forget drops both tokens; the next Token reads the Store again.
func (s *accountSource) forget() { s.setRefresh("") }

// fetch gets a new access token; cachedSource calls it once per refresh.
func (s *accountSource) fetch(ctx context.Context) (*oauth2.Token, error) {
	rt, err := s.refreshToken(ctx)
	if err != nil {
		return nil, err
	}
	var tok *oauth2.Token
	if wf := s.m.workforceConfig(s.email); wf != nil {
		tok, err = s.m.refreshWorkforce(ctx, *wf, rt)
	} else {
		tok, err = refreshAccessToken(ctx, s.m.oauth, s.m.cfg.HTTPClient, rt, s.m.cfg.Now)
	}
	if errors.Is(err, ErrSignInRequired) {
		s.m.markSignInRequired(ctx, s.email, rt)
		s.forget()
		return nil, fmt.Errorf("account %s: %w", s.email, err)
	}
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", s.email, err)
	}
	if tok.RefreshToken != "" && tok.RefreshToken != rt {
		// Google rotated the refresh token: keep the new one.
		if err := s.m.store.Set(ctx, s.email, tok.RefreshToken); err != nil {
			return nil, fmt.Errorf("account %s: keep rotated refresh token: %w", s.email, err)
		}
		s.setRefresh(tok.RefreshToken)
	}
	logToken(s.m.log, "access token refreshed", s.email, tok, s.m.cfg.Now())
	return tok, nil
}

// markSignInRequired records that Google rejected rt: the dead token leaves
// the Store (unless a new sign-in already replaced it) and the account is
// flagged, so every process sees "sign in again" without asking Google.
func (m *Manager) markSignInRequired(ctx context.Context, email, rt string) {
	cur, err := m.store.Get(ctx, email)
	if err == nil && cur != rt {
		return // a new sign-in replaced the token meanwhile
	}
	if err == nil {
		_ = m.store.Delete(ctx, email) // best effort: the flag below is what callers see
	}
	_ = m.db.update(ctx, func(st *accountState) error {
		if i := st.find(email); i >= 0 {
			st.Accounts[i].SignInRequired = true
		}
		return nil
	})
	m.log.Info("account needs to sign in again", slog.String("account", email))
}
