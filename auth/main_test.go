package auth_test

import (
	"context"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"iapdesk/auth"
	"iapdesk/auth/authtest"
	"iapdesk/platform/systest"
)

func TestMain(m *testing.M) {
	// Never let a test probe the real metadata server (169.254.169.254):
	// the google library trusts GCE_METADATA_HOST without probing. Tests
	// that want a metadata server point it at authtest.
	os.Setenv("GCE_METADATA_HOST", "127.0.0.1:1")
	goleak.VerifyTestMain(m)
}

// fakeClock is an injectable clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testEnv is a auth.Manager wired to a fake Google, an in-memory store, a fake
// clock and a private config directory.
type testEnv struct {
	srv   *authtest.Server
	store *authtest.MemStore
	clock *fakeClock
	logs  *systest.Buffer
	dir   string
	m     *auth.Manager
}

func newTestEnv(t *testing.T, adjust ...func(*auth.Config)) *testEnv {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	e := &testEnv{
		srv:   srv,
		store: authtest.NewMemStore(),
		clock: newFakeClock(),
		logs:  &systest.Buffer{},
		dir:   t.TempDir(),
	}
	cfg := e.config()
	for _, f := range adjust {
		f(&cfg)
	}
	m, err := auth.New(cfg)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	e.m = m
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("auth log:\n%s", e.logs.String())
		}
	})
	return e
}

// config is the Config newTestEnv uses.
func (e *testEnv) config() auth.Config {
	return auth.Config{
		ClientID:     e.srv.ClientID,
		ClientSecret: e.srv.ClientSecret,
		Endpoints:    e.srv.Endpoints(),
		ConfigDir:    e.dir,
		Store:        e.store,
		HTTPClient:   e.srv.Client(),
		Logger:       newTestLogger(e.logs),
		LoginTimeout: 20 * time.Second,
		Now:          e.clock.Now,
	}
}

// visit is what a test browser saw.
type visit struct {
	status int
	page   string
	err    error
}

// browser is an auth.Opener that, like a real browser, runs on its own: it visits
// the URL in a goroutine the test owns and returns at once.
type browser struct {
	t     *testing.T
	wg    sync.WaitGroup
	seen  chan string // authorization URLs opened
	pages chan visit
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	b := &browser{t: t, seen: make(chan string, 4), pages: make(chan visit, 4)}
	t.Cleanup(b.wg.Wait)
	return b
}

func (b *browser) Open(_ context.Context, u string) error {
	b.seen <- u
	b.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		st, page, err := authtest.Visit(ctx, u)
		b.pages <- visit{st, page, err}
	})
	return nil
}

// page waits for the page the browser ended on.
func (b *browser) page() visit {
	b.t.Helper()
	select {
	case v := <-b.pages:
		return v
	case <-time.After(30 * time.Second):
		b.t.Fatal("browser: no page after 30s")
		return visit{}
	}
}

// login signs email in through the fake browser.
func (e *testEnv) login(t *testing.T, email string) auth.Account {
	t.Helper()
	e.srv.SetEmail(email)
	b := newBrowser(t)
	acct, err := e.m.Login(context.Background(), auth.LoginOptions{Open: b.Open})
	if err != nil {
		t.Fatalf("Login(%s) error = %v", email, err)
	}
	if v := b.page(); v.err != nil || v.status != 200 {
		t.Fatalf("Login(%s): browser page = %d, %v", email, v.status, v.err)
	}
	return acct
}

// redirectURI extracts redirect_uri from an authorization URL.
func redirectURI(t *testing.T, authURL string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("parse authorization URL %q: %v", authURL, err)
	}
	return u.Query().Get("redirect_uri")
}

// newTestLogger logs everything, debug included, to w.
func newTestLogger(w *systest.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
