package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"time"
)

// proc is a daemon the demo started (sshd, freerdp-shadow-cli). stop ends
// it and waits for it.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.Closer     // the watchdog's stdin, when there is one
	exited chan struct{} // closed by the goroutine that waits for cmd
}

// watchdog runs a daemon under sh, which kills it as soon as its stdin
// reaches end of file: when stop closes it, and also when iapdesk dies
// without cleaning up (killed, or its X server went away), so no daemon
// outlives the demo. Asynchronous commands of a non-interactive sh read
// /dev/null, so the daemon itself does not hold the pipe.
const watchdog = `"$@" & pid=$!; read _; kill $pid 2>/dev/null; wait $pid`

// startProc starts cmd (under the watchdog where there is a /bin/sh) and
// waits until every one of sockets (Unix socket paths) accepts
// connections, the process exits, or 10 s pass. On failure the process is
// stopped.
func startProc(ctx context.Context, cmd *exec.Cmd, sockets ...string) (*proc, error) {
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	if _, err := os.Stat("/bin/sh"); err == nil {
		wrapped := exec.Command("/bin/sh", append([]string{"-c", watchdog, "sh", cmd.Path}, cmd.Args[1:]...)...)
		wrapped.Env, wrapped.Stdout, wrapped.Stderr = cmd.Env, cmd.Stdout, cmd.Stderr
		stdin, err := wrapped.StdinPipe()
		if err != nil {
			return nil, err
		}
		p.cmd, p.stdin = wrapped, stdin
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	go func() { // owned by p: stop waits for it
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, socket := range sockets {
		if err := waitListening(ctx, socket, p.exited); err != nil {
			p.stop()
			return nil, fmt.Errorf("%s: %w", cmd.Path, err)
		}
	}
	return p, nil
}

// stop ends the daemon: through the watchdog when there is one (killing
// it outright after 5 s), else with a kill.
func (p *proc) stop() {
	if p == nil {
		return
	}
	if p.stdin != nil {
		p.stdin.Close()
		t := time.NewTimer(5 * time.Second)
		defer t.Stop()
		select {
		case <-p.exited:
			return
		case <-t.C:
		}
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// waitListening polls the Unix socket path (an external process's: there
// is nothing to wait on) until it accepts a connection.
func waitListening(ctx context.Context, path string, exited <-chan struct{}) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := (&net.Dialer{Timeout: 200 * time.Millisecond}).DialContext(ctx, "unix", path)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before listening")
		case <-ctx.Done():
			return fmt.Errorf("not listening on %s: %w", path, ctx.Err())
		case <-tick.C:
		}
	}
}
