package main

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"iapdesk/platform/systest"
)

// TestIAPRDPLinkMalformed: `iapdesk [--demo] LINK` with a malformed
// iap-rdp link exits 1 with the parser's explanation before any window
// opens (there is no display here: trying one would say so instead).
func TestIAPRDPLinkMalformed(t *testing.T) {
	tests := []struct {
		args []string
		want string // part of the parser's Why
	}{
		{[]string{"iap-rdp://host/p/us-central1-a/vm"}, "host"},
		{[]string{"iap-rdp:///only-project"}, "iap-rdp:///PROJECT/ZONE/VM"},
		{[]string{"--demo", "IAP-RDP:///my-project/Zone_1/vm"}, "zone"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := iapdesk(ctx, tc.args...)
			cmd.Env = append(cmd.Env, "DISPLAY=", "WAYLAND_DISPLAY=")
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("iapdesk %q: %v, want exit status 1\n%s", tc.args, err, out)
			}
			got := string(out)
			for _, want := range []string{"Cannot open the iap-rdp link", tc.want, "fix: Use a link of the form"} {
				if !strings.Contains(got, want) {
					t.Errorf("iapdesk %q said %q, want %q in it", tc.args, got, want)
				}
			}
			if strings.Contains(got, "cannot open a window") || strings.Contains(got, "demo started") {
				t.Errorf("iapdesk %q started the window or the demo before refusing the link:\n%s", tc.args, got)
			}
		})
	}
}

// TestE2EDemoIAPRDPLink: `iapdesk --demo 'iap-rdp:///…'` under Xvfb opens
// the window and, once signed in and loaded, connects to the link's VM:
// the unsupported parameter is logged as a warning, and the demo VM, which
// has no saved password, asks for credentials. SIGTERM ends it cleanly.
func TestE2EDemoIAPRDPLink(t *testing.T) {
	systest.Require(t, "Xvfb", "xdotool")
	display := systest.StartXvfb(t, "1280x800x24")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	link := "iap-rdp:///acme-prod-web/us-central1-b/iis-prod-02?username=alice&NetworkLevelAuthentication=0"
	cmd := iapdesk(ctx, "--demo", link)
	cmd.Env = append(cmd.Env, "DISPLAY="+display, "LANG=C.UTF-8", "IAPDESK_VERBOSITY=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 10000)
	exited := make(chan error, 1)
	go func() { // ends when iapdesk has exited; the cleanup waits for it
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // the test stopped reading
			}
		}
		exited <- cmd.Wait()
	}()
	gone := false
	t.Cleanup(func() {
		if gone {
			return
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	systest.WaitWindows(t, ctx, display, "^iapdesk — demo$", time.Minute)
	want := []string{"iap-rdp link parameter ignored", "opening iap-rdp link", "rdp credentials needed"}
	var seen []string
	for len(want) > 0 {
		select {
		case l := <-lines:
			seen = append(seen, l)
			if strings.Contains(l, want[0]) {
				if !strings.Contains(l, "iis-prod-02") {
					t.Errorf("log line %q does not name the link's VM", l)
				}
				want = want[1:]
			}
		case err := <-exited:
			gone = true
			t.Fatalf("iapdesk exited (%v) before %q; stderr:\n%s", err, want[0], strings.Join(seen, "\n"))
		case <-ctx.Done():
			t.Fatalf("no %q in the log; stderr:\n%s", want[0], strings.Join(seen, "\n"))
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case <-lines:
		case err := <-exited:
			gone = true
			if err != nil {
				t.Errorf("iapdesk after SIGTERM: %v, want a clean exit", err)
			}
			return
		case <-time.After(30 * time.Second):
			t.Fatal("iapdesk did not exit within 30s of SIGTERM")
		}
	}
}
