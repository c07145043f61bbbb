package platform

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"image"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"iapdesk/platform/systest"
)

// e2eDir is where end-to-end screenshots are kept (build/e2e under the
// repository root; `make clean` removes it).
func e2eDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("..", "build", "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// whiteBlock reports whether the PNG has a w×h block of pure white at x,y
// (an xterm's background; Xvfb's root weave is half black).
func whiteBlock(t *testing.T, path string, x0, y0, w, h int) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	for y := y0; y < y0+h; y++ {
		for x := x0; x < x0+w; x++ {
			if !(image.Point{x, y}.In(img.Bounds())) {
				return false
			}
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 < 240 || g>>8 < 240 || b>>8 < 240 {
				return false
			}
		}
	}
	return true
}

// windowTitles lists the window names on display.
func windowTitles(t *testing.T, display string) string {
	t.Helper()
	xwininfo := systest.Require(t, "xwininfo")[0]
	out, err := exec.Command(xwininfo, "-display", display, "-root", "-tree").CombinedOutput()
	if err != nil {
		t.Fatalf("xwininfo: %v\n%s", err, out)
	}
	return string(out)
}

// startOwned starts a helper program for the test and kills it at the end.
func startOwned(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// readProc returns /proc/<pid>/<file> with NULs as spaces.
func readProc(t *testing.T, pid int, file string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + file)
	if err != nil {
		t.Fatalf("read /proc/%d/%s: %v", pid, file, err)
	}
	return strings.ReplaceAll(string(b), "\x00", " ")
}

