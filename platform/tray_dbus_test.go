//go:build linux || freebsd || openbsd || netbsd

package platform

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSystemTrayAvailableWithoutBus runs in a child process (the session
// bus connection is cached per process once made) with a session bus
// address nothing listens on: no tray, rather than Fyne's tray code
// panicking at exit.
func TestSystemTrayAvailableWithoutBus(t *testing.T) {
	if os.Getenv("IAPDESK_TRAY_CHILD") == "1" {
		os.Stdout.WriteString(strconv.FormatBool(SystemTrayAvailable()))
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSystemTrayAvailableWithoutBus$")
	cmd.Env = append(os.Environ(), "IAPDESK_TRAY_CHILD=1",
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	// The child's own "PASS" line follows what it wrote.
	if got := string(out); len(got) < 5 || got[:5] != "false" {
		t.Errorf("SystemTrayAvailable() without a session bus = %q, want false", got)
	}
}
