package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Spec says what Launch starts: an RDPSpec, SSHSpec, AppSpec or URLSpec.
type Spec interface {
	spec() // sealed: only this package's specs
}

// Config configures a Launcher. The zero value uses the real system.
type Config struct {
	// Logger receives client start/exit events (never secrets). Default
	// slog.Default().
	Logger *slog.Logger

	// LookPath finds programs on PATH. Default exec.LookPath.
	LookPath func(file string) (string, error)

	// Env is added to the environment of launched programs ("KEY=value";
	// it wins over the inherited environment) and is also what $TERMINAL
	// and $WAYLAND_DISPLAY are looked up in first.
	Env []string

	// ConfigDir is iapdesk's configuration directory; SSH host keys go to
	// ConfigDir/known_hosts. Default os.UserConfigDir()/iapdesk.
	ConfigDir string

	// TempDir receives the temporary .rdp/.remmina files (mode 0600,
	// removed after the client exits). Default os.TempDir().
	TempDir string

	// RDPClient picks the Linux RDP client: "" tries FreeRDP and then
	// Remmina, "freerdp" or "remmina" insists on one.
	RDPClient string

	// Terminal picks the terminal: "" finds one (see FindTerminal), or a
	// kind name ("kitty", "iterm2", "wt", "console", …) or a program path.
	Terminal string

	// DetachedGrace is how long the files of a Detached client outlive its
	// exit, so that the running instance it handed over to can read them.
	// Default 10s.
	DetachedGrace time.Duration

	// CredentialHold is how long a credential handed to mstsc through the
	// Windows Credential Manager is kept at most (it is removed when mstsc
	// exits, or after this, whichever is first). Default 30s.
	CredentialHold time.Duration
}

// Launcher starts RDP clients, terminals running ssh, client applications
// and the browser. It is safe for concurrent use.
type Launcher struct {
	log      *slog.Logger
	lookPath func(string) (string, error)
	stat     func(string) error // existence of macOS .app bundles
	// evalSymlinks resolves x-terminal-emulator to the emulator it links to.
	evalSymlinks func(string) (string, error)
	env          []string
	configDir    string
	tempDir      string
	rdpClient    string
	terminal     string
	grace        time.Duration
	credHold     time.Duration
	settle       time.Duration // how long OpenURL waits for the opener to fail
}

