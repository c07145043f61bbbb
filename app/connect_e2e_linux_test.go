package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/platform"
	"iapdesk/platform/systest"
	"iapdesk/tunnel/relaytest"
)

// e2eShots is where end-to-end screenshots go: build/e2e at the repository
// root, so a CI run leaves them to look at.
func e2eShots(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "build", "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// worldWithLauncher is newWorld with a launcher that finds real programs and
// shows its windows on display.
func worldWithLauncher(t *testing.T, display string, cfg platform.Config) *world {
	t.Helper()
	w := newWorld(t, relaytest.Faults{})
	cfg.Logger = slog.New(slog.NewTextHandler(testLogWriter{t}, nil))
	cfg.Env = append(cfg.Env, "DISPLAY="+display, "HOME="+t.TempDir())
	cfg.TempDir = t.TempDir()
	if cfg.ConfigDir == "" {
		cfg.ConfigDir = t.TempDir()
	}
	l, err := platform.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.launcher = l
	w.connector, err = app.NewConnector(app.ConnectorConfig{Tunnels: w.tunnels, Launcher: l, Logger: cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.connector.Wait)
	return w
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestE2ETerminalSSH: Connect on a Linux VM opens xterm (under Xvfb) running
// ssh through the tunnel to a real sshd; the session runs a command that
// leaves a marker, and the terminal is captured.
func TestE2ETerminalSSH(t *testing.T) {
	systest.Require(t, "xterm", "Xvfb", "import")
	sshd := systest.StartSSHD(t, systest.SSHDConfig{})
	display := systest.StartXvfb(t, "1024x768x24")
	w := worldWithLauncher(t, display, platform.Config{Terminal: "xterm"})
	w.relay.Route(relaytest.VM(linuxVM.Project, linuxVM.Zone, linuxVM.Name, 22), sshd.Addr)

	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(sshd.KnownHostsLine(fmt.Sprintf("compute.%d", linuxVM.ID))), 0o600); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "marker")
	s, err := w.connector.Connect(context.Background(), app.Request{Instance: linuxVM, SSH: app.SSHParams{
		Username: sshd.User, KeyFile: sshd.ClientKey, KnownHostsFile: kh, StrictHostKeyChecking: "yes",
		Options: []string{"BatchMode=yes"},
		// Visible in the terminal long enough for the screenshot, then done.
		Command: []string{fmt.Sprintf("echo connected-through-iap > %s; echo SSH-SESSION-THROUGH-IAP; sleep 3", marker)},
	}}, nil)
	if err != nil {
		t.Fatalf("Connect = %v", err)
	}
	if argv := strings.Join(s.Process.Argv(), " "); !strings.Contains(argv, "xterm") || !strings.Contains(argv, fmt.Sprintf("-p %d", s.Tunnel.LocalPort)) {
		t.Fatalf("launched %q, want xterm running ssh to port %d", argv, s.Tunnel.LocalPort)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(marker); err == nil && strings.TrimSpace(string(b)) == "connected-through-iap" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ssh session in xterm did not run the command\nsshd log:\n%s", sshd.Log())
		}
		time.Sleep(100 * time.Millisecond) // polling the external session's marker
	}
	shot := filepath.Join(e2eShots(t), "terminal-ssh-through-tunnel.png")
	systest.Screenshot(t, display, shot)
	t.Logf("screenshot: %s", shot)
	<-s.Done()
	if s.Err() != nil {
		t.Errorf("xterm exited with %v", s.Err())
	}
	waitTunnels(t, w.tunnels, 0)
}

