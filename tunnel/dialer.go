package tunnel

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/http/httpproxy"
	"golang.org/x/oauth2"

	"iapdesk/tunnel/internal/netbuf"
)

// Subprotocol is the WebSocket subprotocol of the relay.
const Subprotocol = "relay.tunnel.cloudproxy.app"

// origin is the Origin every client sends; the relay is reported to go silent
// without it.
const origin = "bot:iap-tunneler"

// Invalidator is implemented by token sources that cache tokens. The dialer
// calls Invalidate when the relay rejects a token (HTTP 401, close 4004), so
// the next Token call fetches a new one.
type Invalidator interface {
	Invalidate()
}

// Backoff is the reconnect policy: the first retry is immediate, then each
// wait is Factor times the previous, from Initial up to Max, until Budget has
// passed since the connection dropped. The zero value is gcloud's policy.
type Backoff struct {
	Initial time.Duration // default 1.5 s
	Factor  float64       // default 1.1
	Max     time.Duration // default 20 s
	Budget  time.Duration // default 15 min
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = 1500 * time.Millisecond
	}
	if b.Factor < 1 {
		b.Factor = 1.1
	}
	if b.Max <= 0 {
		b.Max = 20 * time.Second
	}
	if b.Budget <= 0 {
		b.Budget = 15 * time.Minute
	}
	return b
}

// Dialer opens relay v4 connections. Set its fields before the first Dial and
// do not change them afterwards; a Dialer is safe for concurrent use.
type Dialer struct {
	// TokenSource supplies the bearer token. It is asked for a token on
	// every dial and reconnect. Required.
	TokenSource oauth2.TokenSource

	// URL is the relay base URL, gcloud's --iap-tunnel-url-override: a path
	// other than "" or "/" replaces /v4. Empty means DefaultURL.
	URL string

	// PSCEndpoint, if set, is a Private Service Connect address (host or
	// host:port) to dial instead of the URL's host. TLS server name, Host
	// header and certificate checks still use the URL's host, and no HTTP
	// proxy is used.
	PSCEndpoint string

	// TLSConfig is the client TLS configuration. Nil means the system roots
	// plus the certificates in $SSL_CERT_FILE, if set.
	TLSConfig *tls.Config

	// GetClientCertificate, if set, supplies the TLS client certificate when
	// the relay asks for one (certificate-based access: the device
	// certificate, at mtls.tunnel.cloudproxy.app). It takes precedence over
	// TLSConfig's. A relay that asks for a certificate and refuses the
	// handshake gives a *ClientCertificateError.
	GetClientCertificate func(*tls.CertificateRequestInfo) (*tls.Certificate, error)

	// Proxy picks an HTTP CONNECT proxy per request. Nil means the
	// environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY and their lower-case
	// forms), read when the Dialer is first used.
	Proxy func(*http.Request) (*url.URL, error)

	// UserAgent is sent on every handshake, e.g. "iapdesk/1.2.0 (linux/amd64)".
	UserAgent string

	// Logger receives connection events; frame detail at debug level. Nil
	// means slog.Default().
	Logger *slog.Logger

	// Retry is the reconnect policy. The zero value is gcloud's.
	Retry Backoff

	// ConnectRetry bounds retries of the first connect after HTTP 429/5xx or
	// close 4000/4004 before the session ID. Zero means 30 s.
	ConnectRetry time.Duration

	// MaxUnacked bounds the bytes written but not yet acknowledged by the
	// relay; Write blocks when it is reached. Zero means 4 MiB.
	MaxUnacked int

	// MaxReceived bounds the bytes received but not yet Read; the relay
	// connection is not read while it is reached. Zero means 1 MiB.
	MaxReceived int

	// HandshakeTimeout bounds one dial: TCP, TLS, upgrade and the wait for
	// the session ID. Zero means 60 s, gcloud's wait for the SID.
	HandshakeTimeout time.Duration

	// CloseTimeout bounds the flush of remaining data on Close. Zero means
	// 10 s, gcloud's final flush.
	CloseTimeout time.Duration

	// CloseAckWait is how long Close waits for the relay to acknowledge the
	// last bytes before it sends the close frame. Zero means 1 s.
	CloseAckWait time.Duration

	once sync.Once
	prep prepared
	// certUsed: the last relay connection presented a client certificate.
	certUsed atomic.Bool
}

