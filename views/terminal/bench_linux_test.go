package terminal_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"golang.org/x/crypto/ssh"

	"iapdesk/tunnel/relaytest"
	"iapdesk/views/terminal"
)

// BenchmarkTerminalThroughput: `cat` of 20 MB of text through a terminal
// tab (relay, tunnel, SSH, emulator, widget). The widget redraws every
// frame as the tab does; max-frame-gap-ms is the longest wait between two
// frames while the text pours in (the UI stays responsive below 100 ms).
func BenchmarkTerminalThroughput(b *testing.B) {
	const size = 20 << 20
	w := newWorld(b, relaytest.Faults{})
	text := filepath.Join(b.TempDir(), "text.txt")
	line := strings.Repeat("The quick brown fox jumps over the lazy dog 0123456789. ", 2)[:110] + "\n"
	if err := os.WriteFile(text, []byte(strings.Repeat(line, size/len(line))), 0o644); err != nil {
		b.Fatal(err)
	}
	a := test.NewTempApp(b)
	b.ReportAllocs()
	b.SetBytes(size)
	var total time.Duration
	var worstGap time.Duration
	for b.Loop() {
		tb := w.openTab(b, 120, 40)
		term := terminal.NewTerminal(tb.model, a.Clipboard())
		win := a.NewWindow("bench")
		win.SetContent(term)
		win.Resize(fyne.NewSize(1000, 700))
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var gap time.Duration
		wg.Go(func() {
			tick := time.NewTicker(33 * time.Millisecond)
			defer tick.Stop()
			last := time.Now()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					fyne.DoAndWait(func() {
						if tb.model.Changed() {
							term.Refresh()
						}
					})
					now := time.Now()
					gap = max(gap, now.Sub(last))
					last = now
				}
			}
		})
		start := time.Now()
		tb.send("cat " + text + "; echo CAT-DONE$((3+4))\r")
		tb.waitFor("the end of cat", func(l []string) bool { return contains(l, "CAT-DONE7") })
		total += time.Since(start)
		close(stop)
		wg.Wait()
		worstGap = max(worstGap, gap)
		win.Close()
	}
	b.ReportMetric(float64(size)*float64(b.N)/total.Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(worstGap.Microseconds())/1000, "max-frame-gap-ms")
}

// BenchmarkKeystrokeEcho: a key typed in a tab until its echo is on the
// screen, against the same through a direct loopback SSH connection (no
// relay, no tunnel, no emulator): added-p50-ms is what iapdesk adds.
func BenchmarkKeystrokeEcho(b *testing.B) {
	w := newWorld(b, relaytest.Faults{})
	tb := w.openTab(b, 80, 24)
	direct := directShell(b, w)
	tb.waitFor("the prompt", func(l []string) bool {
		l = slices.DeleteFunc(slices.Clone(l), func(s string) bool { return s == "" })
		return len(l) > 0 && l[len(l)-1] == "$"
	})
	tb.out.mu.Lock()
	tb.out.buf.Reset()
	tb.out.mu.Unlock()
	const keys = 200
	var tab, dir []time.Duration
	for b.Loop() {
		for i := range keys {
			c := string(rune('a' + i%26))
			start := time.Now()
			tb.send(c)
			tb.waitForOutput(c)
			tab = append(tab, time.Since(start))
			start = time.Now()
			direct.echo(b, c)
			dir = append(dir, time.Since(start))
		}
		tb.send("\x15") // Ctrl+U: clear the line
		direct.echo(b, "\x15")
	}
	p50 := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	tp, dp := p50(tab), p50(dir)
	b.ReportMetric(float64(tp.Microseconds())/1000, "tab-p50-ms")
	b.ReportMetric(float64(dp.Microseconds())/1000, "direct-p50-ms")
	b.ReportMetric(float64((tp-dp).Microseconds())/1000, "added-p50-ms")
}

// waitForOutput waits until the shell has sent s (since the last call).
func (tb *tab) waitForOutput(s string) {
	tb.t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		tb.out.mu.Lock()
		got := tb.out.buf.String()
		if i := strings.LastIndex(got, s); i >= 0 {
			tb.out.buf.Reset()
			tb.out.mu.Unlock()
			return
		}
		tb.out.mu.Unlock()
		select {
		case <-tb.out.changed:
		case <-deadline.C:
			tb.t.Fatalf("no echo of %q", s)
		}
	}
}

// directSSH is a shell on a pty over a plain loopback TCP connection to
// the sshd: the baseline of the echo benchmark.
type directSSH struct {
	in  io.Writer
	out io.Reader
	buf []byte
}

func directShell(b *testing.B, w *world) *directSSH {
	b.Helper()
	key, err := os.ReadFile(w.sshd.ClientKey)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		b.Fatal(err)
	}
	c, err := ssh.Dial("tcp", w.sshd.Addr, &ssh.ClientConfig{User: w.sshd.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey()}) //nolint:gosec // loopback test server
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	s, err := c.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.RequestPty("xterm-256color", 24, 80, ssh.TerminalModes{ssh.ECHO: 1}); err != nil {
		b.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		b.Fatal(err)
	}
	d := &directSSH{in: in, out: out, buf: make([]byte, 4096)}
	if _, err := io.WriteString(in, "export PS1='>'; echo READY$((1+1))\r"); err != nil {
		b.Fatal(err)
	}
	d.readUntil(b, func(s string) bool { return strings.Contains(s, "READY2") && strings.HasSuffix(s, ">") })
	return d
}

// echo types s and reads until its echo arrives.
func (d *directSSH) echo(b *testing.B, s string) {
	b.Helper()
	if _, err := io.WriteString(d.in, s); err != nil {
		b.Fatal(err)
	}
	want := s
	if s == "\x15" {
		want = "" // the line is cleared: any answer will do
	}
	d.readUntil(b, func(got string) bool { return strings.Contains(got, want) })
}

// readUntil reads the shell's output until ok holds for what came.
func (d *directSSH) readUntil(b *testing.B, ok func(string) bool) {
	b.Helper()
	var got strings.Builder
	for {
		n, err := d.out.Read(d.buf)
		if err != nil {
			b.Fatal(fmt.Errorf("direct ssh: %w", err))
		}
		got.Write(d.buf[:n])
		if ok(got.String()) {
			return
		}
	}
}