// TestE2EFreeRDPThroughTunnel: Connect on a Windows VM starts FreeRDP through
// the tunnel to a real RDP server (freerdp-shadow-cli checking a throwaway
// Unix account through PAM); the password goes over stdin, never argv. A
// wrong password is refused by the server, proving authentication happens.
func TestE2EFreeRDPThroughTunnel(t *testing.T) {
	systest.Require(t, "xfreerdp", "freerdp-shadow-cli", "Xvfb", "xterm", "import")
	var r [4]byte
	_, _ = rand.Read(r[:])
	password := "Pw 2'\"$(id)&;|-" + hex.EncodeToString(r[:])
	user := systest.CreateUser(t, password)

	serverDisplay := systest.StartXvfb(t, "800x600x24")
	xterm := exec.Command("xterm", "-T", "IAPDESK-RDP-SERVER", "-bg", "#00ff00", "-fg", "black", "-geometry", "60x20+0+0", "-e", "sleep", "300")
	xterm.Env = append(os.Environ(), "DISPLAY="+serverDisplay)
	if err := xterm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = xterm.Process.Kill(); _ = xterm.Wait() })
	rdp := systest.StartRDPServer(t, serverDisplay, systest.RDPServerConfig{Auth: true})

	connect := func(t *testing.T, pw platform.Password) (*app.Session, string) {
		display := systest.StartXvfb(t, "1024x768x24")
		w := worldWithLauncher(t, display, platform.Config{RDPClient: "freerdp"})
		w.relay.Route(relaytest.VM(winVM.Project, winVM.Zone, winVM.Name, 3389), rdp.Addr)
		s, err := w.connector.Connect(context.Background(), app.Request{Instance: winVM, RDP: app.RDPParams{
			Username: user, Password: pw, Options: platform.RDPOptions{Width: 800, Height: 600, Cert: platform.CertIgnore},
		}}, nil)
		if err != nil {
			t.Fatalf("Connect = %v", err)
		}
		t.Cleanup(func() { _ = s.Process.Kill(); <-s.Done() })
		for _, f := range []string{"cmdline", "environ"} {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", s.Process.Pid(), f))
			if strings.Contains(string(b), string(pw)) {
				t.Fatalf("the password is in the client's /proc/%s", f)
			}
		}
		if argv := strings.Join(s.Process.Argv(), " "); !strings.Contains(argv, fmt.Sprintf("/v:127.0.0.1:%d", s.Tunnel.LocalPort)) {
			t.Fatalf("client argv %q does not use the tunnel's port %d", argv, s.Tunnel.LocalPort)
		}
		return s, display
	}

	t.Run("right password", func(t *testing.T) {
		s, display := connect(t, platform.Password(password))
		shot := filepath.Join(e2eShots(t), "freerdp-through-tunnel.png")
		deadline := time.Now().Add(45 * time.Second)
		green := 0
		for time.Now().Before(deadline) {
			select {
			case <-s.Done():
				t.Fatalf("FreeRDP exited before showing the desktop: %v\nserver log:\n%s", s.Err(), rdp.Log())
			default:
			}
			systest.Screenshot(t, display, shot)
			if green = systest.CountPixels(t, shot, systest.Green); green > 20000 {
				break
			}
			time.Sleep(500 * time.Millisecond) // polling the external client's screen
		}
		t.Logf("screenshot: %s (%d green pixels of the remote xterm)", shot, green)
		if green <= 20000 {
			t.Fatalf("the client shows %d green pixels of the remote desktop, want > 20000\nserver log:\n%s", green, rdp.Log())
		}
		if s.Tunnel.LocalPort == 0 || len(s.Request.RDP.Username) == 0 {
			t.Errorf("session %+v", s.Tunnel)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		s, _ := connect(t, platform.Password("not-"+password))
		select {
		case <-s.Done():
		case <-time.After(60 * time.Second):
			t.Fatal("FreeRDP with a wrong password is still running after 60 s")
		}
		if s.Err() == nil {
			t.Error("FreeRDP with a wrong password exited 0")
		}
		if !strings.Contains(rdp.Log(), "pam_authenticate failure") {
			t.Errorf("server log shows no PAM failure:\n%s", rdp.Log())
		}
	})
}