// prepared is what Dial derives once from the Dialer's fields.
type prepared struct {
	err    error
	ep     endpoint
	tls    *tls.Config
	proxy  func(*http.Request) (*url.URL, error)
	dialTo string // PSC address, host:port
	log    *slog.Logger
	retry  Backoff
}

func (d *Dialer) prepare() *prepared {
	d.once.Do(func() {
		p := &d.prep
		if d.TokenSource == nil {
			p.err = errors.New("tunnel: Dialer.TokenSource is nil")
			return
		}
		p.ep, p.err = parseEndpoint(d.URL)
		if p.err != nil {
			return
		}
		p.tls, p.err = clientTLS(d.TLSConfig)
		if p.err != nil {
			return
		}
		if d.GetClientCertificate != nil {
			p.tls.GetClientCertificate = d.GetClientCertificate
		}
		p.proxy = d.Proxy
		if p.proxy == nil {
			// Read now, not once per process as http.ProxyFromEnvironment does.
			pf := httpproxy.FromEnvironment().ProxyFunc()
			p.proxy = func(r *http.Request) (*url.URL, error) { return pf(r.URL) }
		}
		if d.PSCEndpoint != "" {
			p.proxy = nil // PSC traffic stays on the private network
			p.dialTo = d.PSCEndpoint
			if _, _, err := net.SplitHostPort(p.dialTo); err != nil {
				port := "443"
				if p.ep.scheme == "ws" {
					port = "80"
				}
				p.dialTo = net.JoinHostPort(strings.Trim(p.dialTo, "[]"), port)
			}
		}
		p.log = d.Logger
		if p.log == nil {
			p.log = slog.Default()
		}
		p.retry = d.Retry.withDefaults()
	})
	return &d.prep
}

// clientTLS returns cfg, or the system roots plus $SSL_CERT_FILE (a custom
// CA, e.g. a TLS-inspecting proxy's) when cfg is nil.
func clientTLS(cfg *tls.Config) (*tls.Config, error) {
	if cfg != nil {
		return cfg.Clone(), nil
	}
	file := os.Getenv("SSL_CERT_FILE")
	if file == "" {
		return &tls.Config{MinVersion: tls.VersionTLS12}, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read SSL_CERT_FILE: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("SSL_CERT_FILE %s holds no PEM certificates", file)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}, nil
}

func (d *Dialer) handshakeTimeout() time.Duration {
	if d.HandshakeTimeout > 0 {
		return d.HandshakeTimeout
	}
	return 60 * time.Second
}

// errHandshakeTimeout is the cause of a dial's context when HandshakeTimeout
// passed, as opposed to the caller's context ending.
var errHandshakeTimeout = errors.New("handshake timeout")

// handshakeContext bounds one dial by HandshakeTimeout.
func (d *Dialer) handshakeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d.handshakeTimeout(), errHandshakeTimeout)
}

// noAnswer turns err into ErrNoAnswer when the handshake timed out (ctx's
// cause is errHandshakeTimeout) while waiting for what from the relay, so
// the user does not see a bare "context deadline exceeded". An answer the
// relay did give (a close code, an HTTP status) is kept.
func (d *Dialer) noAnswer(ctx context.Context, err error, what, rawURL string) error {
	var ce *CloseError
	var he *HandshakeError
	if !errors.Is(context.Cause(ctx), errHandshakeTimeout) || errors.As(err, &ce) || errors.As(err, &he) {
		return err
	}
	return fmt.Errorf("%w: no %s from %s within %v", ErrNoAnswer, what, redact(rawURL), d.handshakeTimeout())
}

