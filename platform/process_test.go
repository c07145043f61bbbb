package platform

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func requireUnix(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" || hostOS == "" {
		t.Skip("needs /bin/sh and a supported OS")
	}
}

func testLauncher(t *testing.T, env ...string) *Launcher {
	t.Helper()
	l, err := New(Config{Logger: slog.New(slog.DiscardHandler), Env: env, TempDir: t.TempDir(), ConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func sh(script string, args ...string) []string {
	return append([]string{"/bin/sh", "-c", script, "sh"}, args...)
}

func TestRunPasswordOnStdin(t *testing.T) {
	requireUnix(t)
	const secret = "s3cr3t 'pw' $HOME"
	out := filepath.Join(t.TempDir(), "out")
	l := testLauncher(t, "OUT="+out)
	p, err := l.run(context.Background(), &plan{
		argv:  sh(`IFS= read -r pw; printf '%s' "$pw" > "$OUT"; sleep 1`),
		stdin: []byte(secret + "\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" {
		for _, f := range []string{"cmdline", "environ"} {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/" + f)
			if err != nil {
				t.Fatalf("read /proc/%d/%s: %v", p.Pid(), f, err)
			}
			if strings.Contains(string(b), "s3cr3t") {
				t.Errorf("/proc/%d/%s contains the password: %q", p.Pid(), f, b)
			}
		}
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("Wait() = %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != secret {
		t.Errorf("child read %q from stdin, want %q", b, secret)
	}
}

func TestRunExitError(t *testing.T) {
	requireUnix(t)
	p, err := testLauncher(t).run(context.Background(), &plan{argv: sh(`echo starting; echo "boom: no display" >&2; exit 7`)})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Wait()
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("Wait() = %v, want *ExitError", err)
	}
	if ee.Code != 7 || !strings.Contains(ee.Output, "starting") || !strings.HasSuffix(err.Error(), "boom: no display") {
		t.Errorf("ExitError = %+v (%q), want status 7 with the output", ee, err)
	}
}

func TestRunKill(t *testing.T) {
	requireUnix(t)
	p, err := testLauncher(t).run(context.Background(), &plan{argv: []string{"/bin/sh", "-c", "exec sleep 30"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("Kill() = %v", err)
	}
	err = p.Wait()
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != -1 {
		t.Errorf("Wait() after Kill = %v, want *ExitError with status -1", err)
	}
	if err := p.Kill(); err != nil {
		t.Errorf("second Kill() = %v, want nil", err)
	}
	select {
	case <-p.Exited():
	default:
		t.Error("Exited() not closed after Wait")
	}
}

func TestRunTempFile(t *testing.T) {
	requireUnix(t)
	out := filepath.Join(t.TempDir(), "out")
	l := testLauncher(t, "OUT="+out)
	p, err := l.run(context.Background(), &plan{
		argv:  sh(`{ ls -l "$1" | cut -c1-10; cat "$1"; echo "$1"; } > "$OUT"`, fileArg),
		files: []planFile{{pattern: "vm-1-*.rdp", content: []byte("full address:s:127.0.0.1:1\r\n")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 3 || lines[0] != "-rw-------" || lines[1] != "full address:s:127.0.0.1:1\r" {
		t.Fatalf("child saw %q, want a 0600 file with the content", b)
	}
	path := lines[2]
	if !strings.HasPrefix(filepath.Base(path), "vm-1-") || filepath.Dir(path) != l.tempDir {
		t.Errorf("file path %q, want vm-1-* in %s", path, l.tempDir)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file %s still exists after Wait (stat: %v)", path, err)
	}
}

func TestRunDetachedGrace(t *testing.T) {
	requireUnix(t)
	out := filepath.Join(t.TempDir(), "out")
	l := testLauncher(t, "OUT="+out)
	l.grace = time.Hour // only Kill can end it
	p, err := l.run(context.Background(), &plan{
		argv:     sh(`echo "$1" > "$OUT"`, fileArg),
		files:    []planFile{{pattern: "x-*.remmina", content: []byte("[remmina]\n")}},
		detached: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	b, _ := os.ReadFile(out)
	path := strings.TrimSpace(string(b))
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("file of a detached client gone right after its exit: %v", err)
	}
	if !p.Detached() {
		t.Error("Detached() = false")
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("Wait() = %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file %s still exists after Kill+Wait", path)
	}
}

// TestRunOutputHeldByChild checks that Wait does not wait for a grandchild
// that inherited the output (a browser started by xdg-open).
func TestRunOutputHeldByChild(t *testing.T) {
	requireUnix(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	t.Cleanup(func() { killPidFile(t, pidFile) })
	p, err := testLauncher(t, "PIDFILE="+pidFile).run(context.Background(), &plan{argv: sh(`sleep 30 & echo $! > "$PIDFILE"; echo started`)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Wait() = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait() blocked on a grandchild holding the output")
	}
}

func TestStartCredentialRelease(t *testing.T) {
	requireUnix(t)
	tests := []struct {
		name      string
		argv      []string
		hold      time.Duration
		whileLive bool // released while the process still runs
	}{
		{"released after the hold", []string{"/bin/sleep", "2"}, 50 * time.Millisecond, true},
		{"released at exit", []string{"/bin/true"}, time.Hour, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			var live atomic.Bool
			var p *Process
			started := make(chan struct{})
			release := func() {
				<-started
				calls.Add(1)
				select {
				case <-p.Exited():
				default:
					live.Store(true)
				}
			}
			opts := startOptions{env: os.Environ(), credHold: tc.hold, log: slog.New(slog.DiscardHandler)}
			var err error
			p, err = start(tc.argv, nil, false, false, sysAttr{}, opts, nil, release)
			if err != nil {
				t.Fatal(err)
			}
			close(started)
			if err := p.Wait(); err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 1 || live.Load() != tc.whileLive {
				t.Errorf("release called %d times, while running %v; want once, %v", calls.Load(), live.Load(), tc.whileLive)
			}
		})
	}
}

func TestLaunchErrors(t *testing.T) {
	requireUnix(t)
	l := testLauncher(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Launch(ctx, URLSpec{URL: "http://127.0.0.1/"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Launch(cancelled) = %v, want context.Canceled", err)
	}
	if _, err := l.Launch(context.Background(), nil); err == nil {
		t.Error("Launch(nil) = nil error")
	}
	if _, err := l.run(context.Background(), &plan{argv: []string{"/nonexistent/prog"}}); err == nil {
		t.Error("run(/nonexistent/prog) = nil error")
	}
	if _, err := New(Config{Env: []string{"NOEQUALS"}}); err == nil {
		t.Error(`New(Env "NOEQUALS") = nil error`)
	}
}

func TestRunCreatesDirs(t *testing.T) {
	requireUnix(t)
	dir := filepath.Join(t.TempDir(), "a", "b")
	p, err := testLauncher(t).run(context.Background(), &plan{argv: []string{"/bin/true"}, dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir %s: %v, %v; want 0700", dir, fi, err)
	}
}
