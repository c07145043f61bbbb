package terminal_test

import (
	"bytes"
	"context"
	"errors"
	"image/color"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"iapdesk/app"
	"iapdesk/app/desk"
	"iapdesk/app/gcetest"
	"iapdesk/auth"
	"iapdesk/auth/authtest"
	"iapdesk/platform/systest"
	"iapdesk/tunnel/relaytest"
	"iapdesk/views/terminal"
)

// e2eVM is the VM whose port 22 the relay routes to a real sshd.
var e2eVM = app.InstanceRef{Project: "term-project", Zone: "us-east1-b", Name: "vm-term"}

const e2eToken = "terminal-e2e-token"

// world is a real sshd behind the fake relay, the fake Compute API serving
// e2eVM, and iapdesk's services built by the composition root on them.
type world struct {
	sshd  *systest.SSHD
	relay *relaytest.Server
	svc   *desk.Services
	dir   string
}

func newWorld(t testing.TB, faults relaytest.Faults) *world {
	t.Helper()
	w := &world{dir: t.TempDir()}
	g, err := gcetest.NewServer(gcetest.Config{AccessToken: e2eToken, Projects: []gcetest.Project{{ID: e2eVM.Project,
		Instances: []gcetest.Instance{{Name: e2eVM.Name, Zone: e2eVM.Zone, OS: gcetest.Linux, ID: 9131}}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	tokenFile := filepath.Join(w.dir, "token")
	if err := os.WriteFile(tokenFile, []byte(e2eToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.sshd = systest.StartSSHD(t, systest.SSHDConfig{})
	w.relay = relaytest.NewServer(relaytest.Config{CheckToken: func(tok string) bool { return tok == e2eToken }, Faults: faults})
	t.Cleanup(w.relay.Close)
	w.relay.Route(relaytest.VM(e2eVM.Project, e2eVM.Zone, e2eVM.Name, 22), w.sshd.Addr)
	d, err := desk.New(desk.Options{Auth: auth.Config{AccessTokenFile: tokenFile}, ConfigDir: filepath.Join(w.dir, "config"),
		Secrets: authtest.NewMemStore(), ComputeURL: g.URL + "/compute/v1/", OSLoginURL: g.URL + "/", ResourceManagerURL: g.URL + "/",
		RelayURL: w.relay.URL, SSH: app.SSHParams{StrictHostKeyChecking: "accept-new"},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if w.svc, err = d.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.svc.Close)
	return w
}

// request is an SSH request as the window makes it, logging in with the
// sshd's own key (nothing to publish).
func (w *world) request() app.Request {
	return app.Request{Instance: app.Instance{InstanceRef: e2eVM}, SSH: app.SSHParams{Username: w.sshd.User, KeyFile: w.sshd.ClientKey}}
}

// tab is a terminal running on a shell on the VM, as a tab runs it.
type tab struct {
	t      testing.TB
	model  *terminal.Model
	client *app.SSHClient
	shell  *app.Shell
	out    *tee
	done   chan error
}

// tee notes every read, so a test waits for output instead of sleeping,
// and keeps a copy of it.
type tee struct {
	r       *app.Shell
	mu      sync.Mutex // guards buf
	buf     bytes.Buffer
	changed chan struct{}
}

func (t *tee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.mu.Lock()
	t.buf.Write(p[:n])
	t.mu.Unlock()
	select {
	case t.changed <- struct{}{}:
	default:
	}
	return n, err
}

func (t *tee) Write(p []byte) (int, error) { return t.r.Write(p) }

func (t *tee) raw() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

func (w *world) openTab(t testing.TB, cols, rows int) *tab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := w.svc.SSHClients.Open(ctx, w.request(), nil)
	if err != nil {
		t.Fatalf("Open = %v\nsshd log:\n%s", err, w.sshd.Log())
	}
	sh, err := c.Shell(ctx, app.ShellConfig{Cols: cols, Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	tb := &tab{t: t, model: terminal.NewModel(cols, rows, 5000, terminal.Events{}), client: c, shell: sh,
		out: &tee{r: sh, changed: make(chan struct{}, 1)}, done: make(chan error, 1)}
	go func() { tb.done <- terminal.Attach(context.Background(), tb.model, tb.out) }()
	t.Cleanup(func() {
		sh.Close()
		<-tb.done
		tb.model.Close()
		c.Close()
	})
	// An interactive bash: no prompt decorations to match, a fixed one.
	tb.send("export PS1='$ '; stty -ixon; echo READY$((40+2))\r")
	tb.waitFor("the shell", func(lines []string) bool { return contains(lines, "READY42") })
	return tb
}

func (tb *tab) send(s string) { tb.model.Text(s) }

// waitFor waits until the screen satisfies ok.
func (tb *tab) waitFor(what string, ok func(lines []string) bool) []string {
	tb.t.Helper()
	return tb.waitLong(what, 30*time.Second, ok)
}

// waitLong is waitFor with a deadline of its own.
func (tb *tab) waitLong(what string, d time.Duration, ok func(lines []string) bool) []string {
	tb.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	// The model takes in a chunk after the tee has read it, so the last
	// chunk's signal can come before the screen shows it: look again
	// now and then as well.
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		lines := screen(tb.model)
		if ok(lines) {
			return lines
		}
		select {
		case <-tb.out.changed:
		case <-poll.C:
		case <-deadline.C:
			raw := tb.out.raw()
			tb.t.Fatalf("waiting for %s; the screen shows:\n%s\nthe last output: %q", what, strings.Join(lines, "\n"), raw[max(0, len(raw)-400):])
		}
	}
}

// waitProgress is waitFor for long output: it fails when the screen has
// not changed for stall, not after a fixed time.
func (tb *tab) waitProgress(what string, stall time.Duration, ok func(lines []string) bool) []string {
	tb.t.Helper()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	last, since := "", time.Now()
	for {
		lines := screen(tb.model)
		if ok(lines) {
			return lines
		}
		if now := strings.Join(lines, "\n"); now != last {
			last, since = now, time.Now()
		} else if time.Since(since) > stall {
			raw := tb.out.raw()
			tb.t.Fatalf("waiting for %s, the screen has not changed for %v:\n%s\nthe last output: %q", what, stall, now, raw[max(0, len(raw)-400):])
		}
		<-poll.C
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// find returns the position of s on the screen.
func find(lines []string, s string) (x, y int, ok bool) {
	for y, l := range lines {
		if i := strings.Index(l, s); i >= 0 {
			return len([]rune(l[:i])), y, true
		}
	}
	return 0, 0, false
}

// TestE2ETerminalColours: printf with 256-colour and true-colour
// sequences through the tunnel puts cells of those colours on the screen,
// bold and underlined where asked.
func TestE2ETerminalColours(t *testing.T) {
	w := newWorld(t, relaytest.Faults{})
	tb := w.openTab(t, 100, 30)
	tb.send(`printf '\033[38;5;196mRED256\033[0m \033[48;2;12;34;56mTRUEBG\033[0m \033[1;4;38;2;200;100;50mBOLDTRUE\033[0m\n'` + "\r")
	lines := tb.waitFor("the coloured words", func(l []string) bool { return contains(l, "RED256 TRUEBG BOLDTRUE") })
	x, y, _ := find(lines, "RED256 TRUEBG")
	tests := []struct {
		name string
		x    int
		want terminal.Cell
	}{
		{"256-colour foreground", x, terminal.Cell{Text: "R", Width: 1, FG: color.RGBA{255, 0, 0, 255}}},
		{"true-colour background", x + 7, terminal.Cell{Text: "T", Width: 1, BG: color.RGBA{12, 34, 56, 255}}},
		{"bold underlined true colour", x + 14, terminal.Cell{Text: "B", Width: 1, FG: color.RGBA{200, 100, 50, 255}, Bold: true, Underline: true}},
		{"reset after", x + 6, terminal.Cell{Text: " ", Width: 1}},
	}
	for _, tc := range tests {
		if got := cell(tb.model, tc.x, y); got != tc.want {
			t.Errorf("%s: cell(%d, %d) = %+v, want %+v", tc.name, tc.x, y, got, tc.want)
		}
	}
}

// TestE2ETerminalVim: vim opens on the alternate screen and :q returns to
// the prompt with the shell's screen as it was.
func TestE2ETerminalVim(t *testing.T) {
	systest.Require(t, "vim")
	w := newWorld(t, relaytest.Faults{})
	tb := w.openTab(t, 80, 24)
	tb.send("echo BEFORE$((1+1)); vim -u NONE -N -c 'set shortmess+=I' /tmp/iapdesk-terminal-e2e-$$.txt\r")
	tb.waitFor("vim", func(l []string) bool {
		return tb.model.AltScreen() && contains(l, "~") && !contains(l, "BEFORE2")
	})
	tb.send(":q\r")
	tb.waitFor("the prompt after :q", func(l []string) bool { return !tb.model.AltScreen() && contains(l, "BEFORE2") })
	tb.send("echo AFTER$((1+1))\r")
	tb.waitFor("the shell again", func(l []string) bool { return contains(l, "AFTER2") })
}

// TestE2ETerminalResize: a resize (SSH window-change with the new size in
// cells) changes what stty size prints.
func TestE2ETerminalResize(t *testing.T) {
	w := newWorld(t, relaytest.Faults{})
	tb := w.openTab(t, 80, 24)
	tb.send("echo SIZE:$(stty size)\r")
	tb.waitFor("stty size 24 80", func(l []string) bool { return contains(l, "SIZE:24 80") })
	tb.model.Resize(132, 40)
	if err := tb.shell.Resize(132, 40); err != nil {
		t.Fatal(err)
	}
	tb.send("echo SIZE:$(stty size)\r")
	tb.waitFor("stty size 40 132", func(l []string) bool { return contains(l, "SIZE:40 132") })
}

// TestE2ETerminalCtrlC: Ctrl+C (a key press, as the widget sends it)
// interrupts sleep (status 130) and the prompt comes back at once.
func TestE2ETerminalCtrlC(t *testing.T) {
	w := newWorld(t, relaytest.Faults{})
	tb := w.openTab(t, 80, 24)
	// sh says when it is about to become sleep: the interrupt then goes to
	// the running command, not to the shell still reading the line (either
	// way, sh or sleep dies of SIGINT: status 130).
	tb.send("sh -c 'echo START$((1+1)); exec sleep 1000'\r")
	tb.waitFor("sleep to start", func(l []string) bool { return contains(l, "START2") })
	k, _ := terminal.KeyFor(fyne.KeyC, fyne.KeyModifierControl)
	start := time.Now()
	tb.model.Key(k)
	// bash abandons a command line whose command died of SIGINT: ask for
	// the status on the next one.
	tb.send("echo EXIT:$?\r")
	tb.waitFor("the interrupted sleep", func(l []string) bool { return contains(l, "EXIT:130") })
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Ctrl+C took %v", d)
	}
}

// TestE2ETerminalRelayDropLosesNoLine: the relay drops its connection in
// the middle of seq 1 200000; the tunnel resumes the session and the
// terminal receives every line, in order, exactly once.
func TestE2ETerminalRelayDropLosesNoLine(t *testing.T) {
	w := newWorld(t, relaytest.Faults{DropAfterSent: []uint64{300_000, 900_000}})
	// A small screen: the emulator's cost per scrolled line grows with its
	// cells, and what is checked is the stream, not the screen.
	tb := w.openTab(t, 60, 6)
	tb.send("seq 1 200000; echo SEQ-DONE$((2+2))\r")
	// The emulator takes its time over 1.3 MB of scrolling lines, the
	// more so under the race detector on a busy machine: wait while the
	// screen keeps changing, and fail when it stops for a minute.
	tb.waitProgress("the end of seq", time.Minute, func(l []string) bool { return contains(l, "SEQ-DONE4") })
	raw := tb.out.raw()
	start := strings.Index(raw, "\r1\r\n2\r\n")
	end := strings.Index(raw, "SEQ-DONE4")
	if start < 0 || end < 0 {
		t.Fatalf("seq's output not found in %d bytes: %q…", len(raw), raw[:min(len(raw), 300)])
	}
	next := 1
	for _, line := range strings.Split(raw[start+1:end], "\r\n") {
		if line == "" {
			continue
		}
		n, err := strconv.Atoi(line)
		if err != nil || n != next {
			t.Fatalf("line %q where %d was expected", line, next)
		}
		next++
		if next > 200000 {
			break
		}
	}
	if next != 200001 {
		t.Fatalf("received lines up to %d, want 200000", next-1)
	}
	if ss := w.relay.Sessions(); len(ss) != 1 || ss[0].Connections < 3 {
		t.Errorf("relay sessions = %+v, want one session resumed twice", ss)
	}
}

// TestE2ETerminalChangedHostKey: a VM whose host key differs from the one
// recorded in known_hosts under compute.<id> is refused with a warning;
// nothing is written to known_hosts.
func TestE2ETerminalChangedHostKey(t *testing.T) {
	w := newWorld(t, relaytest.Faults{})
	other := systest.StartSSHD(t, systest.SSHDConfig{})
	kh := filepath.Join(w.dir, "config", "known_hosts")
	if err := os.MkdirAll(filepath.Dir(kh), 0o700); err != nil {
		t.Fatal(err)
	}
	line := other.KnownHostsLine("compute.9131")
	if err := os.WriteFile(kh, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := w.svc.SSHClients.Open(context.Background(), w.request(), nil)
	var ue *app.UserError
	if !errors.Is(err, app.ErrHostKeyChanged) || !errors.As(err, &ue) || !strings.Contains(ue.What, "WARNING") {
		t.Fatalf("Open = %v, want a warning wrapping ErrHostKeyChanged", err)
	}
	if b, _ := os.ReadFile(kh); string(b) != line {
		t.Errorf("known_hosts = %q, want it untouched", b)
	}
}
