package demo

import (
	"context"
	"errors"
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
// listens on one loopback port per VM, accepts one user name with the demo
// user key or a key published to that VM (as gcetest says the guest agent
// would install it), and runs commands and a shell (without a terminal: it
// declines pty requests, so the client stays in line mode) with the system
// shell.
type builtinSSH struct {
	lns  map[string]app.InstanceRef // by listening address
	cfg  *ssh.ServerConfig
	log  *slog.Logger
	ctx  context.Context // bounds the server's lifetime; close cancels it
	stop context.CancelFunc
	wg   sync.WaitGroup // accept loops, connections, sessions, their commands

	mu        sync.Mutex // guards conns and listeners
	conns     map[net.Conn]struct{}
	listeners []net.Listener
}

// startBuiltinSSH listens on a loopback port for each of vms and returns
// their addresses. gce says which published keys each VM accepts; nil
// accepts the demo key only.
func startBuiltinSSH(keys *sshKeys, user string, vms []app.InstanceRef, gce keySource, log *slog.Logger) (*builtinSSH, map[app.InstanceRef]string, error) {
	s := &builtinSSH{lns: map[string]app.InstanceRef{}, log: log, conns: map[net.Conn]struct{}{}}
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			ref, known := s.lns[c.LocalAddr().String()]
			if c.User() == user && known {
				ok, err := keys.keyAccepted(gce, ref, user, k)
				if ok {
					return nil, nil
				}
				if err != nil {
					log.Debug("demo ssh: read the vm's keys", slog.String("instance", ref.Name), slog.Any("error", err))
				}
			}
			return nil, errors.New("demo ssh: unknown user or key")
		},
	}
	s.cfg.AddHostKey(keys.host)
	addrs := make(map[app.InstanceRef]string, len(vms))
	for _, ref := range vms {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.close()
			return nil, nil, err
		}
		s.listeners = append(s.listeners, ln)
		s.lns[ln.Addr().String()] = ref
		addrs[ref] = ln.Addr().String()
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	for _, ln := range s.listeners {
		s.wg.Go(func() { s.accept(ln) })
	}
	return s, addrs, nil
}

// close stops accepting, drops every connection, kills running commands
// and waits for all of it.
func (s *builtinSSH) close() {
	if s.stop != nil {
		s.stop()
	}
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *builtinSSH) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			s.serve(c)
		})
	}
}

func (s *builtinSSH) serve(c net.Conn) {
	sc, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
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
