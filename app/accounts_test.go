package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"iapdesk/app"
	"iapdesk/auth"
	"iapdesk/auth/authtest"
)

// accountsEnv is the account use case over a real auth.Manager talking to
// the fake Google, with an in-memory keyring and a private config dir.
type accountsEnv struct {
	srv    *authtest.Server
	m      *auth.Manager
	wg     sync.WaitGroup // browser visits
	shown  []string       // URLs passed to ShowURL
	mu     sync.Mutex     // guards shown
	broken bool           // OpenURL fails, like xdg-open without a desktop
}

func newAccountsEnv(t *testing.T) (*accountsEnv, *app.Accounts) {
	t.Helper()
	e := &accountsEnv{srv: authtest.NewServer()}
	t.Cleanup(e.srv.Close)
	t.Cleanup(e.wg.Wait)
	m, err := auth.New(auth.Config{
		ClientID:     e.srv.ClientID,
		ClientSecret: e.srv.ClientSecret,
		Endpoints:    e.srv.Endpoints(),
		ConfigDir:    t.TempDir(),
		Store:        authtest.NewMemStore(),
		HTTPClient:   e.srv.Client(),
		LoginTimeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	uc, err := app.NewAccounts(app.AccountsConfig{
		SignIn: m, Directory: m, Credentials: m, Tokens: m,
		OpenURL: e.openURL,
		ShowURL: func(u string) { e.mu.Lock(); e.shown = append(e.shown, u); e.mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, uc
}

// openURL is a browser that returns at once and visits in the background,
// or fails when broken (then the "user" opens the shown URL by hand).
func (e *accountsEnv) openURL(_ context.Context, u string) error {
	if e.broken {
		e.visit(u)
		return errors.New("xdg-open: no method available for opening the URL")
	}
	e.visit(u)
	return nil
}

func (e *accountsEnv) visit(u string) {
	e.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, _, _ = authtest.Visit(ctx, u)
	})
}

func names(accts []auth.Account) []string {
	var out []string
	for _, a := range accts {
		n := a.Email
		if a.Active {
			n = "*" + n
		}
		out = append(out, n)
	}
	return out
}

func TestAccountsLifecycle(t *testing.T) {
	e, uc := newAccountsEnv(t)
	ctx := context.Background()
	for _, who := range []string{"alice@example.com", "bob@example.com"} {
		e.srv.SetEmail(who)
		acct, err := uc.SignIn(ctx, "")
		if err != nil {
			t.Fatalf("SignIn(%s) error = %v", who, err)
		}
		if acct.Email != who {
			t.Errorf("SignIn() = %q, want %q", acct.Email, who)
		}
	}
	if len(e.shown) != 2 || !strings.Contains(e.shown[0], "code_challenge=") {
		t.Errorf("ShowURL got %q, want the two authorization URLs", e.shown)
	}

	accts, err := uc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(accts), []string{"alice@example.com", "*bob@example.com"}; !slices.Equal(got, want) {
		t.Errorf("List() = %q, want %q", got, want)
	}
	if err := uc.Switch(ctx, "alice@example.com"); err != nil {
		t.Fatalf("Switch(alice) error = %v", err)
	}

	tok, d, err := uc.AccessToken(ctx, "")
	if err != nil {
		t.Fatalf("AccessToken(\"\") error = %v", err)
	}
	if d.Kind != auth.SourceAccount || d.Account != "alice@example.com" {
		t.Errorf("AccessToken(\"\") used %v, want account alice@example.com", d)
	}
	if who, ok := e.srv.CheckAccessToken(tok); !ok || who != "alice@example.com" {
		t.Errorf("AccessToken(\"\") token belongs to %q (valid %v), want alice", who, ok)
	}
	tok, _, err = uc.AccessToken(ctx, "bob@example.com")
	if err != nil {
		t.Fatalf("AccessToken(bob) error = %v", err)
	}
	if who, _ := e.srv.CheckAccessToken(tok); who != "bob@example.com" {
		t.Errorf("AccessToken(bob) token belongs to %q", who)
	}

	out, err := uc.SignOut(ctx, "")
	if err != nil || out != "alice@example.com" {
		t.Fatalf("SignOut(\"\") = %q, %v; want alice@example.com", out, err)
	}
	if _, err := uc.SignOut(ctx, ""); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Errorf("SignOut(\"\") with no active account: error = %v, want ErrNotSignedIn", err)
	}
	done, err := uc.SignOutAll(ctx)
	if err != nil || !slices.Equal(done, []string{"bob@example.com"}) {
		t.Errorf("SignOutAll() = %q, %v; want [bob@example.com]", done, err)
	}
	if got := e.srv.Revocations(); got != 2 {
		t.Errorf("revocations at Google = %d, want 2", got)
	}
	if accts, _ := uc.List(ctx); len(accts) != 0 {
		t.Errorf("List() after signing out = %q, want none", names(accts))
	}
}

// TestAccountsBrowserDoesNotOpen: xdg-open fails, the URL is on screen and
// the user opens it by hand; the sign-in still completes.
func TestAccountsBrowserDoesNotOpen(t *testing.T) {
	e, uc := newAccountsEnv(t)
	e.broken = true
	acct, err := uc.SignIn(context.Background(), "hint@example.com")
	if err != nil {
		t.Fatalf("SignIn() with a broken opener: error = %v", err)
	}
	if acct.Email != "hint@example.com" {
		t.Errorf("SignIn() = %q, want hint@example.com (the login hint)", acct.Email)
	}
}

func TestAccountsNoWayToShowURL(t *testing.T) {
	e, _ := newAccountsEnv(t)
	uc, err := app.NewAccounts(app.AccountsConfig{SignIn: e.m, Directory: e.m, Credentials: e.m, Tokens: e.m})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uc.SignIn(context.Background(), ""); err == nil {
		t.Error("SignIn() with neither OpenURL nor ShowURL: error = nil")
	}
}

// fakeAuth fails every call with err.
type fakeAuth struct{ err error }

func (f fakeAuth) Login(context.Context, auth.LoginOptions) (auth.Account, error) {
	return auth.Account{}, f.err
}
func (f fakeAuth) Accounts(context.Context) ([]auth.Account, error) { return nil, f.err }
func (f fakeAuth) SetActive(context.Context, string) error          { return f.err }
func (f fakeAuth) Revoke(context.Context, string) error             { return f.err }
func (f fakeAuth) Resolve(context.Context) (oauth2.TokenSource, auth.Description, error) {
	return nil, auth.Description{}, f.err
}
func (f fakeAuth) TokenSource(context.Context, string) (oauth2.TokenSource, error) {
	return nil, f.err
}

// TestAccountErrors: every auth failure becomes a *UserError with a cause
// and a fix, and keeps the sentinel for errors.Is.
func TestAccountErrors(t *testing.T) {
	tests := []struct {
		err     error
		wantFix string
		alsoIs  error
	}{
		{auth.ErrNoClientID, auth.EnvClientID, nil},
		{&auth.KeyringError{Err: errors.New("locked")}, auth.EnvKeyring + "=memory", auth.ErrNoKeyring},
		{fmt.Errorf("account a: %w", auth.ErrSignInRequired), "Sign in again", app.ErrUnauthenticated},
		{auth.ErrAccessDenied, "Allow", nil},
		{auth.ErrScopeNotGranted, "tick", nil},
		{auth.ErrStateMismatch, "again", nil},
		{fmt.Errorf("sign in: %w", auth.ErrLoginTimeout), "open the address", nil},
		{auth.ErrBadTokenResponse, "proxy", nil},
		{auth.ErrNoCredentials, "application-default login", nil},
		{auth.ErrNotSignedIn, "auth switch", nil},
		{auth.ErrUnknownAccount, "auth list", nil},
		{auth.ErrNoToken, "print-access-token", nil},
		{fmt.Errorf("sign out a: removed here: %w: %w", auth.ErrNotRevoked, errors.New("dial tcp: refused")), "myaccount.google.com/permissions", nil},
		{&auth.ADCError{Err: &auth.OAuthError{Op: "refresh access token", Code: "invalid_grant"}}, "gcloud auth application-default login", auth.ErrSignInRequired},
		{&auth.ADCError{Err: errors.New("metadata: not on GCE")}, "GOOGLE_APPLICATION_CREDENTIALS", nil},
		{&auth.OAuthError{Op: "exchange authorization code", StatusCode: 401, Code: "invalid_client"}, auth.EnvClientSecret, nil},
		{&auth.OAuthError{Op: "authorization", Code: "access_denied"}, "Allow", auth.ErrAccessDenied},
		{&auth.OAuthError{Op: "revoke", StatusCode: 500}, "Retry", nil},
		{&auth.CorruptAccountsError{Path: "/c/accounts.json", Err: errors.New("unexpected end of JSON input")}, "Delete /c/accounts.json", auth.ErrAccountsCorrupt},
		{fmt.Errorf("read account list /c/accounts.json: version 2: %w", auth.ErrAccountsTooNew), "upgrade", nil},
	}
	for _, tc := range tests {
		t.Run(tc.err.Error()[:min(30, len(tc.err.Error()))], func(t *testing.T) {
			f := fakeAuth{tc.err}
			uc, err := app.NewAccounts(app.AccountsConfig{SignIn: f, Directory: f, Credentials: f, Tokens: f, ShowURL: func(string) {}})
			if err != nil {
				t.Fatal(err)
			}
			calls := map[string]error{}
			_, calls["SignIn"] = uc.SignIn(context.Background(), "")
			_, calls["List"] = uc.List(context.Background())
			calls["Switch"] = uc.Switch(context.Background(), "a@example.com")
			_, _, calls["TokenSource"] = uc.TokenSource(context.Background())
			_, _, calls["AccessToken"] = uc.AccessToken(context.Background(), "a@example.com")
			for name, got := range calls {
				var ue *app.UserError
				if !errors.As(got, &ue) {
					t.Fatalf("%s() error = %v, want a *UserError", name, got)
				}
				if ue.What == "" || ue.Why == "" || !strings.Contains(ue.Fix, tc.wantFix) {
					t.Errorf("%s() = %+v, want What, Why and a Fix containing %q", name, ue, tc.wantFix)
				}
				if !errors.Is(got, tc.err) {
					t.Errorf("%s() error = %v, does not wrap %v", name, got, tc.err)
				}
				if tc.alsoIs != nil && !errors.Is(got, tc.alsoIs) {
					t.Errorf("%s() error = %v, want it to match %v too", name, got, tc.alsoIs)
				}
			}
		})
	}
}
