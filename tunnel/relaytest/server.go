// Package relaytest runs an in-process IAP relay (relay v4) on loopback for
// tests and the demo mode, the way net/http/httptest runs an HTTP server: it
// speaks the real wire protocol over real WebSockets (plain or TLS), checks
// the handshake and the bearer token, routes each target to a local TCP
// address, resumes sessions on /v4/reconnect, and can misbehave on purpose
// (see Faults).
package relaytest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"iapdesk/tunnel/internal/netbuf"
)

// Target is a relay target as parsed from the /v4/connect query.
type Target struct {
	Project, Zone, Instance, Interface string
	Region, Network, Host, Group       string
	Port                               int
}

// Key is the canonical string of a target used for routing:
// "project/zone/instance/interface:port" or "project/region/network/host:port".
func (t Target) Key() string {
	if t.Host != "" {
		return fmt.Sprintf("%s/%s/%s/%s:%d", t.Project, t.Region, t.Network, t.Host, t.Port)
	}
	return fmt.Sprintf("%s/%s/%s/%s:%d", t.Project, t.Zone, t.Instance, t.Interface, t.Port)
}

// VM returns the routing key of a VM target on nic0.
func VM(project, zone, instance string, port int) string {
	return Target{Project: project, Zone: zone, Instance: instance, Interface: "nic0", Port: port}.Key()
}

// Config configures a Server. The zero value accepts any non-empty token and
// has no routes.
type Config struct {
	// CheckToken decides whether a bearer token is valid; nil accepts any
	// non-empty token. An invalid token gets HTTP 401.
	CheckToken func(token string) bool
	// Routes maps Target.Key() to a TCP address.
	Routes map[string]string
	// Resolve, if set, is asked for targets missing from Routes. It returns
	// "" for an unknown target (close 4047).
	Resolve func(Target) string
	// Dial, if set, connects targets missing from Routes instead of Resolve
	// and a TCP dial: the backend can be anything (a pipe to a process, an
	// in-memory server), with no port other local users could reach. ctx
	// bounds the dial only; the relay closes the conn when the session
	// ends. An error wrapping ErrUnknownTarget closes the WebSocket with
	// 4047, any other error with 4003.
	Dial func(ctx context.Context, t Target) (net.Conn, error)
	// Faults makes the relay misbehave; see Faults.
	Faults Faults
	// Window bounds downstream bytes not yet acknowledged by the client; the
	// backend is not read while it is full. Zero means 4 MiB.
	Window int
	// AckEvery: the relay acknowledges client data once this many bytes are
	// unacknowledged (zero means 128 KiB), and AckDelay after the last DATA
	// otherwise (zero means 5 ms).
	AckEvery int
	AckDelay time.Duration
	// ReconnectGrace is how long a session waits for a reconnect after its
	// WebSocket drops. Zero means 60 s.
	ReconnectGrace time.Duration
	// Logger receives the relay's events; nil discards them.
	Logger *slog.Logger
	// RequireClientCertificate makes a TLS relay demand a client
	// certificate issued by its CA (CA.IssueClient), as the mTLS relay
	// does for certificate-based access: a handshake without one, or with
	// another CA's, fails with a TLS alert.
	RequireClientCertificate bool
}

// ErrUnknownTarget is what Config.Dial returns for a target that does not
// exist: the relay closes with 4047.
var ErrUnknownTarget = errors.New("relaytest: unknown target")

// Server is a fake relay listening on loopback.
type Server struct {
	// URL is the relay base URL for tunnel.Dialer.URL: ws://127.0.0.1:PORT/v4
	// or wss://….
	URL string
	// Addr is the listening host:port.
	Addr string

	cfg  Config
	http *httptest.Server
	ca   *CA
	log  *slog.Logger

	// mu guards the fields below.
	mu         sync.Mutex
	routes     map[string]string
	sessions   map[string]*session
	handshakes []Handshake
	faults     Faults
	closed     bool
	holes      map[*holeConn]struct{} // open connections, for BlackHole

	stopped chan struct{}  // closed by Close
	wg      sync.WaitGroup // handler and session goroutines
}

