package tunnel_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

func TestForwarderCounters(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{})
	f := startForwarder(t, newDialer(t, srv), vm)
	if ip := f.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() || ip.To4() == nil {
		t.Errorf("forwarder listens on %v, want 127.0.0.1", f.Addr())
	}
	const conns, size = 3, 256 << 10
	var wg sync.WaitGroup
	locals := make([]net.Conn, conns)
	for i := range locals {
		c, err := net.Dial("tcp", f.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		locals[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			roundTrip(t, c, stream(uint64(i), size))
		}()
	}
	wg.Wait()
	waitStats(t, f, func(s tunnel.ForwarderStats) bool {
		return s.Open == conns && s.BytesUp == conns*size && s.BytesDown == conns*size
	})
	for _, c := range locals {
		c.Close()
	}
	s := waitStats(t, f, func(s tunnel.ForwarderStats) bool { return s.Open == 0 })
	if s.Total != conns || s.Errors != 0 || s.BytesUp != conns*size || s.BytesDown != conns*size {
		t.Errorf("stats after close = %+v, want %d connections of %d bytes each way", s, conns, size)
	}
}

func waitStats(t *testing.T, f *tunnel.Forwarder, ok func(tunnel.ForwarderStats) bool) tunnel.ForwarderStats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := f.Stats()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("forwarder stats %+v never matched", s)
		}
		time.Sleep(10 * time.Millisecond) // polling live counters
	}
}

// Close ends every open tunnel and local connection, and Serve returns nil.
func TestForwarderShutdown(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{})
	f, err := tunnel.NewForwarder(context.Background(), tunnel.ForwarderConfig{Dialer: newDialer(t, srv), Target: vm, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.Serve(ctx) }()
	local, err := net.Dial("tcp", f.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	roundTrip(t, local, []byte("before shutdown"))
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve() after cancel = %v, want nil", err)
	}
	_ = local.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := local.Read(make([]byte, 1)); err == nil {
		t.Fatalf("local connection still open after shutdown (read %d bytes)", n)
	}
	if _, err := net.Dial("tcp", f.Addr().String()); err == nil {
		t.Error("listener still accepts after shutdown")
	}
	f.Close() // idempotent
}

// The connectivity check fails fast with the relay's error, before listening.
func TestForwarderConnectionCheck(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{CloseOnConnect: 4003}})
	_, err := tunnel.NewForwarder(context.Background(), tunnel.ForwarderConfig{
		Dialer: newDialer(t, srv), Target: vm, CheckConnection: true, Logger: testLogger(t),
	})
	if !errors.Is(err, tunnel.ErrBackendUnreachable) {
		t.Fatalf("NewForwarder with check = %v, want ErrBackendUnreachable", err)
	}
}

// A refused peer is closed at once and no tunnel is opened for it.
func TestForwarderRefusesPeer(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{})
	errOther := errors.New("connection from another user")
	f, err := tunnel.NewForwarder(context.Background(), tunnel.ForwarderConfig{
		Dialer: newDialer(t, srv), Target: vm, Logger: testLogger(t),
		AllowPeer: func(net.Conn) error { return errOther },
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.Serve(context.Background()) }()
	defer f.Close()
	local, err := net.Dial("tcp", f.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	_ = local.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := local.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("refused peer read = %v, want EOF", err)
	}
	s := waitStats(t, f, func(s tunnel.ForwarderStats) bool { return s.Errors == 1 })
	if !errors.Is(s.LastError, errOther) || len(srv.Handshakes()) != 0 {
		t.Errorf("stats %+v, %d handshakes; want the refusal and no tunnel", s, len(srv.Handshakes()))
	}
}

// Random drops through the forwarder, both directions at once: the bytes
// arrive intact.
func TestForwarderRandomDrops(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
		Faults: relaytest.Faults{DropChance: 0.02, DropSeed: 7, DropCount: 10},
	})
	f := startForwarder(t, newDialer(t, srv), vm)
	local, err := net.Dial("tcp", f.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	roundTrip(t, local, stream(99, 8<<20))
	if n := srv.Sessions()[0].Connections; n < 2 {
		t.Errorf("%d relay connections: the random drops did not fire", n)
	}
}
