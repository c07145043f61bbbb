package tunnel_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// returnsWithin runs fn and fails the test unless it returns within d.
func returnsWithin(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// silentListener accepts TCP connections and never answers: a relay, proxy
// or PSC endpoint that hangs before the WebSocket upgrade.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// A relay that stops reading the client's socket: a Write blocked in the
// socket (sending inline) returns at its deadline, and Abort and Close
// return within a second instead of waiting on the network (a TCP timeout
// or, over TLS, a close_notify that cannot be sent).
func TestStalledRelay(t *testing.T) {
	stops := []struct {
		name string
		stop func(*tunnel.Conn)
	}{
		{"Abort", func(c *tunnel.Conn) { c.Abort() }},
		{"Close", func(c *tunnel.Conn) { _ = c.Close() }},
	}
	for _, tls := range []bool{false, true} {
		for _, st := range stops {
			t.Run(map[bool]string{false: "ws", true: "wss"}[tls]+"/"+st.name, func(t *testing.T) {
				srv := startRelay(t, tls, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{StopReading: true}})
				d := newDialer(t, srv)
				d.MaxUnacked = 64 << 20 // Write never waits for ACKs: it sends, and blocks in the socket
				d.CloseTimeout = 200 * time.Millisecond
				c := dial(t, d, vm)
				const size = 32 << 20 // far more than the socket buffers hold
				deadline := 300 * time.Millisecond
				_ = c.SetWriteDeadline(time.Now().Add(deadline))
				var n int
				var err error
				returnsWithin(t, deadline+2*time.Second, "Write with a deadline", func() { n, err = c.Write(make([]byte, size)) })
				// Write returns at the deadline when it was the one blocked
				// in the socket; having queued everything otherwise.
				if !errors.Is(err, os.ErrDeadlineExceeded) && (err != nil || n != size) {
					t.Errorf("Write to a stalled relay = %d, %v; want os.ErrDeadlineExceeded (or all %d bytes queued)", n, err, size)
				}
				returnsWithin(t, time.Second, st.name, func() { st.stop(c) })
			})
		}
	}
}

// Close and Abort do not wait for a reconnect that the relay never answers.
func TestCloseDuringSilentReconnect(t *testing.T) {
	greet := func(c net.Conn) {
		_, _ = io.WriteString(c, "hi")
		_, _ = io.Copy(io.Discard, c)
	}
	for _, tc := range []struct {
		name string
		stop func(*tunnel.Conn)
	}{
		{"Close", func(c *tunnel.Conn) { _ = c.Close() }},
		{"Abort", func(c *tunnel.Conn) { c.Abort() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRelay(t, false, startBackend(t, greet), relaytest.Config{
				Faults: relaytest.Faults{DropAfterSent: []uint64{2}},
			})
			c := dial(t, newDialer(t, srv), vm) // default CloseTimeout (10 s) and HandshakeTimeout (60 s)
			srv.SetFaults(relaytest.Faults{NoAnswer: true})
			if _, err := io.ReadFull(c, make([]byte, 2)); err != nil {
				t.Fatalf("read greeting: %v", err)
			}
			waitHandshakes(t, srv, 2) // the reconnect is waiting for an answer
			returnsWithin(t, time.Second, tc.name, func() { tc.stop(c) })
		})
	}
}

// Forwarder.Close returns within a second while a tunnel is blocked on a
// relay that stopped reading (TLS: no close_notify wait), and while a dial
// waits for a relay that never answers; the local clients are reset.
func TestForwarderCloseDoesNotWait(t *testing.T) {
	t.Run("relay stops reading", func(t *testing.T) {
		for _, tls := range []bool{false, true} {
			t.Run(map[bool]string{false: "ws", true: "wss"}[tls], func(t *testing.T) {
				srv := startRelay(t, tls, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{StopReading: true}})
				d := newDialer(t, srv)
				// More than the socket to the relay holds, so the tunnel
				// blocks in it rather than waiting for ACKs.
				d.MaxUnacked = 8 << 20
				f, served := serveForwarder(t, d)
				local, err := net.Dial("tcp", f.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer local.Close()
				// Fill every buffer on the way (the tunnel's queue, and the
				// sockets, which on loopback grow to tens of MiB): the local
				// write times out once the tunnel is blocked.
				_ = local.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
				if _, err := local.Write(make([]byte, 96<<20)); !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("local write through a stalled relay = %v, want a timeout", err)
				}
				returnsWithin(t, time.Second, "Forwarder.Close", func() { f.Close() })
				if err := <-served; err != nil {
					t.Errorf("Serve() = %v", err)
				}
				if err := readErr(t, local); !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("local read after Close = %v, want ECONNRESET", err)
				}
			})
		}
	})
	t.Run("dial pending", func(t *testing.T) {
		srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{NoAnswer: true}})
		errs := make(chan error, 1)
		d := newDialer(t, srv) // the default 60 s handshake timeout
		f, served := serveForwarderWith(t, d, func(err error) { errs <- err })
		local, err := net.Dial("tcp", f.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer local.Close()
		waitHandshakes(t, srv, 1)
		returnsWithin(t, time.Second, "Forwarder.Close", func() { f.Close() })
		if err := <-served; err != nil {
			t.Errorf("Serve() = %v", err)
		}
		if err := readErr(t, local); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("local read after Close = %v, want ECONNRESET", err)
		}
		select {
		case err := <-errs:
			t.Errorf("OnError(%v) for a dial cut short by Close, want no report", err)
		default:
		}
	})
}

// serveForwarder runs a Forwarder for vm; Close is the test's to call, and
// served yields Serve's result.
func serveForwarder(t *testing.T, d tunnel.ConnDialer) (*tunnel.Forwarder, <-chan error) {
	t.Helper()
	return serveForwarderWith(t, d, nil)
}

func serveForwarderWith(t *testing.T, d tunnel.ConnDialer, onError func(error)) (*tunnel.Forwarder, <-chan error) {
	t.Helper()
	f, err := tunnel.NewForwarder(context.Background(), tunnel.ForwarderConfig{
		Dialer: d, Target: vm, Logger: testLogger(t), OnError: onError,
	})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- f.Serve(context.Background()) }()
	t.Cleanup(func() { f.Close() })
	return f, served
}