// Handshake records one WebSocket upgrade request.
type Handshake struct {
	Host        string // the Host header
	Path        string // /v4/connect or /v4/reconnect
	RawQuery    string
	Header      http.Header
	Token       string // the bearer token
	Subprotocol string // what the client offered
	Status      int    // HTTP status answered (101 on upgrade)
	// ClientCertificate is the common name of the client certificate
	// presented in the TLS handshake, or "".
	ClientCertificate string
}

// NewServer starts a relay on plain ws://.
func NewServer(cfg Config) *Server {
	s := NewUnstartedServer(cfg)
	s.Start()
	return s
}

// NewTLSServer starts a relay on wss:// with a certificate for
// tunnel.cloudproxy.app, localhost and 127.0.0.1 from a fresh test CA.
func NewTLSServer(cfg Config) *Server {
	s := NewUnstartedServer(cfg)
	s.StartTLS()
	return s
}

// NewUnstartedServer returns a relay that Start or StartTLS starts.
func NewUnstartedServer(cfg Config) *Server {
	s := &Server{
		cfg:      cfg,
		routes:   map[string]string{},
		sessions: map[string]*session{},
		faults:   cfg.Faults,
		log:      cfg.Logger,
		stopped:  make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for k, v := range cfg.Routes {
		s.routes[k] = v
	}
	s.http = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	// Refused handshakes (no client certificate) are the relay's log, not
	// the test's stderr.
	s.http.Config.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelInfo)
	// Read-ahead and batched writes under every WebSocket, so the fake
	// relay is not what limits the client's throughput in benchmarks.
	s.http.Listener = netbuf.Listener{Listener: holeListener{Listener: s.http.Listener, s: s}}
	s.http.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		if nc, ok := c.(*netbuf.Conn); ok {
			ctx = context.WithValue(ctx, netConnKey{}, nc)
		}
		return ctx
	}
	return s
}

// Start starts a plain ws:// relay.
func (s *Server) Start() {
	s.http.Start()
	s.Addr = s.http.Listener.Addr().String()
	s.URL = "ws://" + s.Addr + "/v4"
}

// StartTLS starts a wss:// relay.
func (s *Server) StartTLS() {
	ca, err := NewCA()
	if err != nil {
		panic(fmt.Sprintf("relaytest: create CA: %v", err)) // crypto/rand failure
	}
	s.ca = ca
	s.http.TLS = ca.ServerTLS()
	if s.cfg.RequireClientCertificate {
		s.http.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		s.http.TLS.ClientCAs = ca.pool
	}
	s.http.StartTLS()
	s.Addr = s.http.Listener.Addr().String()
	s.URL = "wss://" + s.Addr + "/v4"
}

// CA returns the test CA of a TLS server, or nil.
func (s *Server) CA() *CA { return s.ca }

// Route sends connections for key (see Target.Key, VM) to addr.
func (s *Server) Route(key, addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[key] = addr
}

// SetFaults replaces the faults for connections from now on.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// SetWithholdAcks turns withholding of ACKs on or off at once, also for
// running sessions (for back-pressure tests).
func (s *Server) SetWithholdAcks(on bool) {
	s.mu.Lock()
	s.faults.WithholdAcks = on
	sessions := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.wakeWriter()
	}
}

// Handshakes returns the upgrade requests seen so far.
func (s *Server) Handshakes() []Handshake {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Handshake(nil), s.handshakes...)
}

// Sessions returns a snapshot of every session's counters.
func (s *Server) Sessions() []SessionStats {
	s.mu.Lock()
	list := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		list = append(list, ss)
	}
	s.mu.Unlock()
	out := make([]SessionStats, 0, len(list))
	for _, ss := range list {
		out = append(out, ss.stats())
	}
	return out
}

