package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"iapdesk/internal/proxyreq"
	"iapdesk/tunnel"
)

// DefaultGatewayAddr is where `iapdesk gateway` listens unless told
// otherwise (--listen): a fixed port, so a client's proxy setting is set
// once.
const DefaultGatewayAddr = "127.0.0.1:11080"

// GatewayConfig configures a Gateway.
type GatewayConfig struct {
	// Tunnels are the shared tunnels: a route is the tunnel to its VM
	// and port, shared with the window's and shown in its panel.
	// Required.
	Tunnels *Tunnels
	// Instances resolve INSTANCE and internal IPs among the loaded
	// projects; nil routes INSTANCE.ZONE.PROJECT only.
	Instances LoadedInstances
	// Reload, if set, reloads Instances when a host names no loaded VM,
	// at most once per ReloadEvery (0: a minute).
	Reload      func(ctx context.Context) error
	ReloadEvery time.Duration
	// IdleTimeout is how long a route's tunnel stays open after its last
	// connection; 0 means 5 minutes.
	IdleTimeout time.Duration
	// HandshakeTimeout bounds a client's request; 0 means 10 s.
	HandshakeTimeout time.Duration
	// AllowPeer vets each client (platform.PeerIsSameUser: the port is
	// this user's alone). An errors.ErrUnsupported result allows it; nil
	// allows all.
	AllowPeer func(net.Conn) error
	// OnChange is called, from any goroutine, when a route opens or
	// closes. It must not block.
	OnChange func()
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Gateway is `iapdesk gateway`: one local SOCKS5 and HTTP CONNECT proxy
// for every VM port. A client asks for HOST:PORT, where HOST is
// INSTANCE.ZONE.PROJECT (no API call needed), a loaded VM's name when it
// is unique, or its internal IP; the gateway opens the tunnel to that VM
// and port on first use (Tunnels, shared with the window) and closes it
// IdleTimeout after its last connection. Each client connection is one
// tunnel connection, as with `iapdesk tunnel`. A route IAP refuses is
// answered with the SOCKS5 reply or HTTP status that says why, and the
// reason is logged.
type Gateway struct {
	cfg    GatewayConfig
	log    *slog.Logger
	router router

	// mu guards routes, conns and serving.
	mu      sync.Mutex
	routes  map[TunnelKey]*route
	conns   map[net.Conn]struct{}
	serving bool

	wg     sync.WaitGroup // connection goroutines
	timers sync.WaitGroup // idle timers armed or running
}

// route is a VM port the gateway holds a tunnel to.
type route struct {
	key    TunnelKey
	ready  chan struct{} // closed once the tunnel is acquired (or failed)
	err    error         // set before ready is closed
	active int           // connections now; guarded by Gateway.mu
	idle   *time.Timer   // armed while active is 0; guarded by Gateway.mu
	gen    int           // counts idle timers armed; guarded by Gateway.mu
	since  time.Time     // when it went idle; guarded by Gateway.mu
}

// GatewayRoute is a snapshot of a route, for the tunnels panel.
type GatewayRoute struct {
	Key         TunnelKey
	Connections int
	// IdleSince is when the last connection ended (zero while one is
	// open): the tunnel closes IdleTimeout later.
	IdleSince time.Time
}

// NewGateway returns a gateway; Serve runs it.
func NewGateway(cfg GatewayConfig) (*Gateway, error) {
	if cfg.Tunnels == nil {
		return nil, errors.New("app: GatewayConfig.Tunnels is nil")
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.ReloadEvery <= 0 {
		cfg.ReloadEvery = time.Minute
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Gateway{cfg: cfg, log: log, routes: map[TunnelKey]*route{},
		router: router{instances: cfg.Instances, reload: cfg.Reload, every: cfg.ReloadEvery}}, nil
}

// ListenGateway listens on addr (HOST:PORT, as --local-host-port takes
// it; "" is DefaultGatewayAddr) for Gateway.Serve. An address that is not
// loopback gets a warning in the log: other computers could use the
// gateway.
func ListenGateway(ctx context.Context, addr string, log *slog.Logger) (net.Listener, error) {
	if addr == "" {
		addr = DefaultGatewayAddr
	}
	a, err := ParseLocalHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("gateway address: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a)
	if err != nil {
		return nil, err
	}
	if w := listenWarning(ln.Addr()); w != "" && log != nil {
		log.Warn("gateway listens beyond this computer", slog.String("address", ln.Addr().String()))
	}
	return ln, nil
}

// Serve accepts proxy clients on ln until ctx ends, then closes every
// client connection, releases the routes' tunnels and returns nil once
// its goroutines have exited. Serve closes ln. It may be called again
// after it returned; not twice at once.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	g.mu.Lock()
	if g.serving {
		g.mu.Unlock()
		ln.Close()
		return errors.New("app: Gateway.Serve is already running")
	}
	g.serving = true
	g.conns = map[net.Conn]struct{}{}
	g.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	g.log.Info("gateway listening", slog.String("address", ln.Addr().String()))
	var err error
	for {
		var c net.Conn
		if c, err = ln.Accept(); err != nil {
			break
		}
		g.mu.Lock()
		g.conns[c] = struct{}{}
		g.mu.Unlock()
		g.wg.Go(func() {
			defer g.forget(c)
			g.serveConn(ctx, c)
		})
	}
	cancel()
	g.shutdown()
	if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// shutdown ends every connection and releases every route, and waits.
func (g *Gateway) shutdown() {
	g.mu.Lock()
	for c := range g.conns {
		c.Close()
	}
	g.mu.Unlock()
	g.wg.Wait() // the connections; their routes are idle now
	g.mu.Lock()
	var release []*route
	for k, rt := range g.routes {
		if rt.idle != nil && rt.idle.Stop() {
			g.timers.Done() // the timer will not run
		}
		rt.idle = nil
		delete(g.routes, k)
		release = append(release, rt)
	}
	g.serving = false
	g.mu.Unlock()
	g.timers.Wait() // idle timers that fired already
	for _, rt := range release {
		if rt.err == nil {
			g.cfg.Tunnels.Release(rt.key)
		}
	}
	if len(release) > 0 {
		g.changed()
	}
	g.log.Info("gateway closed")
}

func (g *Gateway) forget(c net.Conn) {
	c.Close()
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
}

func (g *Gateway) changed() {
	if g.cfg.OnChange != nil {
		g.cfg.OnChange()
	}
}

// Routes lists the routes open now, ordered by key.
func (g *Gateway) Routes() []GatewayRoute {
	g.mu.Lock()
	out := make([]GatewayRoute, 0, len(g.routes))
	for _, rt := range g.routes {
		if rt.settled() && rt.err == nil {
			out = append(out, GatewayRoute{Key: rt.key, Connections: rt.active, IdleSince: rt.since})
		}
	}
	g.mu.Unlock()
	slices.SortFunc(out, func(a, b GatewayRoute) int { return strings.Compare(a.Key.String(), b.Key.String()) })
	return out
}

// settled reports whether the route's tunnel is acquired, or failed.
func (rt *route) settled() bool {
	select {
	case <-rt.ready:
		return true
	default:
		return false
	}
}

// serveConn reads one client's request, routes it and carries it.
func (g *Gateway) serveConn(ctx context.Context, c net.Conn) {
	peer := c.RemoteAddr().String()
	if g.cfg.AllowPeer != nil {
		if err := g.cfg.AllowPeer(c); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			g.log.Warn("gateway refused a client", slog.String("peer", peer), slog.Any("error", err))
			return
		}
	}
	_ = c.SetDeadline(time.Now().Add(g.cfg.HandshakeTimeout))
	req, err := proxyreq.Read(c)
	if err != nil {
		g.log.Info("gateway request refused", slog.String("peer", peer), slog.Any("error", err))
		return
	}
	log := g.log.With(slog.String("peer", peer), slog.String("protocol", req.Protocol.String()), slog.String("host", req.Host), slog.Int("port", req.Port))
	ref, err := g.router.resolve(ctx, req.Host)
	if err != nil {
		rep, why := gatewayReply(TunnelKey{Port: req.Port}, err)
		log.Warn("gateway has no route", slog.String("reply", rep.String()), slog.String("reason", why))
		_ = req.Answer(c, rep, why)
		return
	}
	key := TunnelKey{Ref: ref, Port: req.Port}
	var local net.Conn = c
	if len(req.Rest) > 0 {
		local = &prefixConn{Conn: c, rest: req.Rest}
	}
	answer := func(err error) error {
		if err != nil {
			return err // answered below
		}
		_ = c.SetDeadline(time.Time{})
		log.Info("gateway connection open", slog.String("tunnel", key.String()))
		if err := req.Answer(c, proxyreq.Succeeded, ""); err != nil {
			return answerError{err}
		}
		return nil
	}
	// A route's tunnel closed under it (Close in the tunnels panel) is
	// opened again once.
	for try := 0; try < 2; try++ {
		var rt *route
		if rt, err = g.use(ctx, key); err != nil {
			break
		}
		err = g.cfg.Tunnels.Forward(ctx, key, local, answer)
		g.done(rt)
		var answered answerError
		switch {
		case err == nil, ctx.Err() != nil, errors.As(err, &answered):
			return // done, shutting down, or the client went away before its answer
		case errors.Is(err, tunnel.ErrClosed):
			g.forgetRoute(rt)
			continue
		}
		break
	}
	if ctx.Err() != nil {
		return
	}
	rep, why := gatewayReply(key, err)
	log.Warn("gateway route refused", slog.String("tunnel", key.String()), slog.String("reply", rep.String()),
		slog.String("reason", why), slog.Any("error", err))
	_ = req.Answer(c, rep, why)
}

// forgetRoute drops rt, whose tunnel was closed by someone else, without
// releasing it (Tunnels forgot it already), so the next use opens it
// again.
func (g *Gateway) forgetRoute(rt *route) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.routes[rt.key] == rt {
		g.stopIdle(rt)
		delete(g.routes, rt.key)
	}
}

// answerError marks a failure to write the success answer.
type answerError struct{ error }

// use counts one more connection of the route for key, opening its
// tunnel the first time (connections that come meanwhile wait for it).
func (g *Gateway) use(ctx context.Context, key TunnelKey) (*route, error) {
	g.mu.Lock()
	rt, ok := g.routes[key]
	if !ok {
		rt = &route{key: key, ready: make(chan struct{})}
		g.routes[key] = rt
	}
	rt.active++
	g.stopIdle(rt)
	g.mu.Unlock()
	if !ok {
		_, rt.err = g.cfg.Tunnels.Acquire(ctx, key, false)
		if rt.err != nil {
			g.mu.Lock()
			if g.routes[key] == rt {
				delete(g.routes, key) // the next connection tries again
			}
			g.mu.Unlock()
		} else {
			g.log.Info("gateway route open", slog.String("tunnel", key.String()))
		}
		close(rt.ready)
		g.changed()
	}
	select {
	case <-rt.ready:
	case <-ctx.Done():
	}
	if !rt.settled() || rt.err != nil {
		g.mu.Lock()
		rt.active--
		g.mu.Unlock()
		if rt.err != nil {
			return nil, rt.err
		}
		return nil, ctx.Err()
	}
	return rt, nil
}

// done counts a connection of rt off; the last one arms the idle timer.
func (g *Gateway) done(rt *route) {
	g.mu.Lock()
	defer g.mu.Unlock()
	rt.active--
	if rt.active > 0 || g.routes[rt.key] != rt {
		return
	}
	rt.since = time.Now()
	g.timers.Add(1) // counted off when the timer runs, or by whoever stops it
	rt.gen++
	gen := rt.gen
	rt.idle = time.AfterFunc(g.cfg.IdleTimeout, func() {
		defer g.timers.Done()
		g.expire(rt, gen)
	})
	g.changed()
}

// stopIdle disarms rt's idle timer, if armed. Gateway.mu is held.
func (g *Gateway) stopIdle(rt *route) {
	if rt.idle != nil && rt.idle.Stop() {
		g.timers.Done()
	}
	rt.idle, rt.since = nil, time.Time{}
}

// expire closes rt's tunnel if gen is still its idle timer's generation
// (no connection came since it was armed).
func (g *Gateway) expire(rt *route, gen int) {
	g.mu.Lock()
	if rt.gen != gen || rt.idle == nil || rt.active > 0 || g.routes[rt.key] != rt {
		g.mu.Unlock()
		return
	}
	delete(g.routes, rt.key)
	g.mu.Unlock()
	g.cfg.Tunnels.Release(rt.key)
	g.log.Info("gateway route closed", slog.String("tunnel", rt.key.String()), slog.Duration("idle", g.cfg.IdleTimeout))
	g.changed()
}

// prefixConn is a client connection whose first bytes were read with its
// request: Read returns them first.
type prefixConn struct {
	net.Conn
	rest []byte // read by one goroutine only: the tunnel's upload
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.rest) > 0 {
		n := copy(b, p.rest)
		p.rest = p.rest[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// CloseWrite and SetLinger reach the TCP connection, so the tunnel ends
// the client's stream the way it ends an accepted one's.
func (p *prefixConn) CloseWrite() error {
	if cw, ok := p.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (p *prefixConn) SetLinger(sec int) error {
	if l, ok := p.Conn.(interface{ SetLinger(int) error }); ok {
		return l.SetLinger(sec)
	}
	return nil
}

var _ io.Reader = (*prefixConn)(nil)
