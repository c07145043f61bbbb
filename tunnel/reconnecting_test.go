package tunnel_test

import (
	"io"
	"net"
	"testing"
	"time"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// TestForwarderStatsReconnecting: while a connection's relay connection is
// down and being resumed, the forwarder's stats say so with the attempt in
// progress (the tunnels panel shows "reconnecting, attempt N"); once it
// has resumed they go back to zero and the data flows again.
func TestForwarderStatsReconnecting(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
		Faults: relaytest.Faults{DropAfterRecv: []uint64{5}},
	})
	d := newDialer(t, srv)
	d.HandshakeTimeout = 50 * time.Millisecond // each held reconnect gives up soon
	f, _ := serveForwarderWith(t, d, nil)
	local, err := net.Dial("tcp", f.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	roundTrip(t, local, []byte("hi")) // the tunnel is up
	if st := f.Stats(); st.Reconnecting != 0 || st.Attempt != 0 {
		t.Fatalf("Stats() before the drop = %d reconnecting, attempt %d; want 0, 0", st.Reconnecting, st.Attempt)
	}
	srv.SetFaults(relaytest.Faults{HoldReconnect: true})
	if _, err := io.WriteString(local, "hello"); err != nil { // the relay drops the connection
		t.Fatal(err)
	}
	st := waitStats(t, f, func(st tunnel.ForwarderStats) bool { return st.Attempt >= 2 })
	if st.Reconnecting != 1 {
		t.Errorf("Stats() while reconnecting = %d reconnecting, want 1", st.Reconnecting)
	}
	srv.SetFaults(relaytest.Faults{}) // the network is back
	waitStats(t, f, func(st tunnel.ForwarderStats) bool { return st.Reconnecting == 0 && st.Attempt == 0 })
	buf := make([]byte, len("hello"))
	if _, err := io.ReadFull(local, buf); err != nil || string(buf) != "hello" {
		t.Errorf("read after the resume = %q, %v; want the echo of hello", buf, err)
	}
}
