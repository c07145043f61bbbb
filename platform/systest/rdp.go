package systest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RDPServer is freerdp-shadow-cli serving an X display over RDP on a
// loopback port, with PAM authentication (TLS security) when Auth is set.
type RDPServer struct {
	Addr string // 127.0.0.1:port
	Port int
	log  *Buffer
}

// RDPServerConfig adjusts the server.
type RDPServerConfig struct {
	// Auth makes the server check user and password through PAM (`+auth
	// /sec:tls`); otherwise anyone may connect (`-auth`).
	Auth bool
	// Home is the server's $HOME, where it keeps its generated TLS
	// certificate. Default: a temporary directory.
	Home string
}

// StartRDPServer starts freerdp-shadow-cli mirroring display and stops it
// when the test ends.
func StartRDPServer(t testing.TB, display string, cfg RDPServerConfig) *RDPServer {
	t.Helper()
	shadow := Require(t, "freerdp-shadow-cli")[0]
	if cfg.Home == "" {
		cfg.Home = tempDir(t)
	}
	s := &RDPServer{log: &Buffer{}}
	for attempt := 0; attempt < 5; attempt++ {
		s.Port = FreePort(t)
		s.Addr = fmt.Sprintf("127.0.0.1:%d", s.Port)
		args := []string{"/port:" + itoa(s.Port), "/bind-address:127.0.0.1"}
		if cfg.Auth {
			args = append(args, "+auth", "/sec:tls")
		} else {
			args = append(args, "-auth")
		}
		s.log.Reset()
		cmd := exec.Command(shadow, args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+cfg.Home)
		cmd.Stdout, cmd.Stderr = s.log, s.log
		if err := cmd.Start(); err != nil {
			t.Fatalf("start freerdp-shadow-cli: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		// The probe connection shows up as one harmless transport error in
		// the server log.
		if waitPort(s.Addr, exited, 10*time.Second) {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
				if t.Failed() {
					t.Logf("freerdp-shadow-cli log:\n%s", s.Log())
				}
			})
			return s
		}
		_ = cmd.Process.Kill()
		<-exited
	}
	t.Fatalf("freerdp-shadow-cli did not start:\n%s", s.Log())
	return nil
}

// Log returns what the server has logged so far (NUL bytes removed).
func (s *RDPServer) Log() string {
	return strings.ReplaceAll(s.log.String(), "\x00", "")
}
