package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"runtime"
	"sync"

	"golang.org/x/crypto/ssh"

	"iapdesk/app"
)

// builtinSSH is a small SSH server for machines without OpenSSH's sshd: it
// serves connections dial makes over in-memory pipes (it has no listening
// socket), accepts one user name with the demo user key or a key published
// to the VM dialled (as gcetest says the guest agent would install it), and
// runs commands and a shell (without a terminal: it declines pty requests,
// so the client stays in line mode) with the system shell.
type builtinSSH struct {
	keys *sshKeys
	user string
	gce  keySource // nil accepts the demo key only
	log  *slog.Logger
	ctx  context.Context // bounds the server's lifetime; close cancels it
	stop context.CancelFunc
	wg   sync.WaitGroup // connections, sessions, their commands

	mu     sync.Mutex // guards conns and closed
	conns  map[net.Conn]struct{}
	closed bool
}

// startBuiltinSSH returns the server. gce says which published keys each VM
// accepts; nil accepts the demo key only.
func startBuiltinSSH(keys *sshKeys, user string, gce keySource, log *slog.Logger) *builtinSSH {
	s := &builtinSSH{keys: keys, user: user, gce: gce, log: log, conns: map[net.Conn]struct{}{}}
	s.ctx, s.stop = context.WithCancel(context.Background())
	return s
}

// config is the server configuration for connections to ref.
func (s *builtinSSH) config(ref app.InstanceRef) *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if c.User() == s.user {
				ok, err := s.keys.keyAccepted(s.gce, ref, s.user, k)
				if ok {
					return nil, nil
				}
				if err != nil {
					s.log.Debug("demo ssh: read the vm's keys", slog.String("instance", ref.Name), slog.Any("error", err))
				}
			}
			return nil, errors.New("demo ssh: unknown user or key")
		},
	}
	cfg.AddHostKey(s.keys.host)
	return cfg
}

// dial connects to ref's port 22: the server serves the other end of an
// in-memory pipe.
func (s *builtinSSH) dial(_ context.Context, ref app.InstanceRef) (net.Conn, error) {
	client, server := net.Pipe()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("demo ssh server: %w", net.ErrClosed)
	}
	s.conns[server] = struct{}{}
	s.wg.Go(func() {
		defer func() {
			server.Close()
			s.mu.Lock()
			delete(s.conns, server)
			s.mu.Unlock()
		}()
		s.serve(server, s.config(ref))
	})
	return client, nil
}

// close drops every connection, kills running commands and waits for all
// of it.
func (s *builtinSSH) close() {
	s.stop()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *builtinSSH) serve(c net.Conn, cfg *ssh.ServerConfig) {
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		s.log.Debug("demo ssh handshake failed", slog.Any("error", err))
		return
	}
	defer sc.Close()
	s.wg.Go(func() { ssh.DiscardRequests(reqs) })
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		s.wg.Go(func() { s.session(ch, creqs) })
	}
}

// session answers a session's requests; the first shell or exec runs.
func (s *builtinSSH) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	started := false
	for req := range reqs {
		var argv []string
		switch req.Type {
		case "shell":
			argv = shellArgv("")
		case "exec":
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			argv = shellArgv(p.Command)
		case "env":
			_ = req.Reply(true, nil)
			continue
		default: // pty-req (declined: no terminal), subsystem, x11-req, …
			_ = req.Reply(false, nil)
			continue
		}
		if started {
			_ = req.Reply(false, nil)
			continue
		}
		started = true
		_ = req.Reply(true, nil)
		s.wg.Go(func() { s.run(ch, argv) })
	}
}

// run runs argv with the channel as its standard streams, reports its exit
// status and closes the channel.
func (s *builtinSSH) run(ch ssh.Channel, argv []string) {
	defer ch.Close()
	cmd := exec.CommandContext(s.ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		s.log.Warn("demo ssh: cannot run the shell", slog.Any("error", err))
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{127}))
		return
	}
	// The copy ends when the client closes its side or, once the command
	// has exited, when the deferred ch.Close ends the channel.
	s.wg.Go(func() {
		_, _ = io.Copy(stdin, ch)
		stdin.Close()
	})
	status := uint32(0)
	if err := cmd.Wait(); err != nil {
		status = 1
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			status = uint32(ee.ExitCode())
		}
	}
	_ = ch.CloseWrite()
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
}

// shellArgv runs command with the system shell; "" starts an interactive
// shell.
func shellArgv(command string) []string {
	if runtime.GOOS == "windows" {
		if command == "" {
			return []string{"cmd.exe"}
		}
		return []string{"cmd.exe", "/c", command}
	}
	if command == "" {
		return []string{"/bin/sh", "-i"}
	}
	return []string{"/bin/sh", "-c", command}
}
