package tunnel_test

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// Benchmarks measure the tunnel beside a direct TCP baseline to the same
// backend in the same run, because this machine is noisy. Reproduce with
//
//	go test -run '^$' -bench . -benchtime 3s ./tunnel/

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
	deadline := time.Now().Add(60 * time.Second)
	for s.n.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("sink has %d of %d bytes", s.n.Load(), n)
		}
		time.Sleep(20 * time.Microsecond) // polling the sink's counter
	}
}

// startSource is a backend that answers each 8-byte big-endian count with
// that many bytes, so a download path is idle between measurements.
func startSource(b testing.TB) string {
	return startBackend(b, func(c net.Conn) {
		buf := make([]byte, 64<<10)
		var req [8]byte
		for {
			if _, err := io.ReadFull(c, req[:]); err != nil {
				return
			}
			for n := int64(binary.BigEndian.Uint64(req[:])); n > 0; {
				k := min(n, int64(len(buf)))
				if _, err := c.Write(buf[:k]); err != nil {
					return
				}
				n -= k
			}
		}
	})
}

// benchDialer is a dialer with logging off.
func benchDialer(b testing.TB, srv *relaytest.Server) *tunnel.Dialer {
	d := newDialer(b, srv)
	d.Logger = slog.New(slog.DiscardHandler)
	return d
}

const benchChunk = 4 << 20 // bytes moved per benchmark op

