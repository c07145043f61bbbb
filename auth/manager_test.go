package auth_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"iapdesk/auth"
	"iapdesk/auth/authtest"
)

func emails(accts []auth.Account) []string {
	var out []string
	for _, a := range accts {
		s := a.Email
		if a.Active {
			s = "*" + s
		}
		out = append(out, s)
	}
	return out
}

func TestMultipleAccounts(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.login(t, "bob@example.com")
	e.login(t, "alice@example.com")

	accts, err := e.m.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := emails(accts), []string{"*alice@example.com", "bob@example.com"}; !slices.Equal(got, want) {
		t.Errorf("Accounts() = %q, want %q (sorted, last sign-in active)", got, want)
	}

	if err := e.m.SetActive(ctx, "BOB@example.com"); err != nil {
		t.Fatalf("SetActive(bob) error = %v", err)
	}
	if a, err := e.m.Active(ctx); err != nil || a.Email != "bob@example.com" {
		t.Errorf("Active() = %q, %v; want bob@example.com", a.Email, err)
	}
	if err := e.m.SetActive(ctx, "carol@example.com"); !errors.Is(err, auth.ErrUnknownAccount) {
		t.Errorf("SetActive(carol) error = %v, want ErrUnknownAccount", err)
	}

	// Each account's tokens belong to that account.
	for _, who := range []string{"alice@example.com", "bob@example.com"} {
		ts, err := e.m.TokenSource(ctx, who)
		if err != nil {
			t.Fatalf("TokenSource(%s) error = %v", who, err)
		}
		tok, err := ts.Token()
		if err != nil {
			t.Fatalf("TokenSource(%s).Token() error = %v", who, err)
		}
		if got, _ := e.srv.CheckAccessToken(tok.AccessToken); got != who {
			t.Errorf("TokenSource(%s) token belongs to %q", who, got)
		}
	}
	if _, err := e.m.TokenSource(ctx, "carol@example.com"); !errors.Is(err, auth.ErrUnknownAccount) {
		t.Errorf("TokenSource(carol) error = %v, want ErrUnknownAccount", err)
	}

	// The state survives a restart (a new Manager on the same directory).
	m2, err := auth.New(e.config())
	if err != nil {
		t.Fatal(err)
	}
	accts2, _ := m2.Accounts(ctx)
	if got, want := emails(accts2), []string{"alice@example.com", "*bob@example.com"}; !slices.Equal(got, want) {
		t.Errorf("Accounts() after restart = %q, want %q", got, want)
	}
}

func TestRevoke(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.login(t, "bob@example.com")
	e.login(t, "alice@example.com")
	rt := e.store.Snapshot()["alice@example.com"]
	ts, err := e.m.TokenSource(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}

	if err := e.m.Revoke(ctx, "alice@example.com"); err != nil {
		t.Fatalf("Revoke(alice) error = %v", err)
	}
	if !e.srv.Revoked(rt) {
		t.Error("alice's refresh token was not revoked at the server")
	}
	if _, ok := e.store.Snapshot()["alice@example.com"]; ok {
		t.Error("alice's refresh token is still in the store")
	}
	accts, _ := e.m.Accounts(ctx)
	if got, want := emails(accts), []string{"bob@example.com"}; !slices.Equal(got, want) {
		t.Errorf("Accounts() after Revoke = %q, want %q (none active, as gcloud)", got, want)
	}
	if _, err := e.m.Active(ctx); !errors.Is(err, auth.ErrNotSignedIn) {
		t.Errorf("Active() after revoking the active account: error = %v, want ErrNotSignedIn", err)
	}
	// A tunnel still holding alice's source gets a clear error at its next
	// refresh.
	e.clock.Advance(2 * time.Hour)
	if _, err := ts.Token(); !errors.Is(err, auth.ErrSignInRequired) {
		t.Errorf("Token() of a revoked account: error = %v, want ErrSignInRequired", err)
	}
	if err := e.m.Revoke(ctx, "alice@example.com"); !errors.Is(err, auth.ErrUnknownAccount) {
		t.Errorf("Revoke(alice) twice: error = %v, want ErrUnknownAccount", err)
	}
}

// TestRevokeOffline: the revoke endpoint cannot be reached. The account is
// removed here anyway, and the error says how to finish by hand without
// showing the token.
func TestRevokeOffline(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.login(t, authtest.DefaultEmail)
	rt := e.store.Snapshot()[authtest.DefaultEmail]

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String() + "/revoke"
	l.Close()
	cfg := e.config()
	cfg.Endpoints.RevokeURL = dead
	m2, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = m2.Revoke(ctx, authtest.DefaultEmail)
	if err == nil {
		t.Fatal("Revoke() with the endpoint down: error = nil")
	}
	t.Logf("Revoke() error: %v", err)
	if !errors.Is(err, auth.ErrNotRevoked) {
		t.Errorf("Revoke() error = %q, want ErrNotRevoked (app gives the manual revocation address)", err)
	}
	if strings.Contains(err.Error(), rt) {
		t.Errorf("Revoke() error contains the refresh token: %q", err)
	}
	if accts, _ := m2.Accounts(ctx); len(accts) != 0 {
		t.Errorf("Accounts() = %+v, want the account removed here", accts)
	}
}