// How far a dial got, for saying what the relay did not answer.
const (
	stageTCP     int32 = iota // connecting
	stageTLS                  // TCP is up; TLS handshake
	stageUpgrade              // waiting for the upgrade response (through a proxy: also CONNECT and TLS)
)

// token asks the token source for a token (every dial, as gcloud does).
func (d *Dialer) token() (string, error) {
	tok, err := d.TokenSource.Token()
	if err != nil {
		return "", fmt.Errorf("get access token: %w", err)
	}
	if tok == nil || tok.AccessToken == "" {
		return "", fmt.Errorf("get access token: %w", errNoToken)
	}
	return tok.Type() + " " + tok.AccessToken, nil
}

func (d *Dialer) invalidateToken() {
	if inv, ok := d.TokenSource.(Invalidator); ok {
		inv.Invalidate()
	}
}

// wsConn is one WebSocket to the relay and the buffering under it.
type wsConn struct {
	ws  *websocket.Conn
	fc  batcher
	raw net.Conn // the TCP connection under everything
}

// close drops the connection at once. The socket goes first: that ends any
// write blocked in it (by a Write sending inline, or a TLS close_notify,
// which would otherwise wait for the relay to read), then the WebSocket.
func (wc *wsConn) close() {
	if wc.raw != nil {
		_ = wc.raw.Close()
	}
	_ = wc.ws.CloseNow()
}

// batcher gathers the writes of one batch and sends them at Flush.
type batcher interface {
	Hold()
	Flush() error
}

// tlsStack batches on both sides of TLS: above it, so the WebSocket
// library's 4 KiB writes become full 16 KiB TLS records (fewer records to
// seal), and below it, so the records of a batch leave in one system call.
type tlsStack struct{ upper, lower *netbuf.Conn }

func (s tlsStack) Hold() { s.lower.Hold(); s.upper.Hold() }

func (s tlsStack) Flush() error {
	err := s.upper.Flush()
	if ferr := s.lower.Flush(); err == nil {
		err = ferr
	}
	return err
}

