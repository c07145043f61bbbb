package tunnel_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// A session lost for good (the reconnect refused with 4001, or the
// reconnect budget spent) resets the local connection: its client sees
// ECONNRESET, not the clean end of a truncated stream, and OnError reports
// ErrSessionLost.
func TestForwarderResetsLostSession(t *testing.T) {
	many503 := make([]int, 1000)
	for i := range many503 {
		many503[i] = http.StatusServiceUnavailable
	}
	tests := []struct {
		name  string
		after relaytest.Faults // from the first exchange on
	}{
		{"reconnect refused 4001", relaytest.Faults{CloseOnReconnect: 4001, CloseReason: "unknown sid"}},
		{"reconnect budget spent", relaytest.Faults{HTTPStatus: many503}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
				Faults: relaytest.Faults{DropAfterRecv: []uint64{5}},
			})
			d := newDialer(t, srv)
			d.Retry.Budget = 300 * time.Millisecond
			errs := make(chan error, 1)
			f, _ := serveForwarderWith(t, d, func(err error) { errs <- err })
			local, err := net.Dial("tcp", f.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer local.Close()
			roundTrip(t, local, []byte("hi")) // the tunnel is up
			srv.SetFaults(tc.after)
			if _, err := io.WriteString(local, "hello"); err != nil { // the relay drops the connection
				t.Fatal(err)
			}
			if err := readErr(t, local); !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("local read after the session was lost = %v, want ECONNRESET", err)
			}
			if err := <-errs; !errors.Is(err, tunnel.ErrSessionLost) {
				t.Errorf("OnError(%v), want ErrSessionLost", err)
			}
			if s := f.Stats(); !errors.Is(s.Failure, tunnel.ErrSessionLost) {
				t.Errorf("Stats().Failure = %v, want ErrSessionLost", s.Failure)
			}
		})
	}
}

// When the remote side ends the stream, the local client still gets every
// byte and a clean end (FIN), and nothing is reported.
func TestForwarderCleanEndIsFIN(t *testing.T) {
	bye := func(c net.Conn) {
		if _, err := io.ReadFull(c, make([]byte, 2)); err == nil {
			_, _ = io.WriteString(c, "bye")
		}
	}
	srv := startRelay(t, false, startBackend(t, bye), relaytest.Config{})
	errs := make(chan error, 1)
	f, _ := serveForwarderWith(t, newDialer(t, srv), func(err error) { errs <- err })
	local, err := net.Dial("tcp", f.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if _, err := io.WriteString(local, "hi"); err != nil {
		t.Fatal(err)
	}
	_ = local.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(local)
	if err != nil || string(got) != "bye" {
		t.Fatalf("local read = %q, %v; want \"bye\" and a clean end", got, err)
	}
	s := waitStats(t, f, func(s tunnel.ForwarderStats) bool { return s.Open == 0 })
	if s.Failure != nil || s.Errors != 0 {
		t.Errorf("stats after a clean end = %+v, want no failure", s)
	}
	select {
	case err := <-errs:
		t.Errorf("OnError(%v) after a clean end", err)
	default:
	}
}

// Close 4000 three times, spread over a long session with data flowing in
// between: each is a new episode, resumed, and the session survives.
// (Retries are bounded per episode, not per session.)
func TestRelayHiccupsSpreadOut(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
		Faults: relaytest.Faults{CloseEvery: 256 << 10, CloseCount: 3, CloseAtCode: tunnel.CodeErrorUnknown},
	})
	c := dial(t, newDialer(t, srv), vm)
	roundTrip(t, c, stream(3, 2<<20))
	if n := srv.Sessions()[0].Connections; n != 4 {
		t.Errorf("%d relay connections, want 4 (three 4000 closes, each resumed)", n)
	}
}

// Close 4000 on every try of one episode still ends the session after the
// bounded retries.
func TestRelayErrorEpisodeIsBounded(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
		Faults: relaytest.Faults{DropAfterRecv: []uint64{10}},
	})
	c := dial(t, newDialer(t, srv), vm)
	srv.SetFaults(relaytest.Faults{CloseOnReconnect: tunnel.CodeErrorUnknown})
	_, _ = c.Write(make([]byte, 100))
	if err := readErr(t, c); !errors.Is(err, tunnel.ErrRelay) {
		t.Fatalf("Read after 4000 on every reconnect = %v, want ErrRelay", err)
	}
	if n := len(srv.Handshakes()); n != 4 {
		t.Errorf("%d handshakes, want 4 (connect, a reconnect closed 4000, two retries)", n)
	}
}

// An untrusted relay certificate is a *CertificateError (ErrUntrustedCertificate,
// with the x509 error inside), directly and through an HTTPS proxy.
func TestUntrustedCertificate(t *testing.T) {
	srv := startRelay(t, true, startBackend(t, echo), relaytest.Config{})
	for _, viaProxy := range []bool{false, true} {
		t.Run(map[bool]string{false: "direct", true: "proxy"}[viaProxy], func(t *testing.T) {
			d := newDialer(t, srv)
			d.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool()} // trusts nothing
			if viaProxy {
				p := startConnectProxy(t, srv.Addr)
				d.Proxy = func(*http.Request) (*url.URL, error) {
					return &url.URL{Scheme: "http", Host: p.ln.Addr().String()}, nil
				}
			}
			_, err := d.Dial(context.Background(), vm)
			var ce *tunnel.CertificateError
			var ua x509.UnknownAuthorityError
			if !errors.Is(err, tunnel.ErrUntrustedCertificate) || !errors.As(err, &ce) || !errors.As(err, &ua) {
				t.Fatalf("Dial to a relay with an unknown CA = %v, want a *CertificateError wrapping x509.UnknownAuthorityError", err)
			}
			if ce.Host != "127.0.0.1" {
				t.Errorf("CertificateError.Host = %q, want 127.0.0.1", ce.Host)
			}
		})
	}
}

// A relay that accepts the connection but never answers gives ErrNoAnswer
// saying what it did not send, not a bare "context deadline exceeded"; the
// caller's own deadline stays the caller's.
func TestRelayNoAnswer(t *testing.T) {
	silent := silentListener(t)
	hanging := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{NoAnswer: true}})
	tests := []struct {
		name     string
		url      string
		want     string // in the message
		callerTO bool   // the caller's ctx ends first
	}{
		{"no upgrade response", "ws://" + silent + "/v4", "WebSocket upgrade response", false},
		{"no TLS handshake", "wss://" + silent + "/v4", "TLS handshake", false},
		{"no session ID", hanging.URL, "session ID", false},
		{"caller deadline", hanging.URL, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDialer(t, hanging)
			d.URL = tc.url
			d.HandshakeTimeout = 200 * time.Millisecond
			ctx := context.Background()
			if tc.callerTO {
				d.HandshakeTimeout = time.Minute
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
			}
			_, err := d.Dial(ctx, vm)
			switch {
			case tc.callerTO && (errors.Is(err, tunnel.ErrNoAnswer) || !errors.Is(err, context.DeadlineExceeded)):
				t.Fatalf("Dial past the caller's deadline = %v, want context.DeadlineExceeded", err)
			case tc.callerTO:
			case !errors.Is(err, tunnel.ErrNoAnswer) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "context deadline exceeded"):
				t.Fatalf("Dial to a silent relay = %v, want ErrNoAnswer naming the %s", err, tc.want)
			}
		})
	}
}
