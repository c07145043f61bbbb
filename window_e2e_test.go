package main

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

	win := waitWindow(t, ctx, display, "^iapdesk — demo$")
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
	img := grabSettled(t, ctx, display, win, shot)
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 600 {
		t.Errorf("window picture is %dx%d, want at least 800x600", b.Dx(), b.Dy())
	}
	if n := colours(img); n < 50 {
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

// waitWindow polls xdotool until a window whose title matches appears.
func waitWindow(t *testing.T, ctx context.Context, display, title string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		cmd := exec.CommandContext(ctx, "xdotool", "search", "--name", title)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := cmd.Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			return ids[0]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no window %q on %s: %v", title, display, ctx.Err())
		case <-tick.C: // polling an external program
		}
	}
	// unreachable
}

// grabSettled grabs the window until two grabs in a row are the same (the
// window has drawn its last change), writes the PNG to path and returns it.
func grabSettled(t *testing.T, ctx context.Context, display, win, path string) *image.RGBA {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var prev *image.RGBA
	for i := 0; ; i++ {
		cmd := exec.CommandContext(ctx, "import", "-display", display, "-window", win, "png:"+path)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("import: %v\n%s", err, out)
		}
		img := readPNG(t, path)
		if prev != nil && bytes.Equal(img.Pix, prev.Pix) {
			return img
		}
		if i == 50 || ctx.Err() != nil {
			t.Fatalf("the window kept changing over %d grabs (the last is %s)", i+1, path)
		}
		prev = img
	}
}

func readPNG(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	img := image.NewRGBA(src.Bounds())
	draw.Draw(img, img.Bounds(), src, src.Bounds().Min, draw.Src)
	return img
}

// colours counts the distinct colours of img.
func colours(img *image.RGBA) int {
	seen := map[[4]byte]bool{}
	for i := 0; i+3 < len(img.Pix); i += 4 {
		seen[[4]byte(img.Pix[i:i+4])] = true
	}
	return len(seen)
}
