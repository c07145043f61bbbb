package tunnel_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// wakeDeadline is how soon after the wake a black-holed tunnel must carry
// data again (issue 15: resumed in < 2 s).
const wakeDeadline = 2 * time.Second

// probeCtx bounds one probe the way the app does after a wake.
func probeCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

// TestProbeResumesBlackHoledConn: the laptop slept and the relay
// connection went silent (no FIN, no RST: the relay neither reads nor
// sends). Without a probe the Conn would wait for TCP to time out; Probe
// finds the silence, drops the connection and resumes the session through
// /v4/reconnect at once. The bytes written into the black hole, and the
// echo the relay could not send, all arrive: none lost, none twice.
func TestProbeResumesBlackHoledConn(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{})
	c := dial(t, newDialer(t, srv), vm)
	roundTrip(t, c, stream(1, 100<<10)) // the tunnel is up

	srv.BlackHole()
	written := stream(2, 300<<10) // into the hole: more than the socket buffers take
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(written)
		errc <- err
	}()
	start := time.Now()
	if err := c.Probe(probeCtx(t)); !errors.Is(err, tunnel.ErrProbeFailed) {
		t.Fatalf("Probe() on a black-holed connection = %v, want ErrProbeFailed", err)
	}
	got := make([]byte, len(written))
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read the echo after the probe: %v", err)
	}
	if took := time.Since(start); took > wakeDeadline {
		t.Errorf("resumed %v after the probe, want < %v", took, wakeDeadline)
	}
	if string(got) != string(written) {
		t.Fatal("the echo after the resume differs from what was written: bytes lost or duplicated")
	}
	if err := <-errc; err != nil {
		t.Fatalf("Write into the black hole = %v", err)
	}
	if n := c.Stats().Reconnects; n != 1 {
		t.Errorf("Stats().Reconnects = %d, want 1", n)
	}
	roundTrip(t, c, stream(3, 10<<10)) // and it goes on
}

// TestProbeHealthyConn: a relay that answers leaves the connection alone.
func TestProbeHealthyConn(t *testing.T) {
	srv := startRelay(t, true, startBackend(t, echo), relaytest.Config{})
	c := dial(t, newDialer(t, srv), vm)
	roundTrip(t, c, stream(4, 1000))
	for i := range 3 {
		if err := c.Probe(probeCtx(t)); err != nil {
			t.Fatalf("Probe() #%d on a healthy connection = %v, want nil", i+1, err)
		}
	}
	roundTrip(t, c, stream(5, 1000))
	if n := c.Stats().Reconnects; n != 0 {
		t.Errorf("Stats().Reconnects = %d, want 0", n)
	}
	if hs := srv.Handshakes(); len(hs) != 1 {
		t.Errorf("relay saw %d handshakes, want 1 (no reconnect)", len(hs))
	}
}

// TestProbeEndsReconnectBackoff: after a wake the network is often not
// back at once: the first reconnect fails and the session waits out its
// backoff. A probe (the network came back) retries at once instead.
func TestProbeEndsReconnectBackoff(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{})
	d := newDialer(t, srv)
	d.Retry = tunnel.Backoff{Initial: time.Hour, Max: time.Hour, Budget: 2 * time.Hour}
	c := dial(t, d, vm)
	roundTrip(t, c, []byte("before"))

	srv.BlackHole()
	// The first reconnect (immediate) is refused; the next waits an hour.
	srv.SetFaults(relaytest.Faults{HTTPStatus: []int{http.StatusServiceUnavailable}})
	if err := c.Probe(probeCtx(t)); !errors.Is(err, tunnel.ErrProbeFailed) {
		t.Fatalf("Probe() = %v, want ErrProbeFailed", err)
	}
	// Still resuming (the refused reconnect is under way, or it has
	// failed and the session waits out its hour of backoff).
	start := time.Now()
	if err := c.Probe(probeCtx(t)); err != nil {
		t.Fatalf("Probe() while resuming = %v, want nil", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	roundTrip(t, c, []byte("after"))
	if took := time.Since(start); took > wakeDeadline {
		t.Errorf("resumed %v after the second probe, want < %v (not the hour of backoff)", took, wakeDeadline)
	}
}

// TestForwarderProbe: Forwarder.Probe probes every connection it carries.
func TestForwarderProbe(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{})
	f := startForwarder(t, newDialer(t, srv), vm)
	var locals []net.Conn
	for range 3 {
		l, err := net.Dial("tcp", f.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		roundTrip(t, l, []byte("up"))
		locals = append(locals, l)
	}
	if err := f.Probe(probeCtx(t)); err != nil {
		t.Fatalf("Forwarder.Probe() with healthy tunnels = %v, want nil", err)
	}
	srv.BlackHole()
	err := f.Probe(probeCtx(t))
	if !errors.Is(err, tunnel.ErrProbeFailed) {
		t.Fatalf("Forwarder.Probe() after BlackHole = %v, want ErrProbeFailed", err)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 3 {
		t.Errorf("Forwarder.Probe() joined %d errors, want one per tunnel (3)", n)
	}
	for _, l := range locals {
		roundTrip(t, l, []byte("resumed"))
	}
}

// BenchmarkResumeAfterWake measures how long a black-holed tunnel takes,
// from the wake signal (the probe) to a round trip through the resumed
// session: the probe's wait for a pong, the drop and /v4/reconnect.
func BenchmarkResumeAfterWake(b *testing.B) {
	srv := startRelay(b, false, startBackend(b, echo), relaytest.Config{})
	c := dial(b, newDialer(b, srv), vm)
	msg := []byte("ping through the tunnel")
	roundTrip(b, c, msg)
	b.ReportAllocs()
	var total time.Duration
	for b.Loop() {
		srv.BlackHole()
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Probe(ctx)
		cancel()
		if !errors.Is(err, tunnel.ErrProbeFailed) {
			b.Fatalf("Probe() = %v, want ErrProbeFailed", err)
		}
		roundTrip(b, c, msg)
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/resume")
}
