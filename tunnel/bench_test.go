package tunnel_test

import (
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"iapdesk/tunnel/relaytest"
)

// sink is a backend that counts what it receives.
type sink struct {
	n    atomic.Int64
	addr string
}

func startSink(b testing.TB) *sink {
	s := &sink{}
	s.addr = startBackend(b, func(c net.Conn) {
		buf := make([]byte, 64<<10)
		for {
			n, err := c.Read(buf)
			s.n.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	return s
}

// waitFor polls until the sink holds n bytes.
func (s *sink) waitFor(b testing.TB, n int64) {
	deadline := time.Now().Add(30 * time.Second)
	for s.n.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("sink has %d of %d bytes", s.n.Load(), n)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// source is a backend that sends zeros until the peer goes away.
func startSource(b testing.TB) string {
	return startBackend(b, func(c net.Conn) {
		buf := make([]byte, 64<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	})
}

const benchChunk = 32 << 10

func benchUpload(b *testing.B, mode string) {
	s := startSink(b)
	var c net.Conn
	switch mode {
	case "direct":
		var err error
		c, err = net.Dial("tcp", s.addr)
		if err != nil {
			b.Fatal(err)
		}
	default:
		srv := startRelay(b, mode == "wss", s.addr, relaytest.Config{})
		d := newDialer(b, srv)
		d.Logger = slog.New(slog.DiscardHandler)
		c = dial(b, d, vm)
	}
	defer c.Close()
	buf := make([]byte, benchChunk)
	b.SetBytes(benchChunk)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	s.waitFor(b, int64(b.N)*benchChunk)
	b.StopTimer()
	b.ReportMetric(float64(b.N)*benchChunk/b.Elapsed().Seconds()/1e6, "MB/s")
}

func benchDownload(b *testing.B, mode string) {
	addr := startSource(b)
	var c net.Conn
	switch mode {
	case "direct":
		var err error
		c, err = net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
	default:
		srv := startRelay(b, mode == "wss", addr, relaytest.Config{})
		d := newDialer(b, srv)
		d.Logger = slog.New(slog.DiscardHandler)
		c = dial(b, d, vm)
	}
	defer c.Close()
	b.SetBytes(benchChunk)
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := io.CopyN(io.Discard, c, int64(b.N)*benchChunk); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)*benchChunk/b.Elapsed().Seconds()/1e6, "MB/s")
}

func BenchmarkUpload(b *testing.B) {
	for _, m := range []string{"direct", "ws", "wss"} {
		b.Run(m, func(b *testing.B) { benchUpload(b, m) })
	}
}

func BenchmarkDownload(b *testing.B) {
	for _, m := range []string{"direct", "ws", "wss"} {
		b.Run(m, func(b *testing.B) { benchDownload(b, m) })
	}
}
