package platform

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Process is a launched client program (RDP client, terminal, browser
// opener). The goroutine that reaps it is owned by the Process: Wait returns
// only after it has finished and the launch's temporary files and
// credentials are gone. Callers must eventually call Wait (Kill first to end
// the client early).
type Process struct {
	program  string   // resolved path of argv[0]
	args     []string // argv[1:]; never contains a secret
	detached bool
	prompts  bool
	pid      int
	cmd      *exec.Cmd
	out      *os.File // stdout+stderr of the program; unlinked where the OS allows
	outPath  string   // non-empty while out still has to be removed (Windows)
	log      *slog.Logger

	exited chan struct{} // closed when the OS process has exited
	done   chan struct{} // closed after exited and cleanup
	kill   chan struct{} // closed by the first Kill; ends a detached grace early
	once   sync.Once     // guards close(kill)
	err    error         // exit result; written before exited is closed
}

// Pid returns the OS process id.
func (p *Process) Pid() int { return p.pid }

// Argv returns the command line the client was started with. It never
// contains a password.
func (p *Process) Argv() []string { return append([]string{p.program}, p.args...) }

// Detached reports that the started program may hand the session to another,
// already running process and exit early (gnome-terminal without --wait,
// Windows Terminal, osascript, Remmina talking to its running instance). Its
// exit then says nothing about the session, so a caller must not close the
// session's tunnel because Wait returned.
func (p *Process) Detached() bool { return p.detached }

// PromptsForPassword reports that the client was started without the
// password and asks the user for it (Remmina, Windows App on macOS).
func (p *Process) PromptsForPassword() bool { return p.prompts }

// Exited is closed when the OS process has exited (cleanup may still run).
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Wait blocks until the process has exited and its temporary files and
// credentials have been removed. It returns nil on exit status 0, an
// *ExitError otherwise.
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// Kill ends the process (not its children: a terminal's shell gets SIGHUP from
// the closed pty). Killing an exited process is not an error.
func (p *Process) Kill() error {
	p.once.Do(func() { close(p.kill) })
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s (pid %d): %w", p.program, p.pid, err)
	}
	return nil
}

// LogValue describes the process for slog.
func (p *Process) LogValue() slog.Value {
	return slog.GroupValue(slog.String("program", p.program), slog.Int("pid", p.pid),
		slog.Bool("detached", p.detached))
}

// startOptions are the OS-independent parts of starting a plan.
type startOptions struct {
	env      []string      // full environment
	grace    time.Duration // how long a detached client's files outlive its exit
	credHold time.Duration // how long a handed-over credential is kept at most
	log      *slog.Logger
}

// start runs argv (argv[0] already resolved) and returns the Process. stdin,
// when not nil, is written to the process's standard input after it started,
// then the pipe is closed: this is how a password reaches FreeRDP. cleanup
// runs after exit (after opts.grace for a detached program). releaseCred, when
// not nil, runs at exit or after opts.credHold, whichever comes first.
func start(argv []string, stdin []byte, detached, prompts bool, sys sysAttr, opts startOptions,
	cleanup func(), releaseCred func()) (*Process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = opts.env
	// Output goes to a file, not a pipe: a pipe would make Wait block until
	// every child holding it (a browser started by xdg-open, a shell) exits.
	out, err := os.CreateTemp("", "iapdesk-client-*.log")
	if err != nil {
		return nil, fmt.Errorf("create output file for %s: %w", argv[0], err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	applySysAttr(cmd, sys)
	var in interface {
		Write([]byte) (int, error)
		Close() error
	}
	if stdin != nil {
		w, err := cmd.StdinPipe()
		if err != nil {
			closeRemove(out, out.Name())
			return nil, fmt.Errorf("stdin pipe for %s: %w", argv[0], err)
		}
		in = w
	}
	if err := cmd.Start(); err != nil {
		closeRemove(out, out.Name())
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p := &Process{
		program: argv[0], args: argv[1:], detached: detached, prompts: prompts,
		pid: cmd.Process.Pid, cmd: cmd, out: out, log: opts.log,
		exited: make(chan struct{}), done: make(chan struct{}), kill: make(chan struct{}),
	}
	if os.Remove(out.Name()) != nil {
		p.outPath = out.Name() // Windows: an open file cannot be removed
	}
	go p.reap(opts, cleanup, releaseCred)
	if in != nil {
		// The pipe buffer holds a password line easily, so Write does not
		// block on a client that is slow to read it.
		_, werr := in.Write(stdin)
		cerr := in.Close()
		if err := errors.Join(werr, cerr); err != nil {
			_ = p.Kill()
			_ = p.Wait()
			return nil, fmt.Errorf("hand the password to %s on stdin: %w", argv[0], err)
		}
	}
	opts.log.Info("client started", slog.Any("process", p))
	return p, nil
}

// reap waits for the process, releases the credential at exit or after
// credHold, keeps a detached client's files for the grace period, cleans up
// and closes done.
func (p *Process) reap(opts startOptions, cleanup, releaseCred func()) {
	defer close(p.done)
	waited := make(chan error, 1)
	go func() { waited <- p.cmd.Wait() }() // ends when the process exits; received below
	var hold <-chan time.Time
	if releaseCred != nil {
		t := time.NewTimer(opts.credHold)
		defer t.Stop()
		hold = t.C
	}
	var err error
loop:
	for {
		select {
		case <-hold:
			releaseCred()
			releaseCred, hold = nil, nil
		case err = <-waited:
			break loop
		}
	}
	p.err = p.exitError(err)
	close(p.exited)
	if releaseCred != nil {
		releaseCred()
	}
	if p.err != nil {
		opts.log.Info("client exited", slog.Any("process", p), slog.String("error", p.err.Error()))
	} else {
		opts.log.Info("client exited", slog.Any("process", p))
	}
	if p.detached && cleanup != nil && opts.grace > 0 {
		// The running instance the program handed over to may read the
		// files only now.
		t := time.NewTimer(opts.grace)
		select {
		case <-t.C:
		case <-p.kill:
		}
		t.Stop()
	}
	if cleanup != nil {
		cleanup()
	}
	closeRemove(p.out, p.outPath)
}

// closeRemove closes f and removes path unless it is empty.
func closeRemove(f *os.File, path string) {
	_ = f.Close()
	if path != "" {
		_ = os.Remove(path)
	}
}

func (p *Process) exitError(err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Program: p.program, Code: ee.ExitCode(), Output: p.output(), Err: ee}
	}
	return fmt.Errorf("wait for %s: %w", p.program, err)
}

// outputTail is how much of a client's output an ExitError carries.
const outputTail = 8 << 10

// output returns the last outputTail bytes the program printed.
func (p *Process) output() string {
	fi, err := p.out.Stat()
	if err != nil {
		return ""
	}
	off := max(fi.Size()-outputTail, 0)
	buf := make([]byte, fi.Size()-off)
	n, _ := p.out.ReadAt(buf, off)
	return string(buf[:n])
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
