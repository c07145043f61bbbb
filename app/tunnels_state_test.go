package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// TestTunnelsListStates: the tunnels panel reads each tunnel's state from
// List: connecting while the connection check waits for the relay, open,
// reconnecting (with the attempt) while a connection's relay connection is
// being resumed, and open again once it is; a tunnel closed with Close says
// so (ClosedByUser).
func TestTunnelsListStates(t *testing.T) {
	relay := relaytest.NewServer(relaytest.Config{Faults: relaytest.Faults{NoAnswer: true}})
	t.Cleanup(relay.Close)
	relay.Route(relaytest.VM(linuxVM.Project, linuxVM.Zone, linuxVM.Name, 22), echoBackend(t))
	log := slog.New(slog.DiscardHandler)
	asked := make(chan struct{}, 1)
	changed := make(chan struct{}, 1)
	ts, err := app.NewTunnels(app.TunnelsConfig{
		Dialer: &tunnel.Dialer{TokenSource: signallingToken{asked}, URL: relay.URL, Logger: log, HandshakeTimeout: 200 * time.Millisecond,
			Retry: tunnel.Backoff{Initial: time.Millisecond, Max: 10 * time.Millisecond, Budget: time.Minute}, ConnectRetry: time.Millisecond},
		OnChange: func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		},
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Shutdown)
	key := app.TunnelKey{Ref: linuxVM.InstanceRef, Port: 22}
	type result struct {
		info app.TunnelInfo
		err  error
	}
	acquired := make(chan result, 1)
	go func() {
		info, err := ts.Acquire(context.Background(), key, true)
		acquired <- result{info, err}
	}()
	<-asked // the connection check is waiting for a relay that does not answer
	if list := ts.List(); len(list) != 1 || list[0].State != app.TunnelConnecting || list[0].LocalAddr != "" {
		t.Errorf("List() while opening = %+v, want one tunnel connecting, not listening yet", list)
	}
	relay.SetFaults(relaytest.Faults{DropAfterRecv: []uint64{5}}) // the check's retry gets an answer
	r := <-acquired
	if r.err != nil {
		t.Fatalf("Acquire = %v", r.err)
	}
	if list := ts.List(); len(list) != 1 || list[0].State != app.TunnelOK {
		t.Errorf("List() once open = %+v, want one tunnel open", list)
	}

	local, err := net.Dial("tcp", r.info.LocalAddr)
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
	relay.SetFaults(relaytest.Faults{HoldReconnect: true})
	if _, err := io.WriteString(local, "hello"); err != nil { // the relay drops the connection
		t.Fatal(err)
	}
	info := waitTunnelState(t, ts, changed, func(i app.TunnelInfo) bool { return i.State == app.TunnelReconnecting && i.Attempt >= 2 })
	if info.Reason != nil {
		t.Errorf("reconnecting tunnel's Reason = %v, want none", info.Reason)
	}
	relay.SetFaults(relaytest.Faults{})
	waitTunnelState(t, ts, changed, func(i app.TunnelInfo) bool { return i.State == app.TunnelOK && i.Attempt == 0 })

	if r.info.ClosedByUser() {
		t.Error("ClosedByUser() before Close = true")
	}
	ts.Close(key)
	if !r.info.ClosedByUser() {
		t.Error("ClosedByUser() after Close = false")
	}
}

// waitTunnelState waits until the one tunnel listed is as ok wants. The
// reconnect state changes with the network, not with OnChange, so it
// polls as the panel's ticker does.
func waitTunnelState(t *testing.T, ts *app.Tunnels, changed <-chan struct{}, ok func(app.TunnelInfo) bool) app.TunnelInfo {
	t.Helper()
	timeout := time.After(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		list := ts.List()
		if len(list) == 1 && ok(list[0]) {
			return list[0]
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-timeout:
			t.Fatalf("List() = %+v, never as wanted", list)
		}
	}
}
