package relaytest

import (
	"crypto/subtle"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Proxy is an HTTP CONNECT proxy on loopback, as corporate networks put in
// front of the relay: it tunnels CONNECT requests (any other method gets
// 405) and, with a Username, demands Basic proxy authentication (407 with
// Proxy-Authenticate otherwise). Close waits for every tunnel it carries.
type Proxy struct {
	// URL is http://127.0.0.1:PORT, for a proxy setting or HTTPS_PROXY.
	URL string
	// Addr is the listening host:port.
	Addr string

	username, password string
	hs                 *httptest.Server

	mu       sync.Mutex // guards the fields below
	connects []string   // host:port of each CONNECT granted
	refused  int        // 407 answers
	conns    map[net.Conn]bool
	wg       sync.WaitGroup // tunnels being copied
}

// NewProxy starts a CONNECT proxy. A non-empty username makes it demand
// Basic authentication with username and password.
func NewProxy(username, password string) *Proxy {
	p := &Proxy{username: username, password: password, conns: map[net.Conn]bool{}}
	p.hs = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.hs.URL
	p.Addr = p.hs.Listener.Addr().String()
	return p
}

// Connects returns the host:port of every CONNECT the proxy granted.
func (p *Proxy) Connects() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.connects...)
}

// Refused counts the CONNECT requests answered 407.
func (p *Proxy) Refused() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

// Close stops the proxy, ends its tunnels and waits for them.
func (p *Proxy) Close() {
	p.hs.Close()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) authorized(r *http.Request) bool {
	if p.username == "" {
		return true
	}
	enc, ok := strings.CutPrefix(r.Header.Get("Proxy-Authorization"), "Basic ")
	if !ok {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return false
	}
	want := p.username + ":" + p.password
	return subtle.ConstantTimeCompare(b, []byte(want)) == 1
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "this proxy only tunnels (CONNECT)", http.StatusMethodNotAllowed)
		return
	}
	if !p.authorized(r) {
		p.mu.Lock()
		p.refused++
		p.mu.Unlock()
		w.Header().Set("Proxy-Authenticate", `Basic realm="relaytest proxy"`)
		http.Error(w, "proxy authentication required", http.StatusProxyAuthRequired)
		return
	}
	up, err := net.DialTimeout("tcp", r.Host, 10*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "no hijacking", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	down, rw, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	p.mu.Lock()
	p.connects = append(p.connects, r.Host)
	p.conns[up], p.conns[down] = true, true
	p.wg.Add(2)
	p.mu.Unlock()
	forget := func() {
		p.mu.Lock()
		delete(p.conns, up)
		delete(p.conns, down)
		p.mu.Unlock()
	}
	// Bytes the client sent after the CONNECT are in rw's buffer.
	go func() {
		defer p.wg.Done()
		_, _ = io.Copy(up, rw)
		_ = up.Close()
		_ = down.Close()
	}()
	go func() {
		defer p.wg.Done()
		_, _ = io.Copy(down, up)
		_ = down.Close()
		_ = up.Close()
		forget()
	}()
}
