// Package systest starts real system programs for end-to-end tests: an
// OpenSSH server on a loopback port, an Xvfb display. Each helper registers
// its own cleanup, so a test never leaves a daemon behind.
//
// Programs are looked up on PATH (or at their Debian location). When one is
// missing the test is skipped with the reason, except under CI (CI=1), where a
// missing program is a failure: `make test` installs them all.
package systest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Require returns the path of each program, or skips (fails under CI) when
// one is missing. A name with a slash is checked as a path.
func Require(t testing.TB, programs ...string) []string {
	t.Helper()
	var paths []string
	for _, p := range programs {
		var path string
		var err error
		if strings.Contains(p, "/") {
			_, err = os.Stat(p)
			path = p
		} else {
			path, err = exec.LookPath(p)
		}
		if err != nil {
			msg := fmt.Sprintf("%s is not installed (%v); `make deps` installs it", p, err)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		paths = append(paths, path)
	}
	return paths
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitListening polls addr until it accepts a TCP connection or d passes.
func WaitListening(t testing.TB, addr string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not listening after %v: %v", addr, d, err)
		}
		time.Sleep(20 * time.Millisecond) // polling an external process; nothing to wait on
	}
}

// run runs a command and fails the test with its output on error.
func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// userName is the current OS user's login name.
func userName(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("id", "-un").Output()
	if err != nil {
		t.Fatalf("id -un: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// tempDir is a private (0700) temporary directory removed after the test.
func tempDir(t testing.TB) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