func TestRevokeKeyringLocked(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.login(t, authtest.DefaultEmail)
	e.store.SetErr(&auth.KeyringError{Err: errors.New("prompt dismissed")})
	if err := e.m.Revoke(ctx, authtest.DefaultEmail); !errors.Is(err, auth.ErrNoKeyring) {
		t.Errorf("Revoke() with a locked keyring: error = %v, want ErrNoKeyring", err)
	}
	if accts, _ := e.m.Accounts(ctx); len(accts) != 1 {
		t.Errorf("Accounts() = %+v, want the account kept until its token can be deleted", accts)
	}
}

func TestAccountsFile(t *testing.T) {
	t.Run("corrupt", func(t *testing.T) {
		e := newTestEnv(t)
		path := filepath.Join(e.dir, auth.AccountsFile)
		if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := e.m.Accounts(context.Background())
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Accounts() on a corrupt file: error = %v, want one naming %s", err, path)
		}
	})
	t.Run("newer version", func(t *testing.T) {
		e := newTestEnv(t)
		path := filepath.Join(e.dir, auth.AccountsFile)
		if err := os.WriteFile(path, []byte(`{"version":2,"accounts":[]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.Accounts(context.Background()); !errors.Is(err, auth.ErrAccountsTooNew) || !strings.Contains(err.Error(), "version 2") {
			t.Errorf("Accounts() on a version 2 file: error = %v, want ErrAccountsTooNew naming version 2", err)
		}
	})
	t.Run("atomic and private", func(t *testing.T) {
		e := newTestEnv(t)
		e.login(t, "a@example.com")
		e.login(t, "b@example.com")
		ents, err := os.ReadDir(e.dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, de := range ents {
			names = append(names, de.Name())
		}
		if want := []string{auth.AccountsFile, auth.AccountsLock}; !slices.Equal(names, want) {
			t.Errorf("config dir holds %q, want only %q (no temporary files left)", names, want)
		}
		st, err := os.Stat(filepath.Join(e.dir, auth.AccountsFile))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("mode = %v, want 0600", st.Mode().Perm())
		}
	})
	t.Run("config dir from environment", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv(auth.EnvConfigDir, dir)
		e := newTestEnv(t, func(c *auth.Config) { c.ConfigDir = "" })
		e.login(t, "env@example.com")
		if _, err := os.Stat(filepath.Join(dir, auth.AccountsFile)); err != nil {
			t.Errorf("accounts file not under $%s: %v", auth.EnvConfigDir, err)
		}
	})
	t.Run("memory mode writes nothing", func(t *testing.T) {
		t.Setenv(auth.EnvKeyring, "memory")
		e := newTestEnv(t, func(c *auth.Config) { c.Store = nil })
		e.login(t, "mem@example.com")
		if ents, _ := os.ReadDir(e.dir); len(ents) != 0 {
			t.Errorf("memory mode wrote %d files to the config dir", len(ents))
		}
		if a, err := e.m.Active(context.Background()); err != nil || a.Email != "mem@example.com" {
			t.Errorf("Active() in memory mode = %q, %v", a.Email, err)
		}
		m2, err := auth.New(e.config())
		if err != nil {
			t.Fatal(err)
		}
		if accts, _ := m2.Accounts(context.Background()); len(accts) != 0 {
			t.Errorf("a new process in memory mode sees %+v, want nothing", accts)
		}
	})
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		cfg     auth.Config
		wantErr string
	}{
		{"plain http endpoint", nil, auth.Config{Endpoints: auth.Endpoints{TokenURL: "http://example.com/token"}}, "want an https URL"},
		{"plain http endpoint from env", map[string]string{auth.EnvTokenURL: "http://10.0.0.1/token"}, auth.Config{}, "token endpoint"},
		{"bad keyring mode", map[string]string{auth.EnvKeyring: "file"}, auth.Config{}, "IAPDESK_KEYRING"},
		{"loopback http is fine", nil, auth.Config{Endpoints: auth.Endpoints{TokenURL: "http://127.0.0.1:9/token"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			tc.cfg.ConfigDir = t.TempDir()
			tc.cfg.Store = authtest.NewMemStore()
			_, err := auth.New(tc.cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("New() error = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("New() error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
