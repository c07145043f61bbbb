package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"iapdesk/app"
	"iapdesk/platform/atomicfile"
)

// systemSSHD finds OpenSSH's server: /usr/sbin/sshd, or sshd on PATH. On
// Windows the built-in server is used instead: its sshd wants another
// configuration.
func systemSSHD() (string, error) {
	if runtime.GOOS == "windows" {
		return "", errors.New("the demo runs the system sshd on Unix only")
	}
	if _, err := os.Stat("/usr/sbin/sshd"); err == nil {
		return "/usr/sbin/sshd", nil
	}
	return exec.LookPath("sshd")
}

// sshdConfig is what startSystemSSHD serves.
type sshdConfig struct {
	dir   string
	keys  *sshKeys
	vms   []app.InstanceRef
	login string // the only user sshd can log in (unless it runs as root)
	// gceURL is the fake Compute API whose authorized-keys endpoint says
	// which published keys each VM accepts; "" accepts the demo key only.
	gceURL string
	// tokenFile holds the API's bearer token (0600, in the demo's 0700
	// directory) for the AuthorizedKeysCommand, which runs as login.
	tokenFile string
}

// systemSSHServer is OpenSSH's sshd in inetd mode: dial starts `sshd -i`
// for one connection, its stdin and stdout being the connection. There is
// no listening socket, so nothing but the relay in this process reaches
// it. As the current user, sshd logs in only that user, with the demo user
// key or, through an AuthorizedKeysCommand (see authkeys.go), the keys
// published to the VM (metadata ssh-keys or OS Login); as root it allows
// only keys. Its log goes to dir/sshd.log.
type systemSSHServer struct {
	path string
	conf string              // sshd_config shared by every connection
	opts map[string][]string // per VM (vmKey): the -o options of its AuthorizedKeysCommand
	logf *os.File            // sshd -e logs here; closed by close

	mu     sync.Mutex // guards conns and closed
	conns  map[*procConn]struct{}
	closed bool
}

// startSystemSSHD writes the sshd configuration and checks it (sshd -t),
// so that a missing or unusable sshd shows at start, not at the first
// connection.
func startSystemSSHD(ctx context.Context, c sshdConfig) (*systemSSHServer, error) {
	sshd, err := systemSSHD()
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// As root sshd refuses to start without its privilege-separation
		// directory (normally made by the service manager).
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, fmt.Errorf("create /run/sshd: %w", err)
		}
	}
	s := &systemSSHServer{path: sshd, conf: filepath.Join(c.dir, "sshd_config"), opts: map[string][]string{}, conns: map[*procConn]struct{}{}}
	lines := []string{
		"HostKey " + c.keys.hostKey,
		"PidFile none",
		"AuthorizedKeysFile " + c.keys.authorized,
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"UseDNS no",
		"X11Forwarding no",
		"Subsystem sftp internal-sftp",
	}
	if err := atomicfile.Write(s.conf, []byte(strings.Join(lines, "\n")+"\n")); err != nil {
		return nil, err
	}
	if c.gceURL != "" {
		for _, ref := range c.vms {
			akc, err := authorizedKeysCommandOptions(c.gceURL, c.tokenFile, ref, c.login)
			if err != nil {
				return nil, err
			}
			s.opts[vmKey(ref.Project, ref.Zone, ref.Name)] = akc
		}
	}
	logPath := filepath.Join(c.dir, "sshd.log")
	if s.logf, err = os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, sshd, "-t", "-f", s.conf).CombinedOutput(); err != nil {
		s.logf.Close()
		return nil, fmt.Errorf("check the sshd configuration %s: %w: %s", s.conf, err, strings.TrimSpace(string(out)))
	}
	return s, nil
}

// dial starts sshd for one connection to ref's port 22.
func (s *systemSSHServer) dial(_ context.Context, ref app.InstanceRef) (net.Conn, error) {
	args := append([]string{"-i", "-e", "-f", s.conf}, s.opts[vmKey(ref.Project, ref.Zone, ref.Name)]...)
	cmd := exec.Command(s.path, args...)
	cmd.Stderr = s.logf
	c, err := startProcConn("sshd -i", cmd)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.conns[c] = struct{}{}
	}
	s.mu.Unlock()
	if closed { // close has run: it did not see c
		c.Close()
		return nil, fmt.Errorf("sshd for %s: %w", ref.Name, net.ErrClosed)
	}
	return &trackedConn{Conn: c, done: func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}}, nil
}

// close ends every connection's sshd and waits for them.
func (s *systemSSHServer) close() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*procConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	s.logf.Close()
}

// trackedConn calls done once, after the first Close.
type trackedConn struct {
	net.Conn
	once sync.Once
	done func()
}

// Close closes the conn and forgets it.
func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.done)
	return err
}
