package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"iapdesk/auth"
	"iapdesk/auth/authtest"
)

func TestLogin(t *testing.T) {
	e := newTestEnv(t)
	b := newBrowser(t)
	acct, err := e.m.Login(context.Background(), auth.LoginOptions{Open: b.Open})
	if err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	if acct.Email != authtest.DefaultEmail || !acct.Active {
		t.Errorf("Login() = %+v, want active %s", acct, authtest.DefaultEmail)
	}
	v := b.page()
	if v.err != nil || v.status != http.StatusOK {
		t.Fatalf("browser page = %d, %v; want 200", v.status, v.err)
	}
	if want := "Signed in to iapdesk as " + authtest.DefaultEmail; !strings.Contains(v.page, want) {
		t.Errorf("browser page = %q, want it to contain %q", v.page, want)
	}
	if got := e.srv.Exchanges(); got != 1 {
		t.Errorf("code exchanges = %d, want 1", got)
	}

	rt := e.store.Snapshot()[authtest.DefaultEmail]
	if rt == "" {
		t.Fatalf("store after Login = %v, want a refresh token for %s", e.store.Snapshot(), authtest.DefaultEmail)
	}
	active, err := e.m.Active(context.Background())
	if err != nil || active.Email != authtest.DefaultEmail {
		t.Errorf("Active() = %+v, %v; want %s", active, err, authtest.DefaultEmail)
	}

	// The token from the sign-in is cached: no refresh needed yet.
	ts, err := e.m.TokenSource(context.Background(), acct.Email)
	if err != nil {
		t.Fatalf("TokenSource(%s) error = %v", acct.Email, err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token() error = %v", err)
	}
	if email, ok := e.srv.CheckAccessToken(tok.AccessToken); !ok || email != acct.Email {
		t.Errorf("CheckAccessToken(token) = %q, %v; want %q, true", email, ok, acct.Email)
	}
	if got := e.srv.Refreshes(); got != 0 {
		t.Errorf("refreshes after sign-in = %d, want 0 (the sign-in's token is cached)", got)
	}

	// The account file holds no secret and is private.
	path := filepath.Join(e.dir, auth.AccountsFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s mode = %v, want 0600", path, st.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	for _, s := range e.srv.Secrets() {
		if strings.Contains(string(raw), s) {
			t.Errorf("%s contains a secret: %s", path, raw)
		}
	}
}

func TestLoginAuthorizationURL(t *testing.T) {
	e := newTestEnv(t)
	b := newBrowser(t)
	if _, err := e.m.Login(context.Background(), auth.LoginOptions{Open: b.Open, LoginHint: "hint@example.com"}); err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	b.page()
	u, err := url.Parse(<-b.seen)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	want := map[string]string{
		"response_type":         "code",
		"client_id":             e.srv.ClientID,
		"code_challenge_method": "S256",
		"access_type":           "offline",
		"prompt":                "consent",
		"login_hint":            "hint@example.com",
	}
	for k, v := range want {
		if got := q.Get(k); got != v {
			t.Errorf("authorization URL %s = %q, want %q", k, got, v)
		}
	}
	if got := strings.Fields(q.Get("scope")); !slices.Equal(got, auth.Scopes) {
		t.Errorf("authorization URL scope = %q, want %q", got, auth.Scopes)
	}
	if n := len(q.Get("state")); n < 40 {
		t.Errorf("state has %d characters, want at least 40 (256 random bits)", n)
	}
	if n := len(q.Get("code_challenge")); n != 43 {
		t.Errorf("code_challenge has %d characters, want 43 (base64url SHA-256)", n)
	}
	ru, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || ru.Scheme != "http" || ru.Hostname() != "127.0.0.1" || ru.Port() == "" {
		t.Errorf("redirect_uri = %q, want http://127.0.0.1:<port>/", q.Get("redirect_uri"))
	}
	// The hint selected the account.
	if acct, _ := e.m.Active(context.Background()); acct.Email != "hint@example.com" {
		t.Errorf("Active() = %q, want hint@example.com", acct.Email)
	}
}

func TestLoginUserinfoFallback(t *testing.T) {
	e := newTestEnv(t)
	e.srv.SetOmitIDToken(true)
	acct := e.login(t, "Mixed.Case@Example.com")
	if acct.Email != "mixed.case@example.com" {
		t.Errorf("Login() email = %q, want mixed.case@example.com (from userinfo, lower-cased)", acct.Email)
	}
}

// TestLoginFailures covers each way the browser step or the code exchange
// can go wrong: each ends Login with a clear error, shows a failure page in
// the browser, and signs nobody in.
func TestLoginFailures(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(e *testEnv)
		want     error
		wantText string // in the error and on the page
	}{
		{"access denied", func(e *testEnv) { e.srv.SetDeny(true) }, auth.ErrAccessDenied, "access_denied"},
		{"state mismatch", func(e *testEnv) { e.srv.SetWrongState(true) }, auth.ErrStateMismatch, "state mismatch"},
		{"malformed token response", func(e *testEnv) { e.srv.SetMalformedTokenResponse(true) }, auth.ErrBadTokenResponse, "unusable answer from the token endpoint"},
		{"cloud-platform unticked", func(e *testEnv) { e.srv.SetGrantedScopes("openid", "https://www.googleapis.com/auth/userinfo.email") }, auth.ErrScopeNotGranted, "not granted"},
		{"token endpoint error", func(e *testEnv) {
			e.srv.SetTokenError(http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		}, nil, "invalid_client: The OAuth client was not found."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			tc.setup(e)
			b := newBrowser(t)
			_, err := e.m.Login(context.Background(), auth.LoginOptions{Open: b.Open})
			if err == nil {
				t.Fatal("Login() error = nil, want an error")
			}
			t.Logf("Login() error: %v", err)
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Login() error = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("Login() error = %q, want it to contain %q", err, tc.wantText)
			}
			v := b.page()
			if v.err != nil || v.status != http.StatusBadRequest {
				t.Errorf("browser page status = %d, %v; want 400", v.status, v.err)
			}
			if !strings.Contains(v.page, "Sign-in failed") {
				t.Errorf("browser page = %q, want a failure page", v.page)
			}
			if accts, _ := e.m.Accounts(context.Background()); len(accts) != 0 {
				t.Errorf("Accounts() after a failed sign-in = %+v, want none", accts)
			}
		})
	}
}