// TestE2EFreeRDP logs in to freerdp-shadow-cli (PAM authentication of a
// throwaway Unix account) with xfreerdp started by the Launcher, the
// password handed over on stdin only, and checks the remote desktop shows
// up; a wrong password must not log in.
func TestE2EFreeRDP(t *testing.T) {
	systest.Require(t, "xfreerdp", "freerdp-shadow-cli", "Xvfb", "xterm", "import", "xwininfo")
	// Spaces and shell metacharacters prove that no shell and no argv is
	// involved; ':' would confuse chpasswd.
	password := "Pw 1'\"$(id)&;|-" + randomHex(t, 4)
	user := systest.CreateUser(t, password)

	serverDisplay := systest.StartXvfb(t, "800x600x24")
	startOwned(t, []string{"DISPLAY=" + serverDisplay}, "xterm",
		"-T", "IAPDESK-E2E-SERVER", "-bg", "#00ff00", "-fg", "black", "-geometry", "60x20+0+0", "-e", "sleep", "300")
	srv := systest.StartRDPServer(t, serverDisplay, systest.RDPServerConfig{Auth: true})
	shots := e2eDir(t)

	launch := func(t *testing.T, pw Password) (*Process, string) {
		t.Helper()
		display := systest.StartXvfb(t, "1024x768x24")
		l, err := New(Config{
			Logger:    slog.New(slog.NewTextHandler(testWriter{t}, nil)),
			Env:       []string{"DISPLAY=" + display, "HOME=" + t.TempDir()},
			RDPClient: "freerdp",
			TempDir:   t.TempDir(),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := l.Launch(ctx, RDPSpec{
			Port: srv.Port, Username: user, Password: pw, Title: "iapdesk-e2e",
			Options: RDPOptions{Width: 800, Height: 600},
		})
		if err != nil {
			t.Fatalf("Launch() = %v", err)
		}
		t.Cleanup(func() { _ = p.Kill(); _ = p.Wait() })
		if !strings.Contains(p.Argv()[0], "freerdp") {
			t.Fatalf("launched %q, want FreeRDP", p.Argv())
		}
		for _, f := range []string{"cmdline", "environ"} {
			if s := readProc(t, p.Pid(), f); strings.Contains(s, string(pw)) {
				t.Fatalf("/proc/%d/%s of the client contains the password: %q", p.Pid(), f, s)
			}
		}
		t.Logf("client argv: %q", p.Argv())
		return p, display
	}

	t.Run("right password", func(t *testing.T) {
		p, display := launch(t, Password(password))
		shot := filepath.Join(shots, "freerdp.png")
		deadline := time.Now().Add(45 * time.Second)
		green := 0
		for time.Now().Before(deadline) {
			select {
			case <-p.Exited():
				t.Fatalf("client exited before showing the desktop: %v\nserver log:\n%s", p.Wait(), srv.Log())
			default:
			}
			systest.Screenshot(t, display, shot)
			if green = systest.CountPixels(t, shot, systest.Green); green > 20000 {
				break
			}
			time.Sleep(500 * time.Millisecond) // polling the external client's screen
		}
		t.Logf("screenshot: %s (%d green pixels)", shot, green)
		if green <= 20000 {
			t.Fatalf("client display shows %d green pixels of the remote xterm, want > 20000 (screenshot %s)\nserver log:\n%s", green, shot, srv.Log())
		}
		if titles := windowTitles(t, display); !strings.Contains(titles, "iapdesk-e2e") {
			t.Errorf("no client window titled iapdesk-e2e on %s:\n%s", display, titles)
		}
		if strings.Contains(srv.Log(), "pam_authenticate failure") {
			t.Errorf("server log has a PAM failure for the right password:\n%s", srv.Log())
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		p, display := launch(t, Password("not-"+password))
		select {
		case <-p.Exited():
		case <-time.After(60 * time.Second):
			t.Fatalf("client still running 60s after a wrong password\nserver log:\n%s", srv.Log())
		}
		err := p.Wait()
		var ee *ExitError
		if !errors.As(err, &ee) {
			t.Errorf("Wait() = %v, want *ExitError (login refused)", err)
		}
		if !strings.Contains(srv.Log(), "pam_authenticate failure") {
			t.Errorf("server log does not show the PAM failure:\n%s", srv.Log())
		}
		shot := filepath.Join(shots, "freerdp-wrong-password.png")
		systest.Screenshot(t, display, shot)
		if green := systest.CountPixels(t, shot, systest.Green); green > 1000 {
			t.Errorf("client display shows the remote desktop (%d green pixels) after a wrong password (%s)", green, shot)
		}
	})
}

// TestE2ETerminalSSH opens xterm through the Launcher running ssh to a real
// sshd, with the host key checked under compute.<instance id> in the
// iapdesk known_hosts file. A key stored for another instance must fail.
func TestE2ETerminalSSH(t *testing.T) {
	systest.Require(t, "xterm", "Xvfb", "import", "xwininfo", "ssh")
	sshd := systest.StartSSHD(t, systest.SSHDConfig{})
	display := systest.StartXvfb(t, "1024x768x24")
	const instanceID = "1234567890123"

	launch := func(t *testing.T, knownAs string) (*Process, string) {
		t.Helper()
		configDir := t.TempDir()
		if err := os.WriteFile(filepath.Join(configDir, "known_hosts"), []byte(sshd.KnownHostsLine(knownAs)), 0o600); err != nil {
			t.Fatal(err)
		}
		marker := filepath.Join(t.TempDir(), "marker")
		l, err := New(Config{
			Logger:    slog.New(slog.NewTextHandler(testWriter{t}, nil)),
			Env:       []string{"DISPLAY=" + display},
			ConfigDir: configDir,
			Terminal:  "xterm",
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := l.Launch(context.Background(), SSHSpec{
			Port: sshd.Port, InstanceID: instanceID, InstanceName: "e2e-vm", Username: sshd.User,
			KeyFile: sshd.ClientKey, StrictHostKeyChecking: "yes",
			Options: []string{"BatchMode=yes", "GlobalKnownHostsFile=/dev/null"},
			Command: []string{"touch " + marker + " && echo IAPDESK-SSH-OK && sleep 4"},
		})
		if err != nil {
			t.Fatalf("Launch() = %v", err)
		}
		t.Cleanup(func() { _ = p.Kill(); _ = p.Wait() })
		if p.Detached() {
			t.Error("xterm reported as detached")
		}
		return p, marker
	}

	t.Run("host key under the instance alias", func(t *testing.T) {
		p, marker := launch(t, "compute."+instanceID)
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(marker); err == nil {
				break
			}
			select {
			case <-p.Exited():
				t.Fatalf("terminal exited before ssh ran the command: %v\nsshd log:\n%s", p.Wait(), sshd.Log())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("marker %s not created within 30s\nsshd log:\n%s", marker, sshd.Log())
			}
			time.Sleep(100 * time.Millisecond) // polling the remote command's effect
		}
		shot := filepath.Join(e2eDir(t), "terminal-ssh.png")
		systest.Screenshot(t, display, shot)
		t.Logf("screenshot: %s", shot)
		if !whiteBlock(t, shot, 100, 100, 60, 60) {
			t.Errorf("no xterm (white block) at 100,100 in %s", shot)
		}
		if titles := windowTitles(t, display); !strings.Contains(titles, "e2e-vm") {
			t.Errorf("no terminal window titled e2e-vm:\n%s", titles)
		}
		if err := p.Wait(); err != nil {
			t.Errorf("Wait() = %v, want nil once ssh finished", err)
		}
		if !strings.Contains(sshd.Log(), "Accepted publickey") {
			t.Errorf("sshd log has no publickey login:\n%s", sshd.Log())
		}
	})

	t.Run("host key of another instance", func(t *testing.T) {
		p, marker := launch(t, "compute.999")
		select {
		case <-p.Exited():
		case <-time.After(30 * time.Second):
			t.Fatal("terminal still open 30s after a host key mismatch")
		}
		if _, err := os.Stat(marker); err == nil {
			t.Error("ssh ran the command although the host key was stored for another instance")
		}
	})
}

// testWriter routes slog output to t.Logf (shown on failure or -v).
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
