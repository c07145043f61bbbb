package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"
)

// The demo's servers have no listening TCP socket: the relay reaches each
// through Config.Dial, over an in-memory pipe (pipeListener, the built-in
// SSH server) or the standard streams of a process started for that one
// connection (procConn, sshd -i). Other local users cannot connect to what
// has no address.

// pipeAddr is the address of either end of an in-memory or process pipe.
type pipeAddr string

// Network is "pipe".
func (pipeAddr) Network() string { return "pipe" }

// String names the server behind the pipe.
func (a pipeAddr) String() string { return string(a) }

// pipeListener is a net.Listener whose connections come from dial over
// net.Pipe, for an http.Server in this process.
type pipeListener struct {
	name  string
	conns chan net.Conn
	done  chan struct{} // closed by Close
	once  sync.Once
}

var _ net.Listener = (*pipeListener)(nil)

func newPipeListener(name string) *pipeListener {
	return &pipeListener{name: name, conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the server end of the next dial.
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and dial fail; it leaves accepted connections alone.
func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr names the server.
func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.name) }

// dial connects to the server: it returns the client end of a pipe once
// Accept has taken the other.
func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		err := net.ErrClosed
		client.Close()
		server.Close()
		return nil, fmt.Errorf("dial %s: %w", l.name, err)
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, fmt.Errorf("dial %s: %w", l.name, ctx.Err())
	}
}

// procConn is a connection to a process that serves exactly one
// connection on its standard input and output (sshd -i, as inetd runs
// it). It owns the process: Close ends it and waits for it.
type procConn struct {
	name   string
	cmd    *exec.Cmd
	stdin  *os.File      // the write end of the process's stdin
	stdout *os.File      // the read end of its stdout
	exited chan struct{} // closed by the goroutine that waits for cmd
	once   sync.Once     // guards the shutdown in Close
}

var _ net.Conn = (*procConn)(nil)

// procExitGrace is how long Close waits for the process to exit on its
// own, after end of file on its stdin, before it kills it.
const procExitGrace = 5 * time.Second

// startProcConn starts cmd with pipes as its stdin and stdout (cmd.Stdin
// and cmd.Stdout must be nil) and returns the connection to it.
func startProcConn(name string, cmd *exec.Cmd) (*procConn, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	// *os.File streams go to the child as they are: Wait starts no copying
	// goroutine and closes none of this process's ends.
	cmd.Stdin, cmd.Stdout = inR, outW
	err = cmd.Start()
	inR.Close() // the child's ends: it holds its own copies now
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &procConn{name: name, cmd: cmd, stdin: inW, stdout: outR, exited: make(chan struct{})}
	go func() { // owned by c: Close waits for it
		_ = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// Read reads what the process writes to its stdout.
func (c *procConn) Read(b []byte) (int, error) { return c.stdout.Read(b) }

// Write writes to the process's stdin.
func (c *procConn) Write(b []byte) (int, error) { return c.stdin.Write(b) }

// Close closes both pipes (the process sees end of file, then a broken
// pipe), waits procExitGrace for the process to exit and kills it if it
// has not. It returns once the process has exited.
func (c *procConn) Close() error {
	c.once.Do(func() {
		c.stdin.Close()
		c.stdout.Close()
		t := time.NewTimer(procExitGrace)
		defer t.Stop()
		select {
		case <-c.exited:
		case <-t.C:
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	})
	<-c.exited
	return nil
}

// LocalAddr names the process.
func (c *procConn) LocalAddr() net.Addr { return pipeAddr(c.name) }

// RemoteAddr names the process.
func (c *procConn) RemoteAddr() net.Addr { return pipeAddr(c.name) }

// SetDeadline sets both pipes' deadlines.
func (c *procConn) SetDeadline(t time.Time) error {
	return errors.Join(c.stdin.SetWriteDeadline(t), c.stdout.SetReadDeadline(t))
}

// SetReadDeadline sets the stdout pipe's read deadline.
func (c *procConn) SetReadDeadline(t time.Time) error { return c.stdout.SetReadDeadline(t) }

// SetWriteDeadline sets the stdin pipe's write deadline.
func (c *procConn) SetWriteDeadline(t time.Time) error { return c.stdin.SetWriteDeadline(t) }