// TestLoginKeyringUnavailable: a keyring that cannot be used fails the
// sign-in before the browser opens, with the keyring's own error.
func TestLoginKeyringUnavailable(t *testing.T) {
	e := newTestEnv(t)
	e.store.SetErr(&auth.KeyringError{Err: errors.New("failed to unlock correct collection")})
	opened := false
	_, err := e.m.Login(context.Background(), auth.LoginOptions{Open: func(context.Context, string) error { opened = true; return nil }})
	if !errors.Is(err, auth.ErrNoKeyring) || !strings.Contains(err.Error(), "failed to unlock correct collection") {
		t.Errorf("Login() with a locked keyring: error = %v, want ErrNoKeyring with the keyring's error", err)
	}
	if opened {
		t.Error("Login() opened the browser although the sign-in could not be kept")
	}
}

func TestLoginTimeout(t *testing.T) {
	e := newTestEnv(t, func(c *auth.Config) { c.LoginTimeout = 300 * time.Millisecond })
	var authURL string
	nobody := func(_ context.Context, u string) error { authURL = u; return nil } // the user never comes back
	start := time.Now()
	_, err := e.m.Login(context.Background(), auth.LoginOptions{Open: nobody})
	if !errors.Is(err, auth.ErrLoginTimeout) {
		t.Fatalf("Login() error = %v, want auth.ErrLoginTimeout", err)
	}
	if !strings.Contains(err.Error(), "300ms") {
		t.Errorf("Login() error = %q, want it to name the timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Login() took %v with a 300ms timeout", d)
	}
	// The redirect listener is gone.
	if resp, err := http.Get(redirectURI(t, authURL) + "?state=x&code=y"); err == nil {
		resp.Body.Close()
		t.Errorf("redirect URI still answers after the timeout: %s", resp.Status)
	}
}

func TestLoginCancel(t *testing.T) {
	e := newTestEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	opened := make(chan struct{})
	var openerSawCancel bool
	open := func(octx context.Context, _ string) error {
		close(opened)
		<-octx.Done() // an opener that blocks until the sign-in ends
		openerSawCancel = true
		return octx.Err()
	}
	errc := make(chan error, 1)
	go func() {
		_, err := e.m.Login(ctx, auth.LoginOptions{Open: open})
		errc <- err
	}()
	<-opened
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Login() after cancel: error = %v, want context.Canceled", err)
	}
	if !openerSawCancel {
		t.Error("Login() returned before its opener did")
	}
}

