package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"iapdesk/app"
	"iapdesk/platform"
	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// A tunnel whose session is lost for good shows as failed, with the reason,
// in what the tunnels panel reads (List); its local connection is reset.
func TestTunnelsShowLostSession(t *testing.T) {
	relay := relaytest.NewServer(relaytest.Config{Faults: relaytest.Faults{DropAfterRecv: []uint64{5}}})
	t.Cleanup(relay.Close)
	relay.Route(relaytest.VM(linuxVM.Project, linuxVM.Zone, linuxVM.Name, 22), echoBackend(t))
	log := slog.New(slog.DiscardHandler)
	changed := make(chan struct{}, 1)
	ts, err := app.NewTunnels(app.TunnelsConfig{
		Dialer: &tunnel.Dialer{TokenSource: staticToken{}, URL: relay.URL, Logger: log,
			Retry: tunnel.Backoff{Initial: time.Millisecond, Budget: 2 * time.Second}},
		AllowPeer: platform.PeerIsSameUser,
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
	info, err := ts.Acquire(context.Background(), key, true)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != app.TunnelOK || info.Reason != nil {
		t.Errorf("new tunnel: State %v, Reason %v; want open, no reason", info.State, info.Reason)
	}
	local, err := net.Dial("tcp", info.LocalAddr)
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
	relay.SetFaults(relaytest.Faults{CloseOnReconnect: tunnel.CodeSIDUnknown})
	if _, err := io.WriteString(local, "hello"); err != nil {
		t.Fatal(err)
	}
	_ = local.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.Copy(io.Discard, local); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("local read after the session was lost = %v, want ECONNRESET", err)
	}

	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		list := ts.List()
		if len(list) == 1 && list[0].State == app.TunnelFailed {
			r := list[0].Reason
			if r == nil || !strings.Contains(r.Why, "could not be resumed") || !errors.Is(r, tunnel.ErrSessionLost) {
				t.Errorf("failed tunnel's Reason = %+v, want the lost session", r)
			}
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("List() = %+v, want the tunnel failed", list)
		}
	}
}

// signallingToken is a token source that says when a dial asks for a token.
type signallingToken struct{ asked chan<- struct{} }

func (s signallingToken) Token() (*oauth2.Token, error) {
	select {
	case s.asked <- struct{}{}:
	default:
	}
	return &oauth2.Token{AccessToken: "tok", TokenType: "Bearer"}, nil
}

// Closing a tunnel that is still opening (its connection check waiting for
// a relay that never answers) returns at once, and the opening fails.
func TestTunnelsCloseWhileOpening(t *testing.T) {
	relay := relaytest.NewServer(relaytest.Config{Faults: relaytest.Faults{NoAnswer: true}})
	t.Cleanup(relay.Close)
	relay.Route(relaytest.VM(linuxVM.Project, linuxVM.Zone, linuxVM.Name, 22), echoBackend(t))
	asked := make(chan struct{}, 1)
	log := slog.New(slog.DiscardHandler)
	ts, err := app.NewTunnels(app.TunnelsConfig{
		Dialer: &tunnel.Dialer{TokenSource: signallingToken{asked}, URL: relay.URL, Logger: log}, // 60 s handshake timeout
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Shutdown)
	key := app.TunnelKey{Ref: linuxVM.InstanceRef, Port: 22}
	acquired := make(chan error, 1)
	go func() {
		_, err := ts.Acquire(context.Background(), key, true)
		acquired <- err
	}()
	<-asked // the connection check is dialing
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		ts.Close(key)
	}()
	timer := time.NewTimer(time.Second)
	defer timer.Stop()
	select {
	case <-closed:
	case <-timer.C:
		t.Fatal("Close of an opening tunnel waited for the relay")
	}
	if err := <-acquired; err == nil {
		t.Error("Acquire of a tunnel closed while opening succeeded")
	}
	if list := ts.List(); len(list) != 0 {
		t.Errorf("List() = %+v after Close, want none", list)
	}
}
