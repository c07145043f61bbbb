package systest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SSHD is a real OpenSSH server on a loopback port, accepting public-key logins
// for the current OS user.
type SSHD struct {
	Addr       string // 127.0.0.1:port
	Port       int
	User       string  // the current OS user, the only one that can log in
	Dir        string  // private directory with keys and config
	ClientKey  string  // private key file authorised to log in
	HostKeyPub string  // "ssh-ed25519 AAAA…" of the server
	log        *Buffer // sshd writes it from exec's copy goroutine while tests read it
}

// SSHDConfig adjusts the server. The zero value accepts ClientKey.
type SSHDConfig struct {
	// Extra lines appended to sshd_config (e.g. AuthorizedKeysCommand).
	Extra []string
}

// StartSSHD starts /usr/sbin/sshd on a free loopback port and stops it when
// the test ends.
func StartSSHD(t testing.TB, cfg SSHDConfig) *SSHD {
	t.Helper()
	paths := Require(t, "/usr/sbin/sshd", "ssh-keygen", "ssh")
	sshd := paths[0]
	if os.Geteuid() == 0 {
		// sshd refuses to start without its privilege-separation directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatalf("create /run/sshd: %v", err)
		}
	}
	d := tempDir(t)
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "iapdesk-test-host", "-f", filepath.Join(d, "hostkey"))
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "iapdesk-test-user", "-f", filepath.Join(d, "userkey"))
	pub, err := os.ReadFile(filepath.Join(d, "userkey.pub"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(d, "authorized_keys"), string(pub), 0o600)
	hostPub, err := os.ReadFile(filepath.Join(d, "hostkey.pub"))
	if err != nil {
		t.Fatal(err)
	}
	s := &SSHD{
		Dir:        d,
		User:       userName(t),
		ClientKey:  filepath.Join(d, "userkey"),
		HostKeyPub: strings.Join(strings.Fields(string(hostPub))[:2], " "),
		log:        &Buffer{},
	}
	// The port can be taken between FreePort and sshd's bind; retry a few times.
	for attempt := 0; attempt < 5; attempt++ {
		s.Port = FreePort(t)
		s.Addr = fmt.Sprintf("127.0.0.1:%d", s.Port)
		conf := []string{
			"Port " + itoa(s.Port),
			"ListenAddress 127.0.0.1",
			"HostKey " + filepath.Join(d, "hostkey"),
			"PidFile " + filepath.Join(d, "sshd.pid"),
			"AuthorizedKeysFile " + filepath.Join(d, "authorized_keys"),
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"UsePAM no",
			"StrictModes no",
			"PermitRootLogin prohibit-password",
			"Subsystem sftp internal-sftp",
			"LogLevel VERBOSE",
			"UseDNS no",
			"PrintMotd no",
			"PrintLastLog no",
			"X11Forwarding no",
		}
		conf = append(conf, cfg.Extra...)
		confPath := filepath.Join(d, "sshd_config")
		writeFile(t, confPath, strings.Join(conf, "\n")+"\n", 0o600)
		run(t, sshd, "-t", "-f", confPath)
		s.log.Reset()
		cmd := exec.Command(sshd, "-D", "-e", "-f", confPath)
		cmd.Stdout = s.log
		cmd.Stderr = s.log
		if err := cmd.Start(); err != nil {
			t.Fatalf("start sshd: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if waitPort(s.Addr, exited, 5*time.Second) {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
				if t.Failed() {
					t.Logf("sshd log:\n%s", s.log.String())
				}
			})
			return s
		}
		_ = cmd.Process.Kill()
		<-exited
	}
	t.Fatalf("sshd did not start:\n%s", s.log.String())
	return nil
}

// waitPort reports whether addr accepted a connection before the process
// exited or d passed.
func waitPort(addr string, exited <-chan struct{}, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := dialTCP(addr); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond) // polling an external process
	}
	return false
}

// KnownHostsLine returns a known_hosts line for the server under the given
// host pattern (e.g. "[127.0.0.1]:2222" or a HostKeyAlias).
func (s *SSHD) KnownHostsLine(host string) string {
	return host + " " + s.HostKeyPub + "\n"
}

// Log returns what sshd has logged so far.
func (s *SSHD) Log() string { return s.log.String() }

// SSHArgs returns ssh options that log in non-interactively as s.User with
// ClientKey, checking the host key under alias (written to a known_hosts file
// in s.Dir). Append the destination and command.
func (s *SSHD) SSHArgs(t testing.TB, alias string) []string {
	t.Helper()
	kh := filepath.Join(s.Dir, "known_hosts")
	writeFile(t, kh, s.KnownHostsLine(alias), 0o600)
	return []string{
		"-F", "/dev/null",
		"-i", s.ClientKey,
		"-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + kh,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "HostKeyAlias=" + alias,
		"-o", "BatchMode=yes",
		"-o", "ConnectTimeout=20",
	}
}
