package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"iapdesk/auth"
	"iapdesk/auth/authtest"
)

// TestTokenSourceConcurrentRefresh: 100 goroutines ask for a token while it
// is about to expire; exactly one refresh reaches Google and all of them get
// the new token.
func TestTokenSourceConcurrentRefresh(t *testing.T) {
	e := newTestEnv(t)
	acct := e.login(t, "many@example.com")
	ts, err := e.m.TokenSource(context.Background(), acct.Email)
	if err != nil {
		t.Fatal(err)
	}
	old, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}

	e.clock.Advance(time.Hour - 30*time.Second) // inside the 60 s margin
	const n = 100
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		toks  = make([]*oauth2.Token, n)
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			toks[i], errs[i] = ts.Token()
		})
	}
	close(start)
	wg.Wait()

	if got := e.srv.Refreshes(); got != 1 {
		t.Errorf("refreshes for %d concurrent callers = %d, want 1", n, got)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: Token() error = %v", i, errs[i])
		}
		if toks[i].AccessToken == old.AccessToken {
			t.Fatalf("caller %d got the expiring token", i)
		}
		if toks[i].AccessToken != toks[0].AccessToken {
			t.Fatalf("caller %d got a different token than caller 0", i)
		}
	}
	if _, ok := e.srv.CheckAccessToken(toks[0].AccessToken); !ok {
		t.Error("the refreshed token is not valid at the server")
	}
}

// TestTokenSourceRefreshesEarly: the token is replaced 60 s before it
// expires, never after a 401.
func TestTokenSourceRefreshesEarly(t *testing.T) {
	tests := []struct {
		name          string
		advance       time.Duration // after sign-in; the token lives 3599 s
		wantRefreshes int
	}{
		{"fresh", 0, 0},
		{"61 s before expiry", 3599*time.Second - 61*time.Second, 0},
		{"59 s before expiry", 3599*time.Second - 59*time.Second, 1},
		{"expired", 2 * time.Hour, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			acct := e.login(t, authtest.DefaultEmail)
			ts, err := e.m.TokenSource(context.Background(), acct.Email)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(tc.advance)
			tok, err := ts.Token()
			if err != nil {
				t.Fatalf("Token() error = %v", err)
			}
			if got := e.srv.Refreshes(); got != tc.wantRefreshes {
				t.Errorf("refreshes after %v = %d, want %d", tc.advance, got, tc.wantRefreshes)
			}
			if left := tok.Expiry.Sub(e.clock.Now()); left <= 60*time.Second {
				t.Errorf("Token() expires in %v, want more than the 60 s margin", left)
			}
		})
	}
}

// TestTokenSourceRevoked: a refresh token revoked at Google turns into a
// clear "sign in again" state, for this tunnel and every later caller, and
// a new sign-in cures it for the same source.
func TestTokenSourceRevoked(t *testing.T) {
	e := newTestEnv(t)
	acct := e.login(t, authtest.DefaultEmail)
	ts, err := e.m.TokenSource(context.Background(), acct.Email)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.RevokeAll()
	e.clock.Advance(2 * time.Hour)

	_, err = ts.Token()
	if !errors.Is(err, auth.ErrSignInRequired) {
		t.Fatalf("Token() with a revoked refresh token: error = %v, want ErrSignInRequired", err)
	}
	t.Logf("Token() error: %v", err)
	accts, _ := e.m.Accounts(context.Background())
	if len(accts) != 1 || !accts[0].SignInRequired {
		t.Errorf("Accounts() = %+v, want the account flagged SignInRequired", accts)
	}
	if got := e.store.Snapshot(); len(got) != 0 {
		t.Errorf("store after invalid_grant = %v, want the dead token deleted", got)
	}
	if _, err := e.m.TokenSource(context.Background(), acct.Email); !errors.Is(err, auth.ErrSignInRequired) {
		t.Errorf("TokenSource() after invalid_grant: error = %v, want ErrSignInRequired", err)
	}
	if _, _, err := e.m.Resolve(context.Background()); !errors.Is(err, auth.ErrSignInRequired) {
		t.Errorf("Resolve() after invalid_grant: error = %v, want ErrSignInRequired, not another source", err)
	}

	e.login(t, authtest.DefaultEmail)
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("Token() on the old source after signing in again: error = %v", err)
	}
	if _, ok := e.srv.CheckAccessToken(tok.AccessToken); !ok {
		t.Error("token after signing in again is not valid at the server")
	}
	if accts, _ := e.m.Accounts(context.Background()); accts[0].SignInRequired {
		t.Errorf("Accounts() after signing in again = %+v, want SignInRequired cleared", accts)
	}
}

// TestTokenSourceTransientError: a server error is reported but does not
// sign the account out; the next call succeeds.
func TestTokenSourceTransientError(t *testing.T) {
	e := newTestEnv(t)
	acct := e.login(t, authtest.DefaultEmail)
	ts, err := e.m.TokenSource(context.Background(), acct.Email)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	e.srv.SetTokenError(http.StatusServiceUnavailable, "temporarily_unavailable", "Try again later.")
	_, err = ts.Token()
	if err == nil || errors.Is(err, auth.ErrSignInRequired) {
		t.Fatalf("Token() during an outage: error = %v, want a non-sign-in error", err)
	}
	e.srv.SetTokenError(0, "", "")
	if _, err := ts.Token(); err != nil {
		t.Fatalf("Token() after the outage: error = %v", err)
	}
	if accts, _ := e.m.Accounts(context.Background()); accts[0].SignInRequired {
		t.Errorf("Accounts() after an outage = %+v, want no SignInRequired", accts)
	}
}

// TestTokenSourceKeyringUnavailable: a fresh process (new Manager) whose
// keyring is locked gets ErrNoKeyring, not a crash or another source.
func TestTokenSourceKeyringUnavailable(t *testing.T) {
	e := newTestEnv(t)
	acct := e.login(t, authtest.DefaultEmail)
	e.store.SetErr(&auth.KeyringError{Err: errors.New("org.freedesktop.DBus.Error.ServiceUnknown")})
	m2, err := auth.New(e.config())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.TokenSource(context.Background(), acct.Email); !errors.Is(err, auth.ErrNoKeyring) {
		t.Errorf("TokenSource() with a locked keyring: error = %v, want ErrNoKeyring", err)
	}
	if _, _, err := m2.Resolve(context.Background()); !errors.Is(err, auth.ErrNoKeyring) {
		t.Errorf("Resolve() with a locked keyring: error = %v, want ErrNoKeyring", err)
	}
}

func BenchmarkTokenCached(b *testing.B) {
	srv := authtest.NewServer()
	defer srv.Close()
	store := authtest.NewMemStore()
	m, err := auth.New(auth.Config{
		ClientID: srv.ClientID, ClientSecret: srv.ClientSecret, Endpoints: srv.Endpoints(),
		ConfigDir: b.TempDir(), Store: store, HTTPClient: srv.Client(),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	bb := &browser{t: nil, seen: make(chan string, 1), pages: make(chan visit, 1)}
	if _, err := m.Login(ctx, auth.LoginOptions{Open: bb.Open}); err != nil {
		b.Fatal(err)
	}
	<-bb.pages
	bb.wg.Wait()
	ts, err := m.TokenSource(ctx, authtest.DefaultEmail)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ts.Token(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
