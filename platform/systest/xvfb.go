package systest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StartXvfb starts an Xvfb server on a free display number with the given
// screen geometry (e.g. "1024x768x24") and returns its DISPLAY value (":N").
// The server is stopped when the test ends.
func StartXvfb(t testing.TB, geometry string) string {
	t.Helper()
	xvfb := Require(t, "Xvfb")[0]
	for n := 90 + os.Getpid()%400; ; n++ {
		if n > 999 {
			t.Fatal("no free X display number")
		}
		lock := fmt.Sprintf("/tmp/.X%d-lock", n)
		if _, err := os.Stat(lock); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join("/tmp/.X11-unix", fmt.Sprintf("X%d", n))); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		var log bytes.Buffer
		cmd := exec.Command(xvfb, display, "-screen", "0", geometry, "-nolisten", "tcp", "-noreset")
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		sock := filepath.Join("/tmp/.X11-unix", fmt.Sprintf("X%d", n))
		deadline := time.Now().Add(10 * time.Second)
		up := false
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				deadline = time.Now() // lost a race for this display; try the next
			default:
			}
			if _, err := os.Stat(sock); err == nil {
				up = true
				break
			}
			time.Sleep(20 * time.Millisecond) // polling an external process
		}
		if !up {
			_ = cmd.Process.Kill()
			<-exited
			continue
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
			if t.Failed() {
				t.Logf("Xvfb %s output:\n%s", display, log.String())
			}
		})
		return display
	}
}

// Screenshot writes a PNG of the whole X display to path (ImageMagick import).
func Screenshot(t testing.TB, display, path string) {
	t.Helper()
	imp := Require(t, "import")[0]
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(imp, "-display", display, "-window", "root", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot of %s: %v\n%s", display, err, out)
	}
}

// CountPixels counts the pixels of the PNG at path for which pred holds
// (8-bit channels): how tests check that a client window shows the remote
// content it should.
func CountPixels(t testing.TB, path string, pred func(r, g, b uint32) bool) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if pred(r>>8, g>>8, b>>8) {
				n++
			}
		}
	}
	return n
}

// Green is bright green: the background the end-to-end tests give the
// xterm on an RDP server's display.
func Green(r, g, b uint32) bool { return g > 180 && r < 90 && b < 90 }

// WaitWindows polls xdotool, for at most d, until windows whose title
// matches appear on display, and returns their IDs (xdotool's order).
func WaitWindows(t testing.TB, ctx context.Context, display, title string, d time.Duration) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		cmd := exec.CommandContext(ctx, "xdotool", "search", "--name", title)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, _ := cmd.Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			return ids
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no window %q on %s: %v", title, display, ctx.Err())
		case <-tick.C: // polling an external program
		}
	}
}

// GrabSettled grabs the window until two grabs in a row are the same (the
// window has drawn its last change), writes the PNG to path and returns it.
func GrabSettled(t testing.TB, ctx context.Context, display, win, path string) *image.RGBA {
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
		img := ReadPNG(t, path)
		if prev != nil && bytes.Equal(img.Pix, prev.Pix) {
			return img
		}
		if i == 50 || ctx.Err() != nil {
			t.Fatalf("the window kept changing over %d grabs (the last is %s)", i+1, path)
		}
		prev = img
	}
}

// ReadPNG decodes the PNG at path into RGBA.
func ReadPNG(t testing.TB, path string) *image.RGBA {
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

// Colours counts the distinct colours of img.
func Colours(img *image.RGBA) int {
	seen := map[[4]byte]bool{}
	for i := 0; i+3 < len(img.Pix); i += 4 {
		seen[[4]byte(img.Pix[i:i+4])] = true
	}
	return len(seen)
}
