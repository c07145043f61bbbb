package wine_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"iapdesk/platform/systest"
)

// TestE2EWindowsDemoWindow: the Windows exe's window. `iapdesk.exe --demo
// --demo-script=screenshot` under Wine on an Xvfb display (Fyne's GLFW
// through Wine's opengl32, which draws with Mesa's GLX) opens the explorer,
// expands the tree and opens a context menu; the test grabs the window
// (build/e2e/wine-demo-window.png), checks it is drawn, and closes it with
// Alt+F4, which Wine turns into WM_CLOSE: with the demo's tunnel open the
// window asks first, Enter answers Quit, and the app must exit cleanly.
func TestE2EWindowsDemoWindow(t *testing.T) {
	w := requireWine(t)
	systest.Require(t, "Xvfb", "xdotool", "import")
	// A fresh Wine session, so that its desktop process uses this display.
	display := systest.StartXvfb(t, "1280x800x24")
	stopCtx, stopCancel := context.WithTimeout(context.Background(), time.Minute)
	err := w.restartServer(stopCtx, "DISPLAY="+display)
	stopCancel()
	if err != nil {
		t.Fatal(err)
	}
	// Registered after Xvfb's cleanup, so it runs first: no Wine process
	// outlives the display it draws on.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := w.restartServer(ctx); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	cmd := w.iapdesk(ctx, "--demo", "--demo-script=screenshot")
	cmd.Env = append(cmd.Env, "DISPLAY="+display, "IAPDESK_VERBOSITY=info")
	var stderr systest.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	exited := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "iapdesk: ready for a screenshot" {
				close(ready)
			}
		}
		exited <- cmd.Wait()
	})
	gone := false
	// Registered after Xvfb's cleanup, so it runs first.
	t.Cleanup(func() {
		if !gone {
			cancel() // kills the Windows process
		}
		wg.Wait()
		if t.Failed() {
			t.Logf("iapdesk.exe stderr:\n%s", stderr.String())
		}
	})

	// Wine's last window of that title is the app's top-level one.
	wins := systest.WaitWindows(t, ctx, display, "^iapdesk — demo$", 2*time.Minute)
	win := wins[len(wins)-1]
	select {
	case <-ready:
	case err := <-exited:
		gone = true
		t.Fatalf("iapdesk.exe exited before the screenshot script finished: %v", err)
	case <-ctx.Done():
		t.Fatalf("the screenshot script did not finish: %v", ctx.Err())
	}

	shot := filepath.Join(filepath.Dir(w.root), "e2e", "wine-demo-window.png")
	img := systest.GrabSettled(t, ctx, display, win, shot)
	t.Logf("screenshot: %s", shot)
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 600 {
		t.Errorf("window picture is %dx%d, want at least 800x600", b.Dx(), b.Dy())
	}
	if n := systest.Colours(img); n < 50 {
		t.Errorf("window picture has %d colours, want a drawn window (icons, text, menu)", n)
	}
	// Not one flat colour: most of the window is the theme's background,
	// but at least 2% of it is something else (text, icons, the menu).
	bg := img.RGBAAt(img.Bounds().Max.X-5, img.Bounds().Max.Y/2)
	other := systest.CountPixels(t, shot, func(r, g, b uint32) bool {
		return diff(r, uint32(bg.R))+diff(g, uint32(bg.G))+diff(b, uint32(bg.B)) > 60
	})
	if total := img.Bounds().Dx() * img.Bounds().Dy(); other < total/50 {
		t.Errorf("only %d of %d pixels differ from the background %v: the window is not drawn", other, total, bg)
	}

	key := exec.CommandContext(ctx, "xdotool", "windowactivate", "--sync", win, "key", "--clearmodifiers", "alt+F4")
	key.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := key.CombinedOutput(); err != nil {
		t.Logf("xdotool windowactivate: %v\n%s", err, out) // no window manager: focus may fail; the key still goes
		key = exec.CommandContext(ctx, "xdotool", "key", "--window", win, "alt+F4")
		key.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := key.CombinedOutput(); err != nil {
			t.Fatalf("xdotool key alt+F4: %v\n%s", err, out)
		}
	}
	// The demo has a tunnel open: the window asks first (keep running in
	// the tray, where Wine has one, or quit), and Enter answers Quit.
	asked := time.NewTicker(100 * time.Millisecond)
	defer asked.Stop()
	for !strings.Contains(stderr.String(), "asking before quitting") &&
		!strings.Contains(stderr.String(), "asking whether to keep running in the tray") {
		select {
		case err := <-exited:
			gone = true
			t.Fatalf("iapdesk.exe exited on Alt+F4 without asking, with a tunnel open: %v", err)
		case <-ctx.Done():
			t.Fatalf("no question after Alt+F4 with a tunnel open: %v", ctx.Err())
		case <-asked.C:
		}
	}
	enter := exec.CommandContext(ctx, "xdotool", "key", "--window", win, "Return")
	enter.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := enter.CombinedOutput(); err != nil {
		t.Fatalf("xdotool key Return: %v\n%s", err, out)
	}
	select {
	case err := <-exited:
		gone = true
		if err != nil {
			t.Errorf("iapdesk.exe after Alt+F4 and Enter: %v, want a clean exit", err)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("iapdesk.exe did not exit within 60s of Alt+F4 and Enter")
	}
}

func diff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