// Close stops the relay, ends every session and waits for its goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		close(s.stopped)
	}
	s.closed = true
	list := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		list = append(list, ss)
	}
	s.mu.Unlock()
	s.http.Close()
	s.closeHoles()
	for _, ss := range list {
		ss.end()
	}
	s.wg.Wait()
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	hs := Handshake{
		Host:        r.Host,
		Path:        r.URL.Path,
		RawQuery:    r.URL.RawQuery,
		Header:      r.Header.Clone(),
		Subprotocol: r.Header.Get("Sec-WebSocket-Protocol"),
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		hs.Token = tok
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		hs.ClientCertificate = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	status := s.checkHandshake(r, hs.Token)
	hs.Status = status
	s.mu.Lock()
	closed := s.closed
	s.handshakes = append(s.handshakes, hs)
	if !closed {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if closed {
		http.Error(w, "relay closed", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	if status != http.StatusSwitchingProtocols {
		http.Error(w, http.StatusText(status), status)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:    []string{"relay.tunnel.cloudproxy.app"},
		CompressionMode: websocket.CompressionDisabled,
		// The Origin is bot:iap-tunneler, not a web origin; it was checked above.
		InsecureSkipVerify: true,
	})
	if err != nil {
		s.log.Info("relaytest: accept failed", slog.Any("error", err))
		return
	}
	ws.SetReadLimit(1 << 20)
	nc, _ := r.Context().Value(netConnKey{}).(*netbuf.Conn)
	q := r.URL.Query()
	if strings.HasSuffix(r.URL.Path, "/reconnect") {
		s.reconnect(ws, nc, q.Get("sid"), q.Get("ack"))
		return
	}
	s.connect(ws, nc, parseTarget(q))
}

// message is one WebSocket message read ahead of the read loop.
type message struct {
	typ  websocket.MessageType
	data []byte
	err  error
}

// netConnKey finds the connection under a request's WebSocket.
type netConnKey struct{}

// checkHandshake returns the HTTP status for the upgrade request.
func (s *Server) checkHandshake(r *http.Request, token string) int {
	s.mu.Lock()
	f := &s.faults
	if len(f.HTTPStatus) > 0 {
		st := f.HTTPStatus[0]
		f.HTTPStatus = f.HTTPStatus[1:]
		if st != 0 {
			s.mu.Unlock()
			return st
		}
	}
	s.mu.Unlock()
	switch {
	case !strings.HasSuffix(r.URL.Path, "/connect") && !strings.HasSuffix(r.URL.Path, "/reconnect"):
		return http.StatusNotFound
	case token == "" || s.cfg.CheckToken != nil && !s.cfg.CheckToken(token):
		return http.StatusUnauthorized
	case r.Header.Get("Origin") != "bot:iap-tunneler":
		// The real relay is reported to stay silent; a clear refusal makes
		// the test failure obvious.
		return http.StatusForbidden
	case !strings.Contains(r.Header.Get("Sec-WebSocket-Protocol"), "relay.tunnel.cloudproxy.app"):
		return http.StatusBadRequest
	}
	return http.StatusSwitchingProtocols
}

func parseTarget(q map[string][]string) Target {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	port, _ := strconv.Atoi(get("port"))
	return Target{
		Project: get("project"), Zone: get("zone"), Instance: get("instance"), Interface: get("interface"),
		Region: get("region"), Network: get("network"), Host: get("host"), Group: get("group"),
		Port: port,
	}
}

func (s *Server) route(t Target) string {
	s.mu.Lock()
	addr, ok := s.routes[t.Key()]
	s.mu.Unlock()
	if !ok && s.cfg.Resolve != nil {
		addr = s.cfg.Resolve(t)
	}
	return addr
}

// dialBackend connects t's backend: its route, else Config.Dial, else
// Resolve's address.
func (s *Server) dialBackend(t Target) (net.Conn, error) {
	if s.cfg.Dial != nil {
		s.mu.Lock()
		_, routed := s.routes[t.Key()]
		s.mu.Unlock()
		if !routed {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return s.cfg.Dial(ctx, t)
		}
	}
	addr := s.route(t)
	if addr == "" {
		return nil, ErrUnknownTarget
	}
	return net.DialTimeout("tcp", addr, 10*time.Second)
}

func (s *Server) takeFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// connect opens a session: route, dial the backend, send the SID.
func (s *Server) connect(ws *websocket.Conn, nc *netbuf.Conn, t Target) {
	f := s.takeFaults()
	if f.NoAnswer {
		s.hang(ws)
		return
	}
	if f.CloseOnConnect != 0 {
		ws.Close(websocket.StatusCode(f.CloseOnConnect), f.CloseReason)
		return
	}
	if t.Project == "" || t.Port == 0 || (t.Host == "" && (t.Zone == "" || t.Instance == "" || t.Interface == "")) {
		ws.Close(4047, "missing target parameters")
		return
	}
	backend, err := s.dialBackend(t)
	if errors.Is(err, ErrUnknownTarget) {
		ws.Close(4047, "instance not found: "+t.Key())
		return
	}
	if err != nil {
		ws.Close(4003, "failed to connect to backend")
		return
	}
	ss := newSession(s, randomSID(), t, backend)
	s.mu.Lock()
	s.sessions[ss.sid] = ss
	s.mu.Unlock()
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		ss.pumpBackend()
	}()
	go func() {
		defer s.wg.Done()
		ss.feedBackend()
	}()
	ctx := context.Background()
	var early chan message
	if f.SIDDelay > 0 {
		// The fault under test: a relay slow to confirm the session. A
		// reader watches for messages the client must not send yet; the
		// session's read loop takes that first message over.
		early = make(chan message, 1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			typ, data, err := ws.Read(ctx)
			early <- message{typ, data, err}
		}()
		t := time.NewTimer(f.SIDDelay)
		select {
		case <-t.C:
		case <-ss.endCh:
			t.Stop()
		}
		select {
		case m := <-early:
			ss.mu.Lock()
			ss.earlyFrames++
			ss.mu.Unlock()
			early <- m // still the first message for the read loop
		default:
		}
	}
	if f.DataBeforeSID {
		_ = ws.Write(ctx, websocket.MessageBinary, DataMessage([]byte("early")))
	}
	if err := ws.Write(ctx, websocket.MessageBinary, SIDMessage(ss.sid)); err != nil {
		ss.end()
		ws.CloseNow()
		return
	}
	for _, m := range f.AfterSID {
		_ = ws.Write(ctx, websocket.MessageBinary, m)
	}
	if f.TextAfterSID {
		_ = ws.Write(ctx, websocket.MessageText, []byte("text is not a relay frame"))
	}
	ss.attachFirst(ws, nc, f, early)
}

// reconnect resumes session sid for a client that has received ack bytes.
func (s *Server) reconnect(ws *websocket.Conn, nc *netbuf.Conn, sid, ackStr string) {
	f := s.takeFaults()
	if f.NoAnswer || f.HoldReconnect {
		s.hang(ws)
		return
	}
	if f.CloseOnReconnect != 0 {
		ws.Close(websocket.StatusCode(f.CloseOnReconnect), f.CloseReason)
		return
	}
	s.mu.Lock()
	ss := s.sessions[sid]
	s.mu.Unlock()
	if ss == nil {
		ws.Close(4001, "unknown sid")
		return
	}
	ack, err := strconv.ParseUint(ackStr, 10, 64)
	if err != nil {
		ws.Close(4006, "invalid ack")
		return
	}
	upRecv, code, reason := ss.resume(ack)
	if code != 0 {
		ws.Close(websocket.StatusCode(code), reason)
		return
	}
	if err := ws.Write(context.Background(), websocket.MessageBinary, ReconnectAckMessage(upRecv)); err != nil {
		ss.detach()
		return
	}
	ss.attach(ws, nc, f)
}

func randomSID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "sid-" + hex.EncodeToString(b[:])
}