func TestLoginOpenerFails(t *testing.T) {
	e := newTestEnv(t)
	noBrowser := errors.New("xdg-open: no method available for opening URLs")
	_, err := e.m.Login(context.Background(), auth.LoginOptions{Open: func(context.Context, string) error { return noBrowser }})
	if !errors.Is(err, noBrowser) {
		t.Errorf("Login() error = %v, want it to wrap %v", err, noBrowser)
	}
}

func TestLoginNoClientID(t *testing.T) {
	t.Setenv(auth.EnvClientID, "")
	t.Setenv(auth.EnvClientSecret, "")
	e := newTestEnv(t, func(c *auth.Config) { c.ClientID, c.ClientSecret = "", "" })
	if auth.LinkedClientID() != "" {
		t.Skip("this binary has a link-time OAuth client")
	}
	_, err := e.m.Login(context.Background(), auth.LoginOptions{Open: func(context.Context, string) error { return nil }})
	if !errors.Is(err, auth.ErrNoClientID) {
		t.Fatalf("Login() error = %v, want auth.ErrNoClientID", err)
	}
	if got, want := err.Error(), auth.ErrNoClientID.Error(); got != want {
		t.Errorf("Login() error = %q, want %q (app says how to configure a client)", got, want)
	}
}

// TestLoginStrayRequests checks that requests other than the redirect do
// not end the sign-in, and that a redirect after the end gets a clear page.
func TestLoginStrayRequests(t *testing.T) {
	e := newTestEnv(t)
	opened := make(chan string, 1)
	open := func(_ context.Context, u string) error { opened <- u; return nil }
	errc := make(chan error, 1)
	go func() {
		_, err := e.m.Login(context.Background(), auth.LoginOptions{Open: open})
		errc <- err
	}()
	authURL := <-opened
	redirect := redirectURI(t, authURL)
	for _, p := range []string{"favicon.ico", ""} {
		resp, err := http.Get(redirect + p)
		if err != nil {
			t.Fatalf("GET %s: %v", redirect+p, err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("GET %s = %s, want an error status", redirect+p, resp.Status)
		}
	}
	// Now the user finishes in the browser.
	b := newBrowser(t)
	_ = b.Open(context.Background(), authURL)
	if err := <-errc; err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	if v := b.page(); v.status != http.StatusOK {
		t.Errorf("browser page = %d, want 200", v.status)
	}
	// A late redirect (a second tab) after Login returned: the listener is
	// closed, so it fails rather than signing anyone in.
	if resp, err := http.Get(redirect + "?state=x&code=y"); err == nil {
		resp.Body.Close()
		t.Errorf("late redirect = %s, want the listener closed", resp.Status)
	}
}

func TestEmailFromIDToken(t *testing.T) {
	enc := func(claims any) string {
		b, _ := json.Marshal(claims)
		return "eyJhbGciOiJSUzI1NiJ9." + b64(b) + ".c2ln"
	}
	tests := []struct {
		name, token, client, want string
		wantErr                   bool
	}{
		{"empty", "", "c", "", false},
		{"email", enc(map[string]any{"email": "a@b.c", "aud": "c"}), "c", "a@b.c", false},
		{"aud list", enc(map[string]any{"email": "a@b.c", "aud": []string{"x", "c"}}), "c", "a@b.c", false},
		{"no email", enc(map[string]any{"aud": "c"}), "c", "", false},
		{"wrong audience", enc(map[string]any{"email": "a@b.c", "aud": "other"}), "c", "", true},
		{"two parts", "a.b", "c", "", true},
		{"bad base64", "a.!!!.c", "c", "", true},
		{"not json", "a." + b64([]byte("nope")) + ".c", "c", "", true},
		{"not an address", enc(map[string]any{"email": "nobody", "aud": "c"}), "c", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := auth.EmailFromIDToken(tc.token, tc.client)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("auth.EmailFromIDToken(%q) = %q, %v; want %q, error %v", tc.token, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func FuzzEmailFromIDToken(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6ImFAYi5jIiwiYXVkIjoiYyJ9.c2ln", "c")
	f.Add("a.b.c", "")
	f.Add("..", "c")
	f.Add("a.eyJhdWQiOlsxLDJdfQ.c", "c")
	f.Fuzz(func(t *testing.T, token, client string) {
		if len(token) > 8<<10 || len(client) > 256 {
			return // Google's ID tokens are about 1 KiB
		}
		email, err := auth.EmailFromIDToken(token, client)
		if err == nil && email != "" && !strings.Contains(email, "@") {
			t.Errorf("auth.EmailFromIDToken(%q) = %q without error, not an address", token, email)
		}
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
