package tunnel_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// countingTokens hands out a new token on every call: tok-1, tok-2, …
type countingTokens struct{ n atomic.Int64 }

func (c *countingTokens) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", c.n.Add(1)), TokenType: "Bearer"}, nil
}

// testLogger routes the package's logs to t.Logf (shown on failure).
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Logf("%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

// fastRetry keeps reconnect tests quick.
var fastRetry = tunnel.Backoff{Initial: 5 * time.Millisecond, Factor: 1.5, Max: 50 * time.Millisecond, Budget: 10 * time.Second}

// newDialer returns a Dialer for srv (TLS-aware) with fast retries.
func newDialer(t testing.TB, srv *relaytest.Server) *tunnel.Dialer {
	t.Helper()
	d := &tunnel.Dialer{
		TokenSource:  &countingTokens{},
		URL:          srv.URL,
		Logger:       testLogger(t),
		Retry:        fastRetry,
		ConnectRetry: 2 * time.Second,
		Proxy:        noProxy,
	}
	if ca := srv.CA(); ca != nil {
		d.TLSConfig = ca.ClientTLS()
	}
	return d
}

func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

// vm is the target every test routes.
var vm = tunnel.Target{Project: "proj-1", Zone: "europe-west1-b", Instance: "vm-1", Port: 22}

// startRelay starts a relay routing vm to backend; tls picks wss://.
func startRelay(t testing.TB, tls bool, backend string, cfg relaytest.Config) *relaytest.Server {
	t.Helper()
	var srv *relaytest.Server
	if tls {
		srv = relaytest.NewTLSServer(cfg)
	} else {
		srv = relaytest.NewServer(cfg)
	}
	t.Cleanup(srv.Close)
	srv.Route(relaytest.VM(vm.Project, vm.Zone, vm.Instance, vm.Port), backend)
	return srv
}

// backend is a TCP server on loopback whose connections run handle.
type backend struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex // guards conns
	conns []net.Conn
}

func startBackend(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{ln: ln}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return ln.Addr().String()
}

func echo(c net.Conn) { _, _ = io.Copy(c, c) }

// stream is deterministic pseudo-random data of n bytes.
func stream(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// roundTrip writes data through c and reads the echo back concurrently, and
// checks the sha256 of both.
func roundTrip(t testing.TB, c net.Conn, data []byte) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		errc <- err
	}()
	h := sha256.New()
	n, err := io.CopyN(h, c, int64(len(data)))
	if err != nil {
		t.Fatalf("read echo after %d of %d bytes: %v", n, len(data), err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	want := sha256.Sum256(data)
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("echo sha256 = %x, want %x", got, want)
	}
}

func dial(t testing.TB, d *tunnel.Dialer, target tunnel.Target) *tunnel.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, target)
	if err != nil {
		t.Fatalf("Dial(%v): %v", target, err)
	}
	t.Cleanup(func() { c.Abort() })
	return c
}

// readErr reads c until it fails and returns the error (nil for io.EOF).
func readErr(t testing.TB, c net.Conn) error {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// startForwarder runs a Forwarder for target until the test ends.
func startForwarder(t testing.TB, d tunnel.ConnDialer, target tunnel.Target) *tunnel.Forwarder {
	t.Helper()
	f, err := tunnel.NewForwarder(context.Background(), tunnel.ForwarderConfig{Dialer: d, Target: target, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.Serve(context.Background()) }()
	t.Cleanup(func() {
		f.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v", err)
		}
	})
	return f
}

func itoa(i int) string { return strconv.Itoa(i) }
