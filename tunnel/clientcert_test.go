package tunnel_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// certSource hands out cert as the client certificate (the device
// certificate a workload config or a SecureConnect helper provides).
func certSource(t *testing.T, cc relaytest.ClientCertificate) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	t.Helper()
	cert, err := cc.TLS()
	if err != nil {
		t.Fatal(err)
	}
	return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
}

// TestDialClientCertificate: a relay that requires a client certificate
// (certificate-based access) lets in a Dialer presenting one its CA issued,
// and refuses one with none (ErrClientCertificateRequired) or with another
// CA's (ErrClientCertificateRejected), as typed errors rather than a raw
// TLS alert; ClientCertificateUsed tells the status bar which happened.
func TestDialClientCertificate(t *testing.T) {
	backend := startBackend(t, echo)
	srv := startRelay(t, true, backend, relaytest.Config{RequireClientCertificate: true})
	good, err := srv.CA().IssueClient("device-1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := relaytest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := other.IssueClient("device-2")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		cert     *relaytest.ClientCertificate
		wantErr  error
		wantUsed bool
	}{
		{"device certificate", &good, nil, true},
		{"no certificate", nil, tunnel.ErrClientCertificateRequired, false},
		{"certificate of another CA", &stranger, tunnel.ErrClientCertificateRejected, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDialer(t, srv)
			if tc.cert != nil {
				d.GetClientCertificate = certSource(t, *tc.cert)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := d.Dial(ctx, vm)
			if tc.wantErr != nil {
				if c != nil {
					c.Abort()
				}
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Dial() error = %v, want %v", err, tc.wantErr)
				}
				var ce *tunnel.ClientCertificateError
				if !errors.As(err, &ce) || ce.Host != "127.0.0.1" {
					t.Errorf("Dial() error = %#v, want a *ClientCertificateError for 127.0.0.1", err)
				}
				if d.ClientCertificateUsed() {
					t.Errorf("ClientCertificateUsed() = true after a refused handshake")
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial() error = %v", err)
			}
			t.Cleanup(func() { c.Abort() })
			roundTrip(t, c, stream(1, 64<<10))
			if got := d.ClientCertificateUsed(); got != tc.wantUsed {
				t.Errorf("ClientCertificateUsed() = %v, want %v", got, tc.wantUsed)
			}
			hs := srv.Handshakes()
			if len(hs) == 0 || hs[len(hs)-1].ClientCertificate != "device-1" {
				t.Errorf("relay saw client certificate %q, want device-1", hs[len(hs)-1].ClientCertificate)
			}
		})
	}
}

// TestDialThroughProxyBasicAuth: the relay behind a CONNECT proxy that
// demands Basic authentication; the right password gets through (and the
// device certificate still reaches the relay through the proxy), a wrong
// one is a *ProxyError that names the proxy (ErrProxyAuth).
func TestDialThroughProxyBasicAuth(t *testing.T) {
	backend := startBackend(t, echo)
	srv := startRelay(t, true, backend, relaytest.Config{RequireClientCertificate: true})
	cert, err := srv.CA().IssueClient("device-1")
	if err != nil {
		t.Fatal(err)
	}
	px := relaytest.NewProxy("alice", "s3cret pass")
	t.Cleanup(px.Close)
	proxyURL, _ := url.Parse(px.URL)
	for _, tc := range []struct {
		name     string
		user     *url.Userinfo
		wantErr  error
		wantCONN int
	}{
		{"right password", url.UserPassword("alice", "s3cret pass"), nil, 1},
		{"wrong password", url.UserPassword("alice", "wrong"), tunnel.ErrProxyAuth, 0},
		{"no credentials", nil, tunnel.ErrProxyAuth, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(px.Connects())
			d := newDialer(t, srv)
			d.GetClientCertificate = certSource(t, cert)
			pu := *proxyURL
			pu.User = tc.user
			d.Proxy = func(*http.Request) (*url.URL, error) { return &pu, nil }
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := d.Dial(ctx, vm)
			if got := len(px.Connects()) - before; got != tc.wantCONN {
				t.Errorf("proxy granted %d CONNECTs, want %d", got, tc.wantCONN)
			}
			if tc.wantErr != nil {
				if c != nil {
					c.Abort()
				}
				var pe *tunnel.ProxyError
				if !errors.Is(err, tc.wantErr) || !errors.As(err, &pe) || pe.Proxy != px.Addr {
					t.Fatalf("Dial() error = %v, want %v naming the proxy %s", err, tc.wantErr, px.Addr)
				}
				if pe.StatusCode != http.StatusProxyAuthRequired || pe.Credentials != (tc.user != nil) {
					t.Errorf("ProxyError = %+v, want status 407 and Credentials %v", pe, tc.user != nil)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial() error = %v", err)
			}
			defer c.Abort()
			roundTrip(t, c, stream(2, 32<<10))
			if !d.ClientCertificateUsed() {
				t.Errorf("ClientCertificateUsed() = false through the proxy")
			}
		})
	}
}
