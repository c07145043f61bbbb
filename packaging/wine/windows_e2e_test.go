package wine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"iapdesk/platform/systest"
)

// The environment the Makefile's test-windows target hands the tests.
const (
	// envExe is the iapdesk.exe under test: the one `make package-windows`
	// built (GUI subsystem, icon, manifest, release flags).
	envExe = "IAPDESK_WINE_EXE"
	// envDir is where the throwaway Wine prefix and the tests' own Windows
	// programs go; default build/wine at the repository root.
	envDir = "IAPDESK_WINE_DIR"
	// envVersion is the version the exe was stamped with, if known.
	envVersion = "IAPDESK_WINE_VERSION"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := stopWine(); err != nil {
		fmt.Fprintln(os.Stderr, "wineserver -k:", err)
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// wineEnv is the Wine prefix the tests run Windows programs in, set up once
// per test binary (see requireWine) and stopped by TestMain.
type wineEnv struct {
	exe    string   // iapdesk.exe, Unix path
	probe  string   // probe.exe (packaging/wine/probe), Unix path
	root   string   // envDir
	prefix string   // WINEPREFIX, under root
	base   []string // environment of every Wine process
	// appData and localAppData are %APPDATA% and %LOCALAPPDATA% as Unix
	// paths inside the prefix, appDataWin and localAppDataWin as Windows
	// sees them.
	appData, localAppData       string
	appDataWin, localAppDataWin string
}

var wine struct {
	once sync.Once
	env  *wineEnv
	err  error
}

// requireWine returns the set-up prefix, or skips (fails under CI=1) when
// iapdesk.exe or Wine is missing.
func requireWine(t *testing.T) *wineEnv {
	t.Helper()
	exe := os.Getenv(envExe)
	if exe == "" {
		msg := envExe + " is not set: `make test-windows` builds iapdesk.exe and runs these tests under Wine"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	systest.Require(t, "wine", "wineboot", "wineserver", "x86_64-w64-mingw32-gcc")
	wine.once.Do(func() { wine.env, wine.err = setupWine(exe) }) // env is set on error too, for stopWine
	if wine.err != nil {
		t.Fatalf("set up the Wine prefix: %v", wine.err)
	}
	return wine.env
}

// setupWine makes a fresh prefix: wineboot, the bcryptprimitives.dll shim
// Go needs (shim/bcryptprimitives.c), and the probe, also installed as
// system32\mstsc.exe and system32\ssh.exe, which Wine does not have.
func setupWine(exe string) (*wineEnv, error) {
	exe, err := filepath.Abs(exe)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(exe); err != nil {
		return nil, err
	}
	root := os.Getenv(envDir)
	if root == "" {
		root = filepath.Join("..", "..", "build", "wine")
	}
	if root, err = filepath.Abs(root); err != nil {
		return nil, err
	}
	w := &wineEnv{exe: exe, root: root, prefix: filepath.Join(root, "prefix"), probe: filepath.Join(root, "probe.exe")}
	home := filepath.Join(root, "home")
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "DISPLAY" || k == "WAYLAND_DISPLAY": // headless unless a test adds DISPLAY
		case strings.HasPrefix(k, "WINE"):
		case k == "HOME" || strings.HasPrefix(k, "XDG_"):
		default:
			w.base = append(w.base, kv)
		}
	}
	w.base = append(w.base,
		"WINEPREFIX="+w.prefix, "WINEARCH=win64", "WINEDEBUG=-all",
		// No Mono or Gecko install dialog (iapdesk needs neither), and no
		// menu entries or file associations for the desktop.
		"WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d",
		// What Wine writes outside the prefix stays in the throwaway
		// directory too.
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// A wineserver left on the old prefix (an interrupted run) goes first.
	_ = w.tool(ctx, "wineserver", "-k").Run()
	for _, d := range []string{w.prefix, home} {
		if err := os.RemoveAll(d); err != nil {
			return w, err
		}
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return w, err
	}
	if out, err := w.tool(ctx, "wineboot", "-i").CombinedOutput(); err != nil {
		return w, fmt.Errorf("wineboot -i: %w\n%s", err, out)
	}
	if err := w.restartServer(ctx); err != nil {
		return w, err
	}
	sys32 := filepath.Join(w.prefix, "drive_c", "windows", "system32")
	dll := filepath.Join(root, "bcryptprimitives.dll")
	if out, err := exec.CommandContext(ctx, "x86_64-w64-mingw32-gcc", "-shared", "-O2", "-s", "-o", dll,
		filepath.Join("shim", "bcryptprimitives.c"), "-ladvapi32").CombinedOutput(); err != nil {
		return w, fmt.Errorf("build the bcryptprimitives.dll shim: %w\n%s", err, out)
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", w.probe, "./probe")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return w, fmt.Errorf("build probe.exe: %w\n%s", err, out)
	}
	for dst, src := range map[string]string{"bcryptprimitives.dll": dll, "mstsc.exe": w.probe, "ssh.exe": w.probe} {
		if err := copyFile(src, filepath.Join(sys32, dst)); err != nil {
			return w, err
		}
	}
	for name, dst := range map[string][2]*string{
		"APPDATA":      {&w.appDataWin, &w.appData},
		"LOCALAPPDATA": {&w.localAppDataWin, &w.localAppData},
	} {
		out, err := w.command(ctx, "cmd.exe", "/c", "echo %"+name+"%").Output()
		if err != nil {
			return w, fmt.Errorf("cmd /c echo %%%s%%: %w", name, err)
		}
		*dst[0] = strings.TrimSpace(string(out))
		if *dst[1], err = w.unixPath(*dst[0]); err != nil {
			return w, fmt.Errorf("%%%s%%: %w", name, err)
		}
	}
	return w, nil
}

// stopWine ends the prefix's wineserver and every Wine process in it: CI
// leaves no daemon behind.
func stopWine() error {
	if wine.env == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := wine.env.tool(ctx, "wineserver", "-k").CombinedOutput(); err != nil && !isExit(err, 1) {
		return fmt.Errorf("%w: %s", err, out) // 1: no wineserver was running
	}
	return nil
}

// restartServer stops the prefix's wineserver, which writes the registry
// to its files, and every Wine process, then starts a persistent one (left
// alone, a wineserver exits 3 s after its last process, and a command
// started just then can meet a server on its way out) and Wine's own
// services, with env added (DISPLAY for the window).
func (w *wineEnv) restartServer(ctx context.Context, env ...string) error {
	if out, err := w.tool(ctx, "wineserver", "-k").CombinedOutput(); err != nil && !isExit(err, 1) {
		return fmt.Errorf("wineserver -k: %w: %s", err, out) // 1: none was running
	}
	// Stdout and stderr stay nil (/dev/null): the server goes to the
	// background with them, and a pipe would stay open.
	if err := w.tool(ctx, "wineserver", "-p").Run(); err != nil {
		return fmt.Errorf("wineserver -p: %w", err)
	}
	// The first Wine process starts the services (services.exe,
	// winedevice.exe…), which keep its standard handles: start them from
	// one whose are /dev/null, not a test's pipes.
	boot := w.tool(ctx, "wineboot")
	boot.Env = append(boot.Env, env...)
	if err := boot.Run(); err != nil {
		return fmt.Errorf("wineboot: %w", err)
	}
	return nil
}

func isExit(err error, code int) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == code
}

// tool runs a Wine tool (wineboot, wineserver) on the prefix.
func (w *wineEnv) tool(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = slices.Clone(w.base)
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// command runs the Windows program exe (a Unix path, or a program Wine
// finds such as cmd.exe) under Wine. Wine's process is the one started, so
// cancelling ctx kills the Windows program.
func (w *wineEnv) command(ctx context.Context, exe string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "wine", append([]string{exe}, args...)...)
	cmd.Env = slices.Clone(w.base)
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// iapdesk runs iapdesk.exe ARGS… under Wine.
func (w *wineEnv) iapdesk(ctx context.Context, args ...string) *exec.Cmd {
	return w.command(ctx, w.exe, args...)
}

// winPath is the Windows path of a Unix path: Wine's Z: drive is /.
func winPath(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return `Z:` + strings.ReplaceAll(abs, "/", `\`)
}

// unixPath maps a C: or Z: path to the Unix file it is.
func (w *wineEnv) unixPath(p string) (string, error) {
	if len(p) < 3 || p[1] != ':' || p[2] != '\\' {
		return "", fmt.Errorf("%q is not an absolute Windows path", p)
	}
	rest := strings.ReplaceAll(p[3:], `\`, "/")
	switch strings.ToUpper(p[:1]) {
	case "C":
		return filepath.Join(w.prefix, "drive_c", rest), nil
	case "Z":
		return "/" + rest, nil
	}
	return "", fmt.Errorf("%q: drive %s is not mapped by the test prefix", p, p[:2])
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return out.Close()
}

// TestE2EWindowsVersion: `iapdesk.exe version` under Wine prints the
// version it was built with, for windows/amd64; and the exe, a GUI-subsystem
// program, gets its output to the shell it was started from: through
// pipes (scripts, ProxyCommand) and in a console (cmd.exe on a terminal),
// both with the console's handles (as Wine starts it) and without any (as
// Windows does: then it attaches to the console itself).
func TestE2EWindowsVersion(t *testing.T) {
	w := requireWine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var stderr bytes.Buffer
	cmd := w.iapdesk(ctx, "version")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("iapdesk.exe version: %v\n%s%s", err, out, stderr.String())
	}
	want := `^iapdesk \S+ \(commit \S+, go1\.\d+(\.\d+)?, windows/amd64\)\r?\n$`
	if v := os.Getenv(envVersion); v != "" {
		want = `^iapdesk ` + regexp.QuoteMeta(v) + ` \(commit \S+, go1\.\d+(\.\d+)?, windows/amd64\)\r?\n$`
	}
	if !regexp.MustCompile(want).Match(out) {
		t.Errorf("iapdesk.exe version = %q, want a line matching %s", out, want)
	}

	// In a console: cmd.exe on a pseudo-terminal (script(1) makes one), as
	// a user types it in a Command Prompt. Wine hands a GUI program the
	// console's handles; Windows does not, and the exe must attach to the
	// console of the program that started it: "probe gui" starts it that
	// way, without standard handles.
	script := systest.Require(t, "script")[0]
	tests := []struct {
		name, args string
		gui        bool
		want       string
	}{
		{"version", "version", false, "iapdesk "},
		{"--help", "--help", false, "usage: iapdesk"},
		{"unknown command", "frobnicate", false, `unknown command "frobnicate"`},
		{"tunnel --help", "tunnel --help", false, "usage: iapdesk tunnel"},
		{"no handles version", "version", true, "iapdesk "},
		{"no handles --help", "--help", true, "usage: iapdesk"},
		{"no handles unknown command", "frobnicate", true, `unknown command "frobnicate"`},
		{"no handles tunnel --help", "tunnel --help", true, "usage: iapdesk tunnel"},
		{"no handles auth --help", "auth --help", true, "usage: iapdesk auth"},
	}
	for _, tc := range tests {
		t.Run("console "+tc.name, func(t *testing.T) {
			line := fmt.Sprintf("wine cmd.exe /c %s %s", shellQuote(winPath(t, w.exe)), tc.args)
			if tc.gui {
				line = fmt.Sprintf("wine cmd.exe /c %s gui %s %s", shellQuote(winPath(t, w.probe)), shellQuote(winPath(t, w.exe)), tc.args)
			}
			cmd := exec.CommandContext(ctx, script, "-qefc", line, "/dev/null")
			cmd.Env = slices.Clone(w.base)
			cmd.WaitDelay = 10 * time.Second
			out, err := cmd.CombinedOutput()
			if err != nil && !isExit(err, 2) {
				t.Fatalf("%s in a console: %v\n%s", tc.args, err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("iapdesk.exe %s in a console printed %q, want it to contain %q", tc.args, out, tc.want)
			}
		})
	}
}

// shellQuote quotes s for sh -c.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
