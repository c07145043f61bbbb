//go:build linux

package cli_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/internal/cli"
	"iapdesk/platform/systest"
)

// TestE2EDemoTunnel: `iapdesk tunnel --demo VM PORT` works as `iapdesk ssh
// --demo` does, without a Google account: here over stdin/stdout to a demo
// VM's web server.
func TestE2EDemoTunnel(t *testing.T) {
	code, out, errOut := run(t, strings.NewReader("GET / HTTP/1.0\r\nHost: demo\r\n\r\n"),
		"tunnel", "--demo", "web-prod-01", "80", "--listen-on-stdin")
	if code != 0 || !strings.Contains(out, "Hello through IAP") {
		t.Errorf("iapdesk tunnel --demo = %d, stdout %q\nstderr:\n%s", code, out, errOut)
	}
}

// TestE2EDemoRDP: `iapdesk rdp --demo VM` opens FreeRDP on a demo Windows
// VM without a Google account or a password to type, windowed at the demo's
// desktop size and scaled, so the window shows the (shared) remote desktop
// instead of covering the screen with a mirror of itself. Ending the
// command (ctx, as Ctrl+C does) closes the client.
func TestE2EDemoRDP(t *testing.T) {
	systest.Require(t, "Xvfb", "xdotool", "xfreerdp", "freerdp-shadow-cli")
	display := systest.StartXvfb(t, "1280x800x24")
	t.Setenv("DISPLAY", display)
	t.Setenv("IAPDESK_KEYRING", "memory")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"rdp", "--demo", "iis-prod-01"}, app.Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut}, nil)
	}()
	geometry := ""
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for geometry == "" {
		select {
		case code := <-done:
			t.Fatalf("iapdesk rdp --demo exited with %d before its window appeared\n%s", code, errOut.String())
		case <-ctx.Done():
			t.Fatalf("no FreeRDP window on %s\n%s", display, errOut.String())
		case <-tick.C: // polling the X server
		}
		ids, _ := exec.CommandContext(ctx, "xdotool", "search", "--name", "iis-prod-01").Output()
		if f := strings.Fields(string(ids)); len(f) > 0 {
			g, _ := exec.CommandContext(ctx, "xdotool", "getwindowgeometry", f[0]).Output()
			if strings.Contains(string(g), "Geometry:") {
				geometry = string(g)
			}
		}
	}
	if !strings.Contains(geometry, "Geometry: 1024x640") {
		t.Errorf("FreeRDP window: %q, want windowed at the demo's 1024x640, not the whole 1280x800 display", geometry)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("iapdesk rdp --demo after Ctrl+C = %d, want 0\n%s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("iapdesk rdp --demo did not end after Ctrl+C")
	}
	if !strings.Contains(errOut.String(), "Connected to iis-prod-01") {
		t.Errorf("stderr = %q, want the connection reported", errOut.String())
	}
}
