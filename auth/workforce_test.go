package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"iapdesk/auth"
	"iapdesk/auth/authtest"
)

// TestWorkforceSignIn: a workforce pool sign-in (login config → loopback
// flow → STS code exchange → introspection) lists the principal with its
// pool, keeps the refresh token in the store like a Google account's,
// refreshes through STS (external_account_authorized_user) and, once the
// pool revokes it, says the sign-in ended (ErrSignInRequired).
func TestWorkforceSignIn(t *testing.T) {
	wf := authtest.NewWorkforce()
	t.Cleanup(wf.Close)
	e := newTestEnv(t)
	cfg := wf.LoginConfig()
	done := make(chan struct{})
	var acct auth.Account
	var err error
	opener := func(ctx context.Context, u string) error {
		go func() {
			defer close(done)
			_, _, _ = authtest.Visit(ctx, u)
		}()
		return nil
	}
	acct, err = e.m.Login(context.Background(), auth.LoginOptions{Open: opener, Workforce: &cfg})
	<-done
	if err != nil {
		t.Fatalf("Login(workforce) error = %v", err)
	}
	principal := wf.Principal(authtest.DefaultSubject)
	if acct.Email != principal || acct.Workforce != "corp-pool" || !acct.Active {
		t.Fatalf("Login(workforce) = %+v, want active %s in corp-pool", acct, principal)
	}
	accts, err := e.m.Accounts(context.Background())
	if err != nil || len(accts) != 1 || accts[0].Email != principal || accts[0].Workforce != "corp-pool" {
		t.Fatalf("Accounts() = %+v, %v, want the principal", accts, err)
	}
	if rt, err := e.store.Get(context.Background(), principal); err != nil || !strings.HasPrefix(rt, "wf-refresh-") {
		t.Fatalf("store holds %q, %v for the principal, want its refresh token", rt, err)
	}
	ts, err := e.m.TokenSource(context.Background(), principal)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := wf.CheckAccessToken(tok.AccessToken); !ok || p != principal {
		t.Fatalf("access token from the sign-in is not valid for %s", principal)
	}
	// A fresh process: the token comes from the refresh token, at STS.
	m2, err := auth.New(e.config())
	if err != nil {
		t.Fatal(err)
	}
	ts2, err := m2.TokenSource(context.Background(), principal)
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := ts2.Token()
	if err != nil {
		t.Fatalf("refresh through STS: %v", err)
	}
	if p, ok := wf.CheckAccessToken(tok2.AccessToken); !ok || p != principal || wf.Refreshes() != 1 {
		t.Fatalf("refreshed token valid = %v for %q after %d refreshes, want valid for %s after 1", ok, p, wf.Refreshes(), principal)
	}
	wf.RevokeAll()
	m3, err := auth.New(e.config())
	if err != nil {
		t.Fatal(err)
	}
	ts3, err := m3.TokenSource(context.Background(), principal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts3.Token(); !errors.Is(err, auth.ErrSignInRequired) {
		t.Fatalf("Token() after the pool revoked the sign-in: error = %v, want ErrSignInRequired", err)
	}
	for _, s := range wf.Secrets() {
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("log holds a secret of the sign-in: %q", s)
		}
	}
}

func TestParseLoginConfig(t *testing.T) {
	good := `{"universe_domain":"googleapis.com","type":"external_account_authorized_user_login_config",
"audience":"//iam.googleapis.com/locations/global/workforcePools/p/providers/pr",
"auth_url":"https://auth.cloud.google/authorize","token_url":"https://sts.googleapis.com/v1/oauthtoken",
"token_info_url":"https://sts.googleapis.com/v1/introspect"}`
	for _, tc := range []struct {
		name, in string
		wantErr  bool
	}{
		{"gcloud's", good, false},
		{"other type", strings.Replace(good, "_login_config", "", 1), true},
		{"workload pool", strings.Replace(good, "locations/global/workforcePools/p", "projects/1/locations/global/workloadIdentityPools/p", 1), true},
		{"http token url", strings.Replace(good, "https://sts.googleapis.com/v1/oauthtoken", "http://sts.example/v1/oauthtoken", 1), true},
		{"not json", "audience", true},
	} {
		c, err := auth.ParseLoginConfig([]byte(tc.in))
		if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, auth.ErrLoginConfig)) {
			t.Errorf("ParseLoginConfig(%s) error = %v, want error %v", tc.name, err, tc.wantErr)
		}
		if err == nil && c.Pool() != "p" {
			t.Errorf("ParseLoginConfig(%s).Pool() = %q, want p", tc.name, c.Pool())
		}
	}
	c, err := auth.LoginConfigForPool("corp-pool", "entra")
	if err != nil || c.Audience != "//iam.googleapis.com/locations/global/workforcePools/corp-pool/providers/entra" || c.TokenURL != auth.WorkforceTokenURL {
		t.Errorf("LoginConfigForPool = %+v, %v", c, err)
	}
	if _, err := auth.LoginConfigForPool("a/b", "x"); err == nil {
		t.Errorf("LoginConfigForPool(a/b) accepted a path")
	}
}
