package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// ShellConfig configures a Shell.
type ShellConfig struct {
	// Term is $TERM on the VM; "" means xterm-256color.
	Term string
	// Cols and Rows are the terminal's size in cells; 0 means 80×24.
	Cols, Rows int
	// Command runs instead of a login shell when set.
	Command string
}

// Shell is an interactive session on a pseudo-terminal: what the terminal
// tab shows. Read returns the VM's output (stdout and stderr, as the
// terminal shows them); Write sends keystrokes. It ends when the remote
// shell exits or the connection ends; Close ends it early.
type Shell struct {
	s      *ssh.Session
	stdin  io.WriteCloser
	out    *io.PipeReader
	outW   *io.PipeWriter
	done   chan struct{}
	err    error // set before done is closed
	closed sync.Once
}

// Shell starts a shell (or cfg.Command) on a pseudo-terminal of cfg's
// size. ctx bounds the start only.
func (h *SSHClient) Shell(ctx context.Context, cfg ShellConfig) (*Shell, error) {
	if cfg.Term == "" {
		cfg.Term = "xterm-256color"
	}
	if cfg.Cols <= 0 || cfg.Rows <= 0 {
		cfg.Cols, cfg.Rows = 80, 24
	}
	s, err := h.newSession(ctx)
	if err != nil {
		return nil, err
	}
	sh := &Shell{s: s, done: make(chan struct{})}
	sh.out, sh.outW = io.Pipe()
	w := &lockedWriter{w: sh.outW}
	s.Stdout, s.Stderr = w, w
	if sh.stdin, err = s.StdinPipe(); err != nil {
		s.Close()
		return nil, fmt.Errorf("ssh shell on %s: %w", h.Request.Instance.Name, err)
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 115200, ssh.TTY_OP_OSPEED: 115200, ssh.IUTF8: 1}
	if err := s.RequestPty(cfg.Term, cfg.Rows, cfg.Cols, modes); err != nil {
		s.Close()
		return nil, fmt.Errorf("ssh pty on %s: %w", h.Request.Instance.Name, err)
	}
	if cfg.Command != "" {
		err = s.Start(cfg.Command)
	} else {
		err = s.Shell()
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("ssh shell on %s: %w", h.Request.Instance.Name, err)
	}
	untrack := h.cs.cfg.Connector.Track(SessionInfo{Kind: "Terminal", Target: h.Request.Instance.Name, Since: time.Now()})
	go func() {
		// Owned by the session: Wait returns once the channel is closed,
		// which Close and the connection's end both do.
		defer untrack()
		err := s.Wait()
		sh.err = shellEndError(err)
		sh.outW.Close()
		close(sh.done)
	}()
	return sh, nil
}

// newSession opens a session channel, bounded by ctx and the connection.
func (h *SSHClient) newSession(ctx context.Context) (*ssh.Session, error) {
	type result struct {
		s   *ssh.Session
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := h.c.client.NewSession()
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("ssh session on %s: %w", h.Request.Instance.Name, r.err)
		}
		return r.s, nil
	case <-ctx.Done():
		go func() { // the channel request ends with the connection at the latest
			if r := <-ch; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// ErrShellLost reports a shell whose channel closed without an exit
// status: the connection ended under it (SSHClient.Err says why), or it
// was closed.
var ErrShellLost = errors.New("ssh shell ended without an exit status")

// shellEndError is nil for a shell that exited (whatever its status),
// ErrShellLost for one that vanished, and the error otherwise.
func shellEndError(err error) error {
	var ee *ssh.ExitError
	if err == nil || errors.As(err, &ee) || errors.Is(err, io.EOF) {
		return nil
	}
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) {
		return ErrShellLost
	}
	return err
}

// Read reads the VM's output; it returns io.EOF once the shell has ended
// and everything it wrote has been read.
func (sh *Shell) Read(p []byte) (int, error) { return sh.out.Read(p) }

// Write sends input (keystrokes, pasted text) to the shell.
func (sh *Shell) Write(p []byte) (int, error) { return sh.stdin.Write(p) }

// Resize tells the VM the terminal's new size in cells (SSH window-change).
func (sh *Shell) Resize(cols, rows int) error {
	if cols <= 0 || rows <= 0 {
		return nil
	}
	return sh.s.WindowChange(rows, cols)
}

// Interrupt sends SIGINT to the remote process, for a client whose Ctrl+C
// cannot go through the terminal.
func (sh *Shell) Interrupt() error { return sh.s.Signal(ssh.SIGINT) }

// Done is closed when the shell has ended.
func (sh *Shell) Done() <-chan struct{} { return sh.done }

// Err is why the shell ended other than by exiting; valid after Done.
func (sh *Shell) Err() error { return sh.err }

// Close ends the session quietly (the remote shell gets SIGHUP) and stops
// Read. It does not wait on the network.
func (sh *Shell) Close() error {
	sh.closed.Do(func() {
		_ = sh.s.Close()
		_ = sh.out.CloseWithError(io.EOF)
	})
	return nil
}

// lockedWriter serialises ssh's stdout and stderr copies into one pipe.
type lockedWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