// dialWS performs one WebSocket handshake with a fresh token.
func (d *Dialer) dialWS(ctx context.Context, rawURL string) (*wsConn, error) {
	p := d.prepare()
	auth, err := d.token()
	if err != nil {
		return nil, err
	}
	// fc and raw are set on the Transport's dial goroutine and read only
	// after a successful upgrade; stage is also read after a failure.
	var fc batcher
	var raw net.Conn
	var stage atomic.Int32
	// Each dial records what happened to the client certificate.
	rec := &certRecorder{}
	dialTLS := rec.config(p.tls.Clone())
	nd := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 15 * time.Second}
	dialTCP := func(ctx context.Context, network, addr string) (*netbuf.Conn, error) {
		if p.dialTo != "" {
			addr = p.dialTo
		}
		c, err := nd.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		raw = c
		return netbuf.New(c), nil
	}
	tr := &http.Transport{
		Proxy: p.proxy,
		// Through an HTTP proxy, and for ws://: the Transport does any TLS
		// itself on top of this connection.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialTCP(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			stage.Store(stageUpgrade)
			fc = c
			return c, nil
		},
		// Direct wss://: TLS between two buffering layers (see tlsStack).
		// The server name is the URL's host, also when dialing a PSC
		// endpoint.
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			lower, err := dialTCP(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			stage.Store(stageTLS)
			cfg := dialTLS.Clone()
			if cfg.ServerName == "" {
				cfg.ServerName = host
			}
			cfg.NextProtos = []string{"http/1.1"}
			tc := tls.Client(lower, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				lower.Close()
				return nil, err
			}
			stage.Store(stageUpgrade)
			upper := netbuf.New(tc)
			fc = tlsStack{upper: upper, lower: lower}
			return upper, nil
		},
		TLSClientConfig:     dialTLS,
		TLSHandshakeTimeout: 30 * time.Second,
		// A CONNECT the proxy does not grant names the proxy (407: its
		// credentials), rather than a bare status text.
		OnProxyConnectResponse: func(_ context.Context, proxyURL *url.URL, _ *http.Request, res *http.Response) error {
			return proxyConnectResponse(proxyURL, res)
		},
		// WebSockets need HTTP/1.1.
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{},
		ForceAttemptHTTP2: false,
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	h := http.Header{}
	h.Set("Authorization", auth)
	h.Set("Origin", origin)
	if d.UserAgent != "" {
		h.Set("User-Agent", d.UserAgent)
	}
	ws, resp, err := websocket.Dial(ctx, rawURL, &websocket.DialOptions{
		HTTPClient:      &http.Client{Transport: tr},
		HTTPHeader:      h,
		Subprotocols:    []string{Subprotocol},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			if resp.Body != nil {
				resp.Body.Close()
			}
			return nil, newHandshakeError(resp.StatusCode, resp.Status, redact(rawURL))
		}
		var pe *ProxyError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("connect to IAP relay %s: %w", redact(rawURL), pe)
		}
		if cerr := rec.classify(err, serverName(p.tls, rawURL)); cerr != err {
			return nil, fmt.Errorf("connect to IAP relay %s: %w", redact(rawURL), cerr)
		}
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) {
			return nil, fmt.Errorf("connect to IAP relay %s: %w", redact(rawURL), &CertificateError{Host: serverName(p.tls, rawURL), Err: cve})
		}
		switch stage.Load() {
		case stageTLS:
			err = d.noAnswer(ctx, err, "TLS handshake", rawURL)
		case stageUpgrade:
			err = d.noAnswer(ctx, err, "WebSocket upgrade response", rawURL)
		}
		if errors.Is(err, ErrNoAnswer) {
			return nil, err
		}
		return nil, fmt.Errorf("connect to IAP relay %s: %w", redact(rawURL), unwrapDialError(err))
	}
	if ws.Subprotocol() != Subprotocol {
		ws.CloseNow()
		return nil, fmt.Errorf("%w: %s did not accept subprotocol %s", ErrNotRelay, redact(rawURL), Subprotocol)
	}
	d.certUsed.Store(rec.presented.Load())
	// Relay messages are at most 16394 bytes; a larger limit lets us read and
	// report oversized frames ourselves instead of a bare 1009 close.
	ws.SetReadLimit(1 << 20)
	return &wsConn{ws: ws, fc: fc, raw: raw}, nil
}

// serverName is the name the relay's certificate is checked against: the
// configured TLS server name, or the URL's host.
func serverName(cfg *tls.Config, rawURL string) string {
	if cfg != nil && cfg.ServerName != "" {
		return cfg.ServerName
	}
	if u, err := url.Parse(rawURL); err == nil {
		return u.Hostname()
	}
	return rawURL
}

