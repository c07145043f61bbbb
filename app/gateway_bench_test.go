package app_test

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// countingSink is a backend that reads an 8-byte big-endian length, then
// that many bytes, and answers one byte: the upload is complete.
func countingSink(b testing.TB) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				var n [8]byte
				if _, err := io.ReadFull(c, n[:]); err != nil {
					return
				}
				if _, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint64(n[:]))); err != nil {
					return
				}
				_, _ = c.Write([]byte{1})
				_, _ = io.Copy(io.Discard, c)
			})
		}
	})
	b.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// upload sends size bytes through c (the sink's protocol) and waits for
// the sink to have them all.
func upload(b testing.TB, c net.Conn, buf []byte, size int64) {
	b.Helper()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(size))
	if _, err := c.Write(n[:]); err != nil {
		b.Fatal(err)
	}
	for sent := int64(0); sent < size; sent += int64(len(buf)) {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := io.ReadFull(c, n[:1]); err != nil {
		b.Fatalf("wait for the sink: %v", err)
	}
}

// BenchmarkGatewayThroughput compares one stream through the gateway
// (SOCKS5, then the tunnel) with one through `iapdesk tunnel`'s forwarder
// (a local port, then the tunnel), on the same relay in the same run,
// alternating, since this machine is noisy. It reports both and their
// ratio (issue 15 wants gateway/tunnel ≥ 0.9).
func BenchmarkGatewayThroughput(b *testing.B) {
	const size = 32 << 20
	log := slog.New(slog.DiscardHandler)
	relay := relaytest.NewServer(relaytest.Config{})
	b.Cleanup(relay.Close)
	relay.Route(relaytest.VM(gwWeb.Project, gwWeb.Zone, gwWeb.Name, 9), countingSink(b))
	dialer := &tunnel.Dialer{TokenSource: staticToken{}, URL: relay.URL, Logger: log}
	target := tunnel.Target{Project: gwWeb.Project, Zone: gwWeb.Zone, Instance: gwWeb.Name, Port: 9}

	fwd, err := tunnel.NewForwarder(context.Background(), tunnel.ForwarderConfig{Dialer: dialer, Target: target, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- fwd.Serve(context.Background()) }()
	b.Cleanup(func() { fwd.Close(); <-served })

	ts, err := app.NewTunnels(app.TunnelsConfig{Dialer: dialer, SkipConnectionCheck: true, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(ts.Shutdown)
	gw, err := app.NewGateway(app.GatewayConfig{Tunnels: ts, IdleTimeout: time.Hour, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gwDone := make(chan error, 1)
	go func() { gwDone <- gw.Serve(ctx, ln) }()
	b.Cleanup(func() { cancel(); <-gwDone })
	w := &gatewayWorld{addr: ln.Addr().String()}

	viaTunnel := func() net.Conn {
		c, err := net.Dial("tcp", fwd.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	viaGateway := func() net.Conn {
		c, err := w.socks5Dial("web-1.us-central1-a.my-proj", 9)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	buf := make([]byte, 256<<10)
	measure := func(dial func() net.Conn) time.Duration {
		c := dial()
		defer c.Close()
		start := time.Now()
		upload(b, c, buf, size)
		return time.Since(start)
	}
	measure(viaGateway) // opens the route
	measure(viaTunnel)
	b.ReportAllocs()
	b.SetBytes(2 * size)
	var tTunnel, tGateway time.Duration
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			tTunnel += measure(viaTunnel)
			tGateway += measure(viaGateway)
		} else {
			tGateway += measure(viaGateway)
			tTunnel += measure(viaTunnel)
		}
		i++
	}
	mbps := func(d time.Duration) float64 { return float64(size) * float64(i) / d.Seconds() / (1 << 20) }
	b.ReportMetric(mbps(tTunnel), "tunnel-MB/s")
	b.ReportMetric(mbps(tGateway), "gateway-MB/s")
	b.ReportMetric(mbps(tGateway)/mbps(tTunnel), "gateway/tunnel")
}
