package auth_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"iapdesk/auth"
	"iapdesk/auth/authtest"
	"iapdesk/platform/systest"
)

// chromium is a real headless Chromium used as the system browser: Open
// starts it on the authorization URL and returns, as xdg-open does; the
// browser follows the fake Google's redirect to Login's loopback listener
// and dumps the page it ends on.
type chromium struct {
	path, home string

	wg       sync.WaitGroup // the goroutine waiting for the process
	mu       sync.Mutex     // guards cmd
	cmd      *exec.Cmd
	out, log bytes.Buffer // written by the process until done is closed
	done     chan struct{}
	waitErr  error
}

func (c *chromium) Open(_ context.Context, url string) error {
	cmd := exec.Command(c.path,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-quic", "--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--no-pings", "--metrics-recording-only",
		// Resolve no host name at all: the test talks to 127.0.0.1 only and
		// Chromium's own background requests go nowhere.
		"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
		"--user-data-dir="+c.home+"/profile",
		"--dump-dom", url)
	cmd.Env = append(os.Environ(), "HOME="+c.home)
	cmd.Stdout = &c.out
	cmd.Stderr = &c.log
	if err := cmd.Start(); err != nil {
		return err
	}
	c.mu.Lock()
	c.cmd = cmd
	c.mu.Unlock()
	c.wg.Go(func() {
		c.waitErr = cmd.Wait()
		close(c.done)
	})
	return nil
}

// dom waits for Chromium to exit and returns the page it dumped.
func (c *chromium) dom(t *testing.T) string {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(90 * time.Second):
		c.mu.Lock()
		_ = c.cmd.Process.Kill()
		c.mu.Unlock()
		<-c.done
		t.Fatalf("chromium did not exit within 90s; stderr:\n%s", c.log.String())
	}
	if c.waitErr != nil {
		t.Logf("chromium exited: %v; stderr:\n%s", c.waitErr, c.log.String())
	}
	return c.out.String()
}

func TestE2EChromiumSignIn(t *testing.T) {
	path := systest.Require(t, "chromium")[0]
	tests := []struct {
		name     string
		deny     bool
		badState bool
		wantErr  error
		wantPage string
	}{
		{"approve", false, false, nil, "Signed in to iapdesk as " + authtest.DefaultEmail},
		{"deny", true, false, auth.ErrAccessDenied, "access_denied"},
		{"state mismatch", false, true, auth.ErrStateMismatch, "state mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, func(c *auth.Config) { c.LoginTimeout = 2 * time.Minute })
			e.srv.SetDeny(tc.deny)
			e.srv.SetWrongState(tc.badState)
			br := &chromium{path: path, home: t.TempDir(), done: make(chan struct{})}
			t.Cleanup(br.wg.Wait)

			acct, err := e.m.Login(context.Background(), auth.LoginOptions{Open: br.Open})
			dom := br.dom(t)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("Login() through Chromium: error = %v\nchromium stderr:\n%s", err, br.log.String())
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("Login() through Chromium: error = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(dom, tc.wantPage) {
				t.Errorf("Chromium ended on\n%s\nwant a page containing %q", dom, tc.wantPage)
			}
			if tc.wantErr != nil {
				return
			}
			if acct.Email != authtest.DefaultEmail {
				t.Errorf("Login() = %q, want %q", acct.Email, authtest.DefaultEmail)
			}
			ts, err := e.m.TokenSource(context.Background(), acct.Email)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := ts.Token()
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := e.srv.CheckAccessToken(tok.AccessToken); !ok || got != acct.Email {
				t.Errorf("token from the Chromium sign-in is not valid for %s", acct.Email)
			}
		})
	}
}