// unwrapDialError strips the library's "failed to WebSocket dial:" prefixes
// down to the network error a user can act on.
func unwrapDialError(err error) error {
	var ne *net.OpError
	if errors.As(err, &ne) {
		return ne
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Dial opens a tunnel to t: it connects, waits for the session ID and returns
// a Conn that reconnects by itself. ctx bounds only the dial. Errors wrap the
// package's sentinels (ErrNotAuthorized, ErrInstanceNotFound, …).
func (d *Dialer) Dial(ctx context.Context, t Target) (*Conn, error) {
	p := d.prepare()
	if p.err != nil {
		return nil, p.err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	rawURL := p.ep.connectURL(t)
	budget := d.ConnectRetry
	if budget <= 0 {
		budget = 30 * time.Second
	}
	bo := newBackoff(p.retry)
	start := time.Now()
	refreshed := false
	for {
		wc, sid, err := d.connectOnce(ctx, rawURL, t)
		if err == nil {
			c := newConn(d, p, t, sid, wc)
			p.log.Info("tunnel open", slog.String("target", t.String()))
			return c, nil
		}
		retry := false
		var he *HandshakeError
		var ce *CloseError
		switch {
		case errors.As(err, &he) && he.StatusCode == http.StatusUnauthorized && !refreshed:
			// One fresh token, then give up (relay-v4.md §4.1).
			refreshed = true
			d.invalidateToken()
			continue
		case errors.As(err, &he):
			retry = he.retryable()
		case errors.As(err, &ce):
			if ce.Code == CodeReauthenticationNeeded {
				d.invalidateToken()
			}
			retry = ce.Code == CodeReauthenticationNeeded || ce.Code == CodeErrorUnknown || ce.Code == CodeAbnormal
		}
		if !retry || time.Since(start) > budget {
			return nil, err
		}
		p.log.Warn("tunnel connect failed, retrying", slog.String("target", t.String()), slog.Any("error", err))
		if werr := bo.wait(ctx, nil, nil); werr != nil {
			return nil, err
		}
	}
}

// connectOnce dials /v4/connect and waits for CONNECT_SUCCESS_SID.
func (d *Dialer) connectOnce(ctx context.Context, rawURL string, t Target) (*wsConn, string, error) {
	ctx, cancel := d.handshakeContext(ctx)
	defer cancel()
	wc, err := d.dialWS(ctx, rawURL)
	if err != nil {
		return nil, "", err
	}
	f, err := awaitFirst(ctx, wc.ws, tagConnectSuccessSID, t, d.prepare().log)
	if err != nil {
		wc.close()
		return nil, "", d.noAnswer(ctx, err, "session ID (CONNECT_SUCCESS_SID)", rawURL)
	}
	return wc, f.sid, nil
}

// awaitFirst reads until the session's first frame (want): unknown tags are
// ignored, DATA or ACK before it is a protocol error (relay-v4.md S1–S4), and
// a close frame becomes a CloseError for t.
func awaitFirst(ctx context.Context, ws *websocket.Conn, want uint16, t Target, log *slog.Logger) (frame, error) {
	buf := getBuf(true)
	defer putBuf(buf)
	for {
		n, err := readMessage(ctx, ws, *buf)
		if err != nil {
			return frame{}, closeErr(err, t)
		}
		f, err := decodeFrame((*buf)[:n])
		if err != nil {
			return frame{}, err
		}
		switch f.tag {
		case want:
			return f, nil
		case tagData, tagAck, tagConnectSuccessSID, tagReconnectSuccessAck:
			return frame{}, fmt.Errorf("%w: %s before %s", ErrProtocol, tagName(f.tag), tagName(want))
		default:
			logIgnored(log, f)
		}
	}
}

func logIgnored(log *slog.Logger, f frame) {
	if f.tag == tagLongClose {
		log.Info("relay sent long close", slog.Int("code", int(f.code)), slog.String("reason", f.reason))
		return
	}
	log.Debug("ignoring unknown relay frame", slog.Int("tag", int(f.tag)))
}

// readMessage reads one binary message into buf and returns its length. A
// message longer than buf is read to its end and truncated; the frame decoder
// then treats the tail as discarded extra bytes.
func readMessage(ctx context.Context, ws *websocket.Conn, buf []byte) (int, error) {
	typ, r, err := ws.Reader(ctx)
	if err != nil {
		return 0, err
	}
	n, err := io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		err = nil
	case err == nil:
		// buf is full: discard what is left of an oversized message.
		_, err = io.Copy(io.Discard, r)
	}
	if err != nil {
		return 0, err
	}
	if typ != websocket.MessageBinary {
		return 0, fmt.Errorf("%w: text WebSocket message from the relay", ErrProtocol)
	}
	return n, nil
}

// closeErr converts a WebSocket read error into a CloseError when the relay
// sent a close code; other errors (drops, protocol) pass through.
func closeErr(err error, t Target) error {
	var wce websocket.CloseError
	if errors.As(err, &wce) {
		return &CloseError{Code: int(wce.Code), Reason: wce.Reason, Target: t}
	}
	return err
}
