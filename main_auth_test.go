package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// authCommand runs `iapdesk auth ARGS…` with dir as the config directory
// and no keyring reachable (listing accounts needs none), and returns its
// stdout and stderr.
func authCommand(t *testing.T, dir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := iapdesk(ctx, append([]string{"auth"}, args...)...)
	cmd.Env = append(cmd.Env, "IAPDESK_CONFIG_DIR="+dir, "IAPDESK_KEYRING=", "DBUS_SESSION_BUS_ADDRESS=")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// TestAuthListEscapes: `iapdesk auth list` shows an e-mail address from
// accounts.json with its control characters escaped, so a crafted file
// cannot send escape sequences (here: set the window title) to the
// terminal.
func TestAuthListEscapes(t *testing.T) {
	dir := t.TempDir()
	accounts := `{"version":1,"active":"a@example.com","accounts":[` +
		`{"email":"a@example.com","added_at":"2025-01-01T00:00:00Z"},` +
		`{"email":"\u001b]0;pwn\u0007@example.com","added_at":"2025-01-01T00:00:00Z","sign_in_required":true}]}`
	if err := os.WriteFile(filepath.Join(dir, "accounts.json"), []byte(accounts), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := authCommand(t, dir, "list")
	if err != nil {
		t.Fatalf("iapdesk auth list: %v\n%s", err, stderr)
	}
	if strings.ContainsAny(stdout, "\x1b\x07") {
		t.Errorf("iapdesk auth list printed raw control characters:\n%q", stdout)
	}
	if got := strings.Count(stdout, `\x1b]0;pwn\x07@example.com`); got != 2 {
		t.Errorf("iapdesk auth list shows the escaped address %d times, want 2 (account and status):\n%s", got, stdout)
	}
	if !strings.Contains(stdout, "*") || !strings.Contains(stdout, "a@example.com") {
		t.Errorf("iapdesk auth list = %q, want the active a@example.com", stdout)
	}
}

// TestAuthCorruptAccountsFile: a damaged accounts.json gets one fix
// (delete or repair the file, then sign in again), naming the file, not a
// second contradicting one ("Retry … report").
func TestAuthCorruptAccountsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "accounts.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"accounts":[{"email":`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := authCommand(t, dir, "list")
	if err == nil {
		t.Fatalf("iapdesk auth list with a damaged accounts.json succeeded:\n%s", stderr)
	}
	if got := strings.Count(stderr, "fix:"); got != 1 {
		t.Errorf("stderr has %d fixes, want 1:\n%s", got, stderr)
	}
	if !strings.Contains(stderr, "fix: Delete "+path) || !strings.Contains(stderr, "sign in again") {
		t.Errorf("stderr = %q, want the fix: delete %s and sign in again", stderr, path)
	}
	for _, other := range []string{"Retry", "report", "fix or delete"} {
		if strings.Contains(stderr, other) {
			t.Errorf("stderr = %q, also says %q", stderr, other)
		}
	}
}