// upload writes n bytes to c in 32 KiB writes and waits until s has them all.
func upload(b *testing.B, c net.Conn, s *sink, n int64) time.Duration {
	buf := make([]byte, 32<<10)
	start := time.Now()
	base := s.n.Load()
	for sent := int64(0); sent < n; sent += int64(len(buf)) {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	s.waitFor(b, base+n)
	return time.Since(start)
}

func download(b *testing.B, c net.Conn, n int64) time.Duration {
	start := time.Now()
	var req [8]byte
	binary.BigEndian.PutUint64(req[:], uint64(n))
	if _, err := c.Write(req[:]); err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, c, n); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// reportVsDirect reports the tunnel's MB/s, the direct baseline's, and the
// ratio in percent.
func reportVsDirect(b *testing.B, bytes int64, tunnelTime, directTime time.Duration) {
	tun := float64(bytes) / tunnelTime.Seconds() / 1e6
	dir := float64(bytes) / directTime.Seconds() / 1e6
	b.ReportMetric(tun, "MB/s")
	b.ReportMetric(dir, "direct-MB/s")
	b.ReportMetric(100*tun/dir, "%direct")
}

func BenchmarkUpload(b *testing.B) {
	for _, tls := range []bool{false, true} {
		b.Run(map[bool]string{false: "ws", true: "wss"}[tls], func(b *testing.B) {
			s := startSink(b)
			srv := startRelay(b, tls, s.addr, relaytest.Config{})
			c := dial(b, benchDialer(b, srv), vm)
			direct, err := net.Dial("tcp", s.addr)
			if err != nil {
				b.Fatal(err)
			}
			defer direct.Close()
			upload(b, c, s, benchChunk) // warm up both paths
			upload(b, direct, s, benchChunk)
			b.SetBytes(benchChunk)
			b.ReportAllocs()
			b.ResetTimer()
			var tt, dt time.Duration
			for i := 0; i < b.N; i++ {
				// Alternate, so both paths see the same machine load.
				tt += upload(b, c, s, benchChunk)
				dt += upload(b, direct, s, benchChunk)
			}
			b.StopTimer()
			reportVsDirect(b, int64(b.N)*benchChunk, tt, dt)
		})
	}
}

func BenchmarkDownload(b *testing.B) {
	for _, tls := range []bool{false, true} {
		b.Run(map[bool]string{false: "ws", true: "wss"}[tls], func(b *testing.B) {
			addr := startSource(b)
			srv := startRelay(b, tls, addr, relaytest.Config{})
			c := dial(b, benchDialer(b, srv), vm)
			direct, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer direct.Close()
			download(b, c, benchChunk)
			download(b, direct, benchChunk)
			b.SetBytes(benchChunk)
			b.ReportAllocs()
			b.ResetTimer()
			var tt, dt time.Duration
			for i := 0; i < b.N; i++ {
				tt += download(b, c, benchChunk)
				dt += download(b, direct, benchChunk)
			}
			b.StopTimer()
			reportVsDirect(b, int64(b.N)*benchChunk, tt, dt)
		})
	}
}

// BenchmarkPingPong sends one byte and waits for its echo, through the tunnel
// and directly, and reports the round trip the tunnel adds (p50 and p99).
func BenchmarkPingPong(b *testing.B) {
	addr := startBackend(b, echo)
	srv := startRelay(b, false, addr, relaytest.Config{})
	c := dial(b, benchDialer(b, srv), vm)
	direct, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	ping := func(conn net.Conn) time.Duration {
		var one [1]byte
		start := time.Now()
		if _, err := conn.Write(one[:]); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(conn, one[:]); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	for i := 0; i < 100; i++ { // warm up
		ping(c)
		ping(direct)
	}
	tun := make([]time.Duration, 0, b.N)
	dir := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tun = append(tun, ping(c))
		dir = append(dir, ping(direct))
	}
	b.StopTimer()
	slices.Sort(tun)
	slices.Sort(dir)
	q := func(d []time.Duration, p float64) float64 { return float64(d[int(float64(len(d)-1)*p)].Microseconds()) }
	b.ReportMetric(q(tun, 0.5), "tunnel-µs-p50")
	b.ReportMetric(q(dir, 0.5), "direct-µs-p50")
	b.ReportMetric(q(tun, 0.5)-q(dir, 0.5), "added-µs-p50")
	b.ReportMetric(q(tun, 0.99)-q(dir, 0.99), "added-µs-p99")
}

// BenchmarkIdleTunnels opens 1,000 tunnels that carry one round trip each
// and then sit idle, and reports the client's heap and goroutines per tunnel
// (the relay and backends run in a child process, so only the client's
// memory is counted); after they close, the goroutine count must be back
// where it started.
func BenchmarkIdleTunnels(b *testing.B) {
	const n = 1000
	url := startRelayProcess(b)
	d := &tunnel.Dialer{TokenSource: &countingTokens{}, URL: url, Logger: slog.New(slog.DiscardHandler), Proxy: noProxy}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		g0 := runtime.NumGoroutine()
		var m0 runtime.MemStats
		runtime.ReadMemStats(&m0)
		conns := make([]*tunnel.Conn, n)
		for j := range conns {
			c, err := d.Dial(context.Background(), vm)
			if err != nil {
				b.Fatalf("tunnel %d: %v", j, err)
			}
			var one [1]byte
			if _, err := c.Write(one[:]); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, one[:]); err != nil {
				b.Fatal(err)
			}
			conns[j] = c
		}
		time.Sleep(3 * time.Second) // let pending ACK timers fire: idle means idle
		runtime.GC()
		var m1 runtime.MemStats
		runtime.ReadMemStats(&m1)
		g1 := runtime.NumGoroutine()
		b.ReportMetric(float64(m1.HeapInuse-m0.HeapInuse)/n/1024, "heap-KiB/tunnel")
		b.ReportMetric(float64(m1.StackInuse-m0.StackInuse)/n/1024, "stack-KiB/tunnel")
		b.ReportMetric(float64(g1-g0)/n, "goroutines/tunnel")
		for _, c := range conns {
			c.Close()
		}
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > g0 {
			if time.Now().After(deadline) {
				b.Fatalf("%d goroutines after closing %d tunnels, want %d", runtime.NumGoroutine(), n, g0)
			}
			time.Sleep(10 * time.Millisecond) // polling the runtime's count
		}
	}
}
