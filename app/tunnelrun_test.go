package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// lineWriter is a stderr that hands each complete line to lines.
type lineWriter struct {
	mu    sync.Mutex // guards buf
	buf   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line) // incomplete: keep it
			return len(p), nil
		}
		w.lines <- strings.TrimSuffix(line, "\n")
	}
}

// waitLine returns the first line matching re, failing after 20 s.
func waitLine(t *testing.T, lines <-chan string, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case l := <-lines:
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-timeout.C:
			t.Fatalf("no stderr line matching %q", re)
		}
	}
}

// tunnelRelay is a relay routing vm-1:22 to an echo server, whose sessions
// drop after 5 bytes from the client, and RunTunnel's options for it.
func tunnelRelay(t *testing.T) (*relaytest.Server, app.TunnelOptions) {
	t.Helper()
	srv := relaytest.NewServer(relaytest.Config{Faults: relaytest.Faults{DropAfterRecv: []uint64{5}}})
	t.Cleanup(srv.Close)
	srv.Route(relaytest.VM("proj", "europe-west4-a", "vm-1", 22), echoBackend(t))
	return srv, app.TunnelOptions{
		Target: tunnel.Target{Project: "proj", Zone: "europe-west4-a", Instance: "vm-1", Port: 22},
		Dialer: &tunnel.Dialer{TokenSource: staticToken{}, URL: srv.URL},
		Logger: testLog(t),
	}
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

// `iapdesk tunnel` (listening): a session lost for good resets the local
// connection and prints what happened, why and what to do on stderr, at the
// default verbosity; the listener goes on until stopped.
func TestRunTunnelReportsLostSession(t *testing.T) {
	srv, o := tunnelRelay(t)
	o.LocalHostPort = "localhost:0"
	stderr := &lineWriter{lines: make(chan string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- app.RunTunnel(ctx, o, app.Stdio{In: strings.NewReader(""), Out: io.Discard, Err: stderr})
	}()

	port := waitLine(t, stderr.lines, regexp.MustCompile(`^Listening on port \[(\d+)\]\.$`))[1]
	local, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if _, err := io.WriteString(local, "hi"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(local, make([]byte, 2)); err != nil {
		t.Fatalf("echo through the tunnel: %v", err)
	}
	srv.SetFaults(relaytest.Faults{CloseOnReconnect: tunnel.CodeSIDUnknown}) // the relay restarted
	if _, err := io.WriteString(local, "hello"); err != nil {                // the connection drops
		t.Fatal(err)
	}
	_ = local.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.Copy(io.Discard, local); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("local read after the session was lost = %v, want ECONNRESET", err)
	}
	waitLine(t, stderr.lines, regexp.MustCompile(`^ERROR: The tunnel to vm-1 \(port 22\) was interrupted: the session could not be resumed`))
	waitLine(t, stderr.lines, regexp.MustCompile(`^  fix: Connect again`))
	waitLine(t, stderr.lines, regexp.MustCompile(`^  details: .*code 4001 \(SID_UNKNOWN\)`))

	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunTunnel after Ctrl-C = %v, want nil", err)
	}
}

// closingWriter is stdout for --listen-on-stdin: closing it closes stdin, as
// ssh exits (closing our stdin) when the ProxyCommand's stdout ends.
type closingWriter struct {
	io.Writer
	stdin io.Closer
}

func (w closingWriter) Close() error { return w.stdin.Close() }

// `iapdesk tunnel --listen-on-stdin`: a session lost for good ends the
// command with the UserError for it (exit 1).
func TestRunTunnelStdinLostSession(t *testing.T) {
	srv, o := tunnelRelay(t)
	srv.SetFaults(relaytest.Faults{DropAfterRecv: []uint64{5}, CloseOnReconnect: tunnel.CodeSIDUnknown})
	o.ListenOnStdin = true
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	go func() { _, _ = io.WriteString(stdinW, "hello") }() // the relay drops after 5 bytes
	err := app.RunTunnel(context.Background(), o, app.Stdio{In: stdinR, Out: closingWriter{io.Discard, stdinR}, Err: io.Discard})
	var ue *app.UserError
	if !errors.As(err, &ue) || !errors.Is(err, tunnel.ErrSessionLost) {
		t.Fatalf("RunTunnel --listen-on-stdin = %v, want a UserError for ErrSessionLost", err)
	}
	if !strings.Contains(ue.What, "was interrupted") || !strings.Contains(ue.Why, "could not be resumed") || ue.Fix == "" {
		t.Errorf("UserError = %+v, want what happened and a fix", ue)
	}
}
