package auth_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"iapdesk/auth"
	"iapdesk/auth/authtest"
)

func TestStores(t *testing.T) {
	t.Run("MemoryStore", func(t *testing.T) { authtest.StoreSuite(t, auth.NewMemoryStore(), "a@example.com") })
	t.Run("authtest.MemStore", func(t *testing.T) { authtest.StoreSuite(t, authtest.NewMemStore(), "a@example.com") })
}

// TestSecretServiceKeyring stores, reads and deletes refresh tokens in a
// real Secret Service (gnome-keyring, started by .ci/with-session) through
// KeyringStore, the code the app uses: first the Store contract, then a
// whole sign-in, restart, refresh and sign-out. It skips only outside CI
// and outside .ci/with-session; in CI an unreachable Secret Service fails.
func TestSecretServiceKeyring(t *testing.T) {
	if os.Getenv("IAPDESK_SECRET_SERVICE") == "" && os.Getenv("CI") == "" {
		t.Skip("no Secret Service session: run under .ci/with-session (make test does)")
	}
	t.Cleanup(closeSessionBus)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	service := "iapdesk-test-" + hex.EncodeToString(b) // never the real "iapdesk"
	st := auth.KeyringStore{Service: service}

	t.Run("store contract", func(t *testing.T) {
		authtest.StoreSuite(t, st, "suite@example.com")
	})

	t.Run("sign-in, restart, refresh, sign-out", func(t *testing.T) {
		const email = "keyring@example.com"
		t.Cleanup(func() { _ = st.Delete(context.Background(), email) })
		e := newTestEnv(t, func(c *auth.Config) { c.Store = st })
		e.login(t, email)

		rt, err := st.Get(context.Background(), email)
		if err != nil {
			t.Fatalf("KeyringStore.Get(%s) after sign-in: %v", email, err)
		}
		if !slices.Contains(e.srv.Secrets(), rt) || !strings.HasPrefix(rt, "1//authtest-") {
			t.Fatalf("keyring holds %d bytes that are not the issued refresh token", len(rt))
		}
		// The OS's own client sees the same item.
		if secretTool, err := exec.LookPath("secret-tool"); err == nil {
			out, err := exec.Command(secretTool, "lookup", "service", service, "username", email).Output()
			if err != nil || strings.TrimSpace(string(out)) != rt {
				t.Errorf("secret-tool lookup service %s username %s: %v; want the refresh token", service, email, err)
			}
		}

		// A new process (Manager) refreshes with the token from the keyring.
		cfg := e.config()
		cfg.Store = st
		m2, err := auth.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := m2.TokenSource(context.Background(), email)
		if err != nil {
			t.Fatalf("TokenSource(%s) after restart: %v", email, err)
		}
		if _, err := ts.Token(); err != nil {
			t.Fatalf("Token() after restart: %v", err)
		}
		if got := e.srv.Refreshes(); got != 1 {
			t.Errorf("refreshes = %d, want 1", got)
		}

		e.clock.Advance(time.Minute)
		if err := m2.Revoke(context.Background(), email); err != nil {
			t.Fatalf("Revoke(%s): %v", email, err)
		}
		if !e.srv.Revoked(rt) {
			t.Error("refresh token not revoked at the server")
		}
		if _, err := st.Get(context.Background(), email); !errors.Is(err, auth.ErrNotStored) {
			t.Errorf("KeyringStore.Get(%s) after Revoke: error = %v, want ErrNotStored", email, err)
		}
	})
}

// closeSessionBus closes go-keyring's shared D-Bus connection so its
// goroutines end before goleak looks.
func closeSessionBus() {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return // never connected; SessionBus would try to start a bus
	}
	if conn, err := dbus.SessionBus(); err == nil {
		conn.Close()
	}
}
