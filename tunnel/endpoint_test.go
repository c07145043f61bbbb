package tunnel_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"iapdesk/tunnel/relaytest"
)

// A Private Service Connect endpoint: dial its address, keep the canonical
// host for SNI, Host and certificate checks.
func TestPSCEndpoint(t *testing.T) {
	srv := startRelay(t, true, startBackend(t, echo), relaytest.Config{})
	d := newDialer(t, srv)
	d.URL = "" // the default, wss://tunnel.cloudproxy.app/v4
	d.PSCEndpoint = srv.Addr
	d.Proxy = func(*http.Request) (*url.URL, error) {
		t.Error("a PSC connection consulted the HTTP proxy")
		return nil, nil
	}
	c := dial(t, d, vm)
	roundTrip(t, c, []byte("through psc"))
	if h := srv.Handshakes()[0]; h.Host != "tunnel.cloudproxy.app" || h.Path != "/v4/connect" {
		t.Errorf("handshake Host %q path %q, want tunnel.cloudproxy.app /v4/connect", h.Host, h.Path)
	}
}

// A custom CA from SSL_CERT_FILE is trusted; without it the relay's
// certificate is refused.
func TestSSLCertFile(t *testing.T) {
	srv := startRelay(t, true, startBackend(t, echo), relaytest.Config{})
	d := newDialer(t, srv)
	d.TLSConfig = nil
	t.Setenv("SSL_CERT_FILE", filepath.Join(t.TempDir(), "missing.pem"))
	if _, err := d.Dial(context.Background(), vm); err == nil || !strings.Contains(err.Error(), "SSL_CERT_FILE") {
		t.Fatalf("Dial with a missing SSL_CERT_FILE = %v, want an error naming it", err)
	}

	ca, err := srv.CA().WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", ca)
	d = newDialer(t, srv)
	d.TLSConfig = nil
	c := dial(t, d, vm)
	roundTrip(t, c, []byte("custom ca"))

	// (The system pool is cached per process, so an empty pool stands in
	// for "without SSL_CERT_FILE".)
	d = newDialer(t, srv)
	d.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool()}
	if _, err := d.Dial(context.Background(), vm); err == nil {
		t.Fatal("Dial trusted a relay certificate from an unknown CA")
	}
}

// connectProxy is an HTTP CONNECT proxy that sends every tunnel to target
// and records the requested authorities.
type connectProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup
	mu     sync.Mutex // guards seen
	seen   []string
}

func startConnectProxy(t *testing.T, target string) *connectProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{ln: ln, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *connectProxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		_, _ = io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	p.mu.Lock()
	p.seen = append(p.seen, req.Host)
	p.mu.Unlock()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, br)
		if tc, ok := up.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		close(done)
	}()
	_, _ = io.Copy(c, up)
	c.Close()
	<-done
}

// HTTPS_PROXY is honoured with HTTP CONNECT, and NO_PROXY bypasses it.
func TestHTTPSProxyFromEnvironment(t *testing.T) {
	srv := startRelay(t, true, startBackend(t, echo), relaytest.Config{})
	proxy := startConnectProxy(t, srv.Addr)
	t.Setenv("HTTPS_PROXY", "http://"+proxy.ln.Addr().String())
	t.Setenv("NO_PROXY", "")
	d := newDialer(t, srv)
	d.URL = "" // wss://tunnel.cloudproxy.app/v4, reachable only through the proxy
	d.Proxy = nil
	c := dial(t, d, vm)
	roundTrip(t, c, []byte("via proxy"))
	proxy.mu.Lock()
	seen := append([]string(nil), proxy.seen...)
	proxy.mu.Unlock()
	if len(seen) != 1 || seen[0] != "tunnel.cloudproxy.app:443" {
		t.Errorf("proxy saw CONNECT %v, want [tunnel.cloudproxy.app:443]", seen)
	}

	t.Setenv("NO_PROXY", "tunnel.cloudproxy.app")
	d = newDialer(t, srv)
	d.URL = ""
	d.Proxy = nil
	_, err := d.Dial(context.Background(), vm)
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if err == nil || !(errors.As(err, &dnsErr) || errors.As(err, &opErr)) {
		t.Errorf("Dial with NO_PROXY = %v, want a direct (failing) connection", err)
	}
}
