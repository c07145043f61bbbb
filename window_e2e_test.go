package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"iapdesk/platform/systest"
)

// demoShots are the screenshot script's modes (iapdesk --demo
// --demo-script=MODE) and the README picture each makes.
var demoShots = []struct{ mode, file string }{
	{"screenshot", "screenshot.png"},                // the tree and a context menu
	{"no-match", "screenshot-no-match.png"},         // a search that matches no VM
	{"saved", "screenshot-saved-connections.png"},   // the Saved connections tab and its detail pane
	{"reconnecting", "screenshot-reconnecting.png"}, // the tunnels panel with a tunnel reconnecting
	{"terminal", "screenshot-terminal.png"},         // a terminal tab running top in colour
	{"sftp", "screenshot-sftp.png"},                 // the SFTP pane beside a terminal, mid-upload
}

// TestE2EDemoWindow: `iapdesk --demo` under Xvfb opens its window; each
// screenshot script (--demo-script=MODE) sets it up: a tunnel, the tree
// expanded to a VM with its context menu open; a search without a match;
// the Saved connections tab; a tunnel reconnecting. The test grabs the
// window with ImageMagick (build/e2e/demo-MODE.png, and the README's
// picture in $IAPDESK_SCREENSHOTS when set: `make screenshot`), checks the
// picture is not blank, and closes the app with SIGTERM, which must end it
// cleanly.
func TestE2EDemoWindow(t *testing.T) {
	systest.Require(t, "Xvfb", "xdotool", "import")
	for _, shot := range demoShots {
		t.Run(shot.mode, func(t *testing.T) { demoWindow(t, shot.mode, shot.file) })
	}
}

func demoWindow(t *testing.T, mode, file string) {
	display := systest.StartXvfb(t, "1280x800x24")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	cmd := iapdesk(ctx, "--demo", "--demo-script="+mode)
	cmd.Env = append(cmd.Env, "DISPLAY="+display, "LANG=C.UTF-8", "IAPDESK_VERBOSITY=info")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	ready := make(chan struct{})
	go func() { // ends when iapdesk has exited; the cleanup below waits for it
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "iapdesk: ready for a screenshot" {
				close(ready)
			}
		}
		exited <- cmd.Wait()
	}()
	// Registered after Xvfb's cleanup, so it runs first: iapdesk gets to
	// stop its demo daemons before its display goes away.
	gone := false // iapdesk's exit was received from exited
	waitExit := func(d time.Duration) (error, bool) {
		select {
		case err := <-exited:
			gone = true
			return err, true
		case <-time.After(d):
			return nil, false
		}
	}
	t.Cleanup(func() {
		if !gone {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			if _, ok := waitExit(20 * time.Second); !ok {
				_ = cmd.Process.Kill()
				<-exited
			}
		}
		if t.Failed() {
			t.Logf("iapdesk stderr:\n%s", stderr.String())
		}
	})

	win := systest.WaitWindows(t, ctx, display, "^iapdesk — demo$", time.Minute)[0]
	select {
	case <-ready:
	case err := <-exited:
		gone = true
		t.Fatalf("iapdesk exited before the screenshot script finished: %v", err)
	case <-ctx.Done():
		t.Fatalf("the screenshot script did not finish: %v", ctx.Err())
	}

	dir, err := filepath.Abs(filepath.Join("build", "e2e"))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "demo-"+mode+".png")
	img := systest.GrabSettled(t, ctx, display, win, shot)
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 600 {
		t.Errorf("window picture is %dx%d, want at least 800x600", b.Dx(), b.Dy())
	}
	if n := systest.Colours(img); n < 50 {
		t.Errorf("window picture has %d colours, want a drawn window (icons, text, menu)", n)
	}
	if outDir := os.Getenv("IAPDESK_SCREENSHOTS"); outDir != "" {
		out := filepath.Join(outDir, file)
		data, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(out, data, 0o644)
		}
		if err != nil {
			t.Errorf("copy the screenshot to %s: %v", out, err)
		}
		t.Logf("screenshot: %s", out)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err, ok := waitExit(30 * time.Second)
	switch {
	case !ok:
		t.Errorf("iapdesk did not exit within 30s of SIGTERM")
	case err != nil:
		t.Errorf("iapdesk after SIGTERM: %v, want a clean exit", err)
	}
}
