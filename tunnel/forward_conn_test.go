package tunnel_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// proxied returns both ends of a loopback TCP connection: the client's,
// and the one a proxy accepted (what Forwarder.Handle carries).
func proxied(t *testing.T) (client, accepted net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if accepted, err = ln.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); accepted.Close() })
	return client, accepted
}

// TestForwarderHandle: a connection a proxy accepted is carried like an
// accepted one. answer hears of the open tunnel before a byte is copied
// (so the proxy can answer its client first), and the connection counts
// in Stats.
func TestForwarderHandle(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{})
	f, _ := serveForwarderWith(t, newDialer(t, srv), nil)
	client, accepted := proxied(t)
	done := make(chan error, 1)
	go func() {
		done <- f.Handle(context.Background(), accepted, func(err error) error {
			if err != nil {
				return err
			}
			_, werr := io.WriteString(accepted, "OK\n") // the proxy's answer goes first
			return werr
		})
	}()
	got := make([]byte, 3)
	if _, err := io.ReadFull(client, got); err != nil || string(got) != "OK\n" {
		t.Fatalf("the proxy's answer = %q, %v; want %q first", got, err, "OK\n")
	}
	roundTrip(t, client, stream(7, 64<<10))
	client.Close()
	if err := <-done; err != nil {
		t.Errorf("Handle() = %v after the client closed, want nil", err)
	}
	if st := f.Stats(); st.Total != 1 || st.BytesUp != 64<<10 || st.BytesDown != 64<<10 {
		t.Errorf("Stats() = %+v, want 1 connection and 64 KiB each way", st)
	}
}

// TestForwarderHandleRefused: when IAP refuses the tunnel, answer gets
// the relay's reason, the client's connection is left open for the
// proxy's answer, and OnError hears of it as of any failed tunnel.
func TestForwarderHandleRefused(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
		Faults: relaytest.Faults{CloseOnConnect: tunnel.CodeNotAuthorized, CloseReason: "denied"}})
	onError := make(chan error, 1)
	f, _ := serveForwarderWith(t, newDialer(t, srv), func(err error) { onError <- err })
	client, accepted := proxied(t)
	var answered error
	err := f.Handle(context.Background(), accepted, func(err error) error {
		answered = err
		return nil
	})
	if !errors.Is(err, tunnel.ErrNotAuthorized) || !errors.Is(answered, tunnel.ErrNotAuthorized) {
		t.Fatalf("Handle() = %v, answer(%v); want ErrNotAuthorized for both", err, answered)
	}
	if err := <-onError; !errors.Is(err, tunnel.ErrNotAuthorized) {
		t.Errorf("OnError(%v), want ErrNotAuthorized", err)
	}
	if _, err := io.WriteString(accepted, "403\n"); err != nil {
		t.Fatalf("the client's connection after a refusal: %v, want it open for the answer", err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(client, got); err != nil || string(got) != "403\n" {
		t.Errorf("client read %q, %v; want the proxy's answer", got, err)
	}
}

// TestForwarderHandleClosed: Close ends a handled connection as it ends
// an accepted one, and a closed forwarder takes no more.
func TestForwarderHandleClosed(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{})
	f, _ := serveForwarderWith(t, newDialer(t, srv), nil)
	client, accepted := proxied(t)
	done := make(chan error, 1)
	opened := make(chan struct{})
	go func() {
		done <- f.Handle(context.Background(), accepted, func(err error) error {
			close(opened)
			return err
		})
	}()
	<-opened
	roundTrip(t, client, []byte("up"))
	f.Close()
	if err := <-done; err != nil {
		t.Errorf("Handle() = %v after Close, want nil", err)
	}
	_, again := proxied(t)
	if err := f.Handle(context.Background(), again, func(error) error { return nil }); !errors.Is(err, tunnel.ErrClosed) {
		t.Errorf("Handle() on a closed forwarder = %v, want ErrClosed", err)
	}
}
