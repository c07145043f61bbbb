package platform

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestBrowserArgv(t *testing.T) {
	const u = "https://accounts.google.com/o/oauth2/auth?client_id=x&state=y%20z"
	tests := []struct {
		goos string
		want []string
	}{
		{"linux", []string{"xdg-open", u}},
		{"darwin", []string{"open", u}},
		{"windows", []string{"rundll32", "url.dll,FileProtocolHandler", u}},
	}
	for _, tc := range tests {
		got, err := BrowserArgv(tc.goos, u)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("BrowserArgv(%s) = %q, %v, want %q", tc.goos, got, err, tc.want)
		}
	}
	if _, err := BrowserArgv("plan9", u); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("BrowserArgv(plan9) error = %v, want errors.ErrUnsupported", err)
	}
	for _, bad := range []string{
		"file:///etc/passwd", "javascript:alert(1)", "ms-settings:", "-n http://x/", "http:///nohost",
		"http://a b/", "http://x/\nfoo", "", "iap-rdp://x",
	} {
		if got, err := BrowserArgv("linux", bad); err == nil {
			t.Errorf("BrowserArgv(%q) = %q, want an error", bad, got)
		}
	}
}

func TestRedactURL(t *testing.T) {
	if got := redactURL("https://a/b?code=secret#x"); got != "https://a/b?…" {
		t.Errorf("redactURL() = %q", got)
	}
}

// fakeProgram writes an executable shell script and returns its path.
func fakeProgram(t *testing.T, name, script string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts as fake programs need a Unix")
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenURL(t *testing.T) {
	if hostOS == "" {
		t.Skip("no browser opener on this OS")
	}
	opener := map[string]string{"linux": "xdg-open", "darwin": "open", "windows": "rundll32"}[hostOS]
	const u = "http://127.0.0.1:8080/?a=1&b=2"
	tests := []struct {
		name    string
		script  string // $OUT is a file the script may write
		wantErr bool
		wantOut string
	}{
		{"opens", `printf '%s' "$1" > "$OUT"`, false, u},
		{"opener fails", `echo "xdg-open: no method available for opening '$1'" >&2; exit 3`, true, ""},
		{"browser stays in the foreground", `printf '%s' "$1" > "$OUT"; echo $$ > "$OUT.pid"; exec sleep 30`, false, u},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			prog := fakeProgram(t, opener, tc.script)
			l := newFakeLauncher(t, fakeSystem{programs: map[string]string{opener: prog}}, Config{Env: []string{"OUT=" + out}})
			l.settle = 500 * time.Millisecond
			t.Cleanup(func() { killPidFile(t, out+".pid") })
			err := l.OpenURL(context.Background(), u)
			if (err != nil) != tc.wantErr {
				t.Fatalf("OpenURL(%q) = %v, want error %v", u, err, tc.wantErr)
			}
			if tc.wantErr {
				var ee *ExitError
				if !errors.As(err, &ee) || ee.Code != 3 || !strings.Contains(err.Error(), "no method available") {
					t.Errorf("OpenURL() error = %v, want *ExitError with status 3 and the opener's message", err)
				}
				return
			}
			got, _ := os.ReadFile(out)
			if string(got) != tc.wantOut {
				t.Errorf("opener got URL %q, want %q", got, tc.wantOut)
			}
		})
	}
	t.Run("bad url", func(t *testing.T) {
		if err := OpenURL(context.Background(), "file:///etc/passwd"); err == nil {
			t.Error("OpenURL(file:///etc/passwd) = nil, want an error")
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := OpenURL(ctx, u); !errors.Is(err, context.Canceled) {
			t.Errorf("OpenURL(cancelled) = %v, want context.Canceled", err)
		}
	})
}

// killPidFile kills the process whose pid a fake program wrote to path, if
// any.
func killPidFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Errorf("pid file %s: %v", path, err)
		return
	}
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
