package cli_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/internal/cli"
)

// run runs the command line in-process with stdin and returns the exit
// status, stdout and stderr. The OS keyring is never touched.
func run(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("IAPDESK_KEYRING", "memory")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code = cli.Run(ctx, args, app.Stdio{In: stdin, Out: &out, Err: &errOut}, nil)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	code, out, errOut := run(t, nil, "version")
	if code != 0 || !regexp.MustCompile(`^iapdesk \S+ \(commit \S+, go1\.\d+`).MatchString(out) {
		t.Errorf("iapdesk version = %d, %q (stderr %q), want 0 and the version line", code, out, errOut)
	}
}

// TestUsageErrors: usage errors exit with 2, as gcloud's do, and say what
// is wrong on stderr; without a window (nil GUI) the bare command is one.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // on stderr
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help"}, "usage: iapdesk"},
		{nil, "usage: iapdesk"},
		{[]string{"ssh"}, "usage: iapdesk ssh"},
		{[]string{"ssh", "--no-such-flag", "vm"}, "flag provided but not defined"},
		{[]string{"rdp", "vm-1", "vm-2"}, "usage: iapdesk rdp"},
		{[]string{"tunnel", "vm-1"}, "usage: iapdesk tunnel"},
		{[]string{"auth", "dance"}, `unknown verb "dance"`},
		{[]string{"auth", "switch"}, "usage: iapdesk auth"},
	}
	for _, tc := range tests {
		code, _, errOut := run(t, nil, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("iapdesk %q = %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestFailuresExitOne: a failure that is not a usage error exits with 1
// and prints app's explanation on stderr, escaped.
func TestFailuresExitOne(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"ssh", "vm-1"}, "--project and --zone are required"},
		{[]string{"iap-rdp://host/p/z/vm"}, "Cannot open the iap-rdp link"},
		{[]string{"version", "extra"}, "takes no arguments"},
		{[]string{"tunnel", "vm-1", "port"}, `port "port" is not a number`},
	}
	for _, tc := range tests {
		code, _, errOut := run(t, nil, tc.args...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("iapdesk %q = %d, stderr %q; want 1 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// authList runs `iapdesk auth list` with dir as the config directory and
// no keyring reachable (listing accounts needs none; the memory keyring
// would keep the list in memory and not read accounts.json).
func authList(t *testing.T, dir string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("IAPDESK_CONFIG_DIR", dir)
	t.Setenv("IAPDESK_KEYRING", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code = cli.Run(ctx, []string{"auth", "list"}, app.Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut}, nil)
	return code, out.String(), errOut.String()
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
	code, stdout, stderr := authList(t, dir)
	if code != 0 {
		t.Fatalf("iapdesk auth list = %d\n%s", code, stderr)
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
	code, _, stderr := authList(t, dir)
	if code == 0 {
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