// New returns a Launcher for cfg.
func New(cfg Config) (*Launcher, error) {
	l := &Launcher{
		log: cfg.Logger, lookPath: cfg.LookPath, env: cfg.Env, configDir: cfg.ConfigDir,
		tempDir: cfg.TempDir, rdpClient: cfg.RDPClient, terminal: cfg.Terminal,
		grace: cfg.DetachedGrace, credHold: cfg.CredentialHold, settle: openerSettle,
		stat:         func(p string) error { _, err := os.Stat(p); return err },
		evalSymlinks: filepath.EvalSymlinks,
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.lookPath == nil {
		l.lookPath = exec.LookPath
	}
	if l.grace == 0 {
		l.grace = 10 * time.Second
	}
	if l.credHold == 0 {
		l.credHold = 30 * time.Second
	}
	switch l.rdpClient {
	case "", "freerdp", "remmina":
	default:
		return nil, fmt.Errorf("RDP client %q: choose \"freerdp\", \"remmina\" or leave it empty", cfg.RDPClient)
	}
	for _, kv := range cfg.Env {
		if !strings.Contains(kv, "=") {
			return nil, fmt.Errorf("environment entry %q: want KEY=value", kv)
		}
	}
	if l.configDir == "" {
		d, err := os.UserConfigDir()
		if err == nil {
			l.configDir = filepath.Join(d, "iapdesk")
		}
	}
	return l, nil
}

// Launch starts the client for spec and returns at once; the client runs
// until the user closes it. ctx bounds only the launch itself (writing files,
// waiting for the credential store), not the client: use Process.Kill to end
// it. A missing program is reported as a *NotFoundError saying what to
// install. Secrets never appear on the command line: FreeRDP reads the
// password from a stdin pipe, mstsc from the Windows Credential Manager, and
// Remmina and Windows App ask the user (Process.PromptsForPassword).
func (l *Launcher) Launch(ctx context.Context, spec Spec) (*Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := l.buildPlan(hostOS, spec)
	if err != nil {
		return nil, err
	}
	return l.run(ctx, p)
}

// plan is everything needed to start one client; building it is pure.
type plan struct {
	argv     []string // argv[0] resolved; "{file}" stands for files[0]'s path
	stdin    []byte   // written to the client's stdin after start (a password line)
	files    []planFile
	detached bool
	prompts  bool // the client asks the user for the password
	sys      sysAttr
	cred     *credential
	dirs     []string // created (0700) before the start when missing
}

// fileArg is replaced in plan.argv by the path of the temporary file.
const fileArg = "{file}"

// planFile is a temporary file written (0600) before the start and removed
// after the exit.
type planFile struct {
	pattern string // os.CreateTemp pattern, e.g. "web-1-*.rdp"
	content []byte
}

// credential is a login handed to mstsc through the Windows Credential
// Manager.
type credential struct {
	target   string // "TERMSRV/127.0.0.1"
	user     string
	password Password
}

// sysAttr are OS process attributes.
type sysAttr struct {
	newConsole bool // Windows: give the process its own console window
}

func (l *Launcher) buildPlan(goos string, spec Spec) (*plan, error) {
	switch goos {
	case "linux", "darwin", "windows":
	default:
		return nil, fmt.Errorf("launch a client on %q: %w", goos, errors.ErrUnsupported)
	}
	switch s := spec.(type) {
	case RDPSpec:
		return l.rdpPlan(goos, s)
	case SSHSpec:
		return l.sshPlan(goos, s)
	case AppSpec:
		return l.appPlan(goos, s)
	case URLSpec:
		argv, err := BrowserArgv(goos, s.URL)
		if err != nil {
			return nil, err
		}
		if argv[0], err = l.find(goos, argv[0]); err != nil {
			return nil, err
		}
		return &plan{argv: argv, detached: true}, nil
	case nil:
		return nil, errors.New("launch: no spec")
	}
	return nil, fmt.Errorf("launch %T: %w", spec, errors.ErrUnsupported)
}

// find resolves a program on PATH, or returns a *NotFoundError naming the
// package that provides it on goos.
func (l *Launcher) find(goos, program string) (string, error) {
	p, err := l.lookPath(program)
	if err != nil {
		return "", &NotFoundError{Program: program, Package: packageFor(goos, program)}
	}
	return p, nil
}

// getenv looks key up in Config.Env, then in the process environment.
func (l *Launcher) getenv(key string) string {
	for i := len(l.env) - 1; i >= 0; i-- {
		if k, v, _ := strings.Cut(l.env[i], "="); k == key {
			return v
		}
	}
	return os.Getenv(key)
}

// run writes the plan's files, hands over its credential and starts it.
func (l *Launcher) run(ctx context.Context, p *plan) (*Process, error) {
	var paths []string
	cleanup := func() {
		for _, path := range paths {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				l.log.Warn("remove temporary file", slog.String("path", path), slog.String("error", err.Error()))
			}
		}
	}
	for _, d := range p.dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	argv := append([]string(nil), p.argv...)
	for _, f := range p.files {
		path, err := writeTemp(l.tempDir, f.pattern, f.content)
		if err != nil {
			cleanup()
			return nil, err
		}
		paths = append(paths, path)
	}
	for i, a := range argv {
		if strings.Contains(a, fileArg) && len(paths) > 0 {
			argv[i] = strings.ReplaceAll(a, fileArg, paths[0])
		}
	}
	var release func()
	if p.cred != nil {
		r, err := writeCredential(ctx, p.cred)
		if err != nil {
			cleanup()
			return nil, err
		}
		release = func() {
			if err := r(); err != nil {
				l.log.Warn("remove handed-over credential", slog.String("target", p.cred.target), slog.String("error", err.Error()))
			}
		}
	}
	opts := startOptions{env: append(os.Environ(), l.env...), grace: l.grace, credHold: l.credHold, log: l.log}
	var after func() // nil without files: a detached opener then needs no grace period
	if len(paths) > 0 {
		after = cleanup
	}
	proc, err := start(argv, p.stdin, p.detached, p.prompts, p.sys, opts, after, release)
	if err != nil {
		if release != nil {
			release()
		}
		cleanup()
		return nil, err
	}
	return proc, nil
}

// writeTemp writes content to a new 0600 file in dir and returns its path.
func writeTemp(dir, pattern string, content []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", fmt.Errorf("create temporary file: %w", err)
	}
	path := f.Name()
	err = f.Chmod(0o600)
	if err == nil || errors.Is(err, errors.ErrUnsupported) {
		_, err = f.Write(content)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("write temporary file %s: %w", path, err)
	}
	return path, nil
}
