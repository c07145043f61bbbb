package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"iapdesk/auth"
	"iapdesk/auth/authtest"
	"iapdesk/platform/systest"
)

// TestE2EChromiumWorkforceSignIn: the workforce pool sign-in through a real
// headless Chromium, as the Google sign-in's E2E does: the browser follows
// the pool's authorization endpoint back to Login's loopback listener, and
// the principal's token works at STS's fake.
func TestE2EChromiumWorkforceSignIn(t *testing.T) {
	path := systest.Require(t, "chromium")[0]
	wf := authtest.NewWorkforce()
	t.Cleanup(wf.Close)
	e := newTestEnv(t, func(c *auth.Config) { c.LoginTimeout = 2 * time.Minute })
	br := &chromium{path: path, home: t.TempDir(), done: make(chan struct{})}
	t.Cleanup(br.wg.Wait)
	cfg := wf.LoginConfig()
	acct, err := e.m.Login(context.Background(), auth.LoginOptions{Open: br.Open, Workforce: &cfg})
	dom := br.dom(t)
	if err != nil {
		t.Fatalf("Login(workforce) through Chromium: error = %v\nchromium stderr:\n%s", err, br.log.String())
	}
	principal := wf.Principal(authtest.DefaultSubject)
	if acct.Email != principal || acct.Workforce != wf.Pool {
		t.Fatalf("Login(workforce) = %+v, want %s of pool %s", acct, principal, wf.Pool)
	}
	if !strings.Contains(dom, "Signed in to iapdesk as "+principal) {
		t.Errorf("Chromium ended on\n%s\nwant the success page naming %s", dom, principal)
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
		t.Errorf("token from the Chromium workforce sign-in is not valid for %s", principal)
	}
}
