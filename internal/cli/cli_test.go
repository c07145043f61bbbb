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
	// A plain go build says "devel", with the commit when Go stamped one.
	if code != 0 || !regexp.MustCompile(`^iapdesk \S+ \((commit \S+, )?go1\.\d+`).MatchString(out) || strings.Contains(out, "unknown") {
		t.Errorf("iapdesk version = %d, %q (stderr %q), want 0 and the version line", code, out, errOut)
	}
}

// TestUsageErrors: usage errors exit with 2, as gcloud's do, and say what
// is wrong on stderr, once, with the usage line and where the help is; an
// unknown flag is "unknown flag", a missing flag is "missing --flag" in
// every command; without a window (nil GUI) the bare command is one.
func TestUsageErrors(t *testing.T) {
	t.Setenv("CLOUDSDK_CORE_PROJECT", "")
	t.Setenv("CLOUDSDK_COMPUTE_ZONE", "")
	tests := []struct {
		args []string
		want string // on stderr
	}{
		{[]string{"frobnicate"}, `iapdesk: unknown command "frobnicate"`},
		{[]string{"--bogus"}, "iapdesk: unknown flag --bogus"},
		{nil, "usage: iapdesk"},
		{[]string{"ssh"}, "iapdesk ssh: missing INSTANCE"},
		{[]string{"ssh", "--no-such-flag", "vm"}, "iapdesk ssh: unknown flag --no-such-flag"},
		{[]string{"ssh", "vm", "--port"}, "iapdesk ssh: flag --port needs a value"},
		{[]string{"ssh", "vm", "--port=x"}, `iapdesk ssh: invalid value "x" for --port`},
		{[]string{"ssh", "vm-1"}, "iapdesk ssh: missing --project (or $CLOUDSDK_CORE_PROJECT) and --zone (or $CLOUDSDK_COMPUTE_ZONE)"},
		{[]string{"rdp", "vm-1", "--project=p"}, "iapdesk rdp: missing --zone (or $CLOUDSDK_COMPUTE_ZONE)"},
		{[]string{"tunnel", "vm-1", "22", "--project=p"}, "iapdesk tunnel: missing --zone (or $CLOUDSDK_COMPUTE_ZONE)"},
		{[]string{"tunnel", "h", "22", "--project=p", "--region=r"}, "iapdesk tunnel: missing --network"},
		{[]string{"rdp", "vm-1", "vm-2"}, `iapdesk rdp: unexpected argument "vm-2"`},
		{[]string{"tunnel", "vm-1"}, "iapdesk tunnel: missing PORT"},
		{[]string{"tunnel", "vm-1", "port"}, `iapdesk tunnel: PORT "port" is not a port number`},
		{[]string{"version", "extra"}, "iapdesk version: takes no arguments"},
		{[]string{"auth", "dance"}, `iapdesk auth: unknown verb "dance"`},
		{[]string{"auth", "switch"}, "iapdesk auth switch: missing ACCOUNT"},
		{[]string{"help", "dance"}, `iapdesk help: unknown command "dance"`},
	}
	for _, tc := range tests {
		code, out, errOut := run(t, nil, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("iapdesk %q = %d, stdout %q, stderr %q; want 2 and %q on stderr only", tc.args, code, out, errOut, tc.want)
		}
		if strings.Contains(errOut, "flag provided but not defined") || strings.Count(errOut, "usage:") > 1 {
			t.Errorf("iapdesk %q: stderr %q, want package flag's words out and the usage once", tc.args, errOut)
		}
	}
}

// TestHelp: --help, -h, help and COMMAND --help print on stdout and exit
// 0, so that `iapdesk --help | less` shows them; flags read --flag, as the
// usage lines write them.
func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string // on stdout
	}{
		{[]string{"--help"}, []string{"usage: iapdesk", "  ssh ", "  tunnel ", "  rdp ", "  version "}},
		{[]string{"-h"}, []string{"usage: iapdesk", "  auth "}},
		{[]string{"help"}, []string{"usage: iapdesk", "  tunnel "}},
		{[]string{"help", "ssh"}, []string{"usage: iapdesk ssh", "  --project ID", "  --demo"}},
		{[]string{"ssh", "--help"}, []string{"usage: iapdesk ssh", "  --user USER"}},
		{[]string{"tunnel", "-h"}, []string{"usage: iapdesk tunnel", "  --local-host-port HOST:PORT", "(default localhost:0)"}},
		{[]string{"rdp", "--help"}, []string{"usage: iapdesk rdp", "  --password-stdin"}},
		{[]string{"auth", "--help"}, []string{"usage: iapdesk auth VERB"}},
		{[]string{"version", "--help"}, []string{"usage: iapdesk version"}},
		{[]string{"--demo", "--help"}, []string{"usage: iapdesk"}},
	}
	for _, tc := range tests {
		code, out, errOut := run(t, nil, tc.args...)
		if code != 0 || errOut != "" {
			t.Errorf("iapdesk %q = %d, stderr %q; want 0 and nothing on stderr", tc.args, code, errOut)
		}
		for _, want := range tc.want {
			if !strings.Contains(out, want) {
				t.Errorf("iapdesk %q: stdout %q, want %q in it", tc.args, out, want)
			}
		}
		if regexp.MustCompile(`(?m)^  -[a-z]`).MatchString(out) {
			t.Errorf("iapdesk %q: stdout %q lists a flag as -flag, want --flag", tc.args, out)
		}
		if strings.Contains(out, "demo-script") {
			t.Errorf("iapdesk %q: the help shows the screenshot script's hidden flag", tc.args)
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
		{[]string{"iap-rdp://host/p/z/vm"}, "Cannot open the iap-rdp link"},
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
