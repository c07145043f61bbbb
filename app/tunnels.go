package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"iapdesk/tunnel"
)

// TunnelKey identifies an open tunnel: connecting twice to the same instance
// and port reuses it.
type TunnelKey struct {
	Ref  InstanceRef
	Port int
}

func (k TunnelKey) String() string {
	return fmt.Sprintf("%s/%s/%s:%d", k.Ref.Project, k.Ref.Zone, k.Ref.Name, k.Port)
}

// TunnelState is the health of an open tunnel, for the tunnels panel.
type TunnelState int

const (
	// TunnelOK is a listening tunnel whose last connection, if any, worked.
	TunnelOK TunnelState = iota
	// TunnelFailed is a tunnel whose last connection failed: it could not
	// be opened, or its session was lost and the local connection reset.
	// It still listens, and a new local connection tries again.
	TunnelFailed
	// TunnelConnecting is a tunnel being opened: the connection check has
	// not answered yet, and it does not listen yet (no LocalAddr).
	TunnelConnecting
	// TunnelReconnecting is a listening tunnel one of whose connections
	// lost its relay connection and is resuming it (TunnelInfo.Attempt).
	TunnelReconnecting
)

func (s TunnelState) String() string {
	switch s {
	case TunnelFailed:
		return "failed"
	case TunnelConnecting:
		return "connecting"
	case TunnelReconnecting:
		return "reconnecting"
	}
	return "open"
}

// TunnelInfo is a snapshot of an open tunnel for the tunnels panel.
type TunnelInfo struct {
	Key         TunnelKey
	LocalAddr   string // 127.0.0.1:PORT
	LocalPort   int
	Started     time.Time
	BytesUp     uint64 // acknowledged by the relay
	BytesDown   uint64
	Connections int // local connections being forwarded now
	Clients     int // sessions (RDP clients, terminals, …) using the tunnel
	KeepOpen    bool
	LastError   error
	State       TunnelState
	Reason      *UserError // why State is TunnelFailed; nil otherwise
	// Attempt is the reconnect attempt in progress when State is
	// TunnelReconnecting (from 1); 0 otherwise.
	Attempt int

	ot *openTunnel // the tunnel of this snapshot, for ClosedByUser
}

// ClosedByUser reports whether the tunnel of this snapshot has since been
// closed with Tunnels.Close (the tunnels panel's Close): what the clients
// using it see next is a disconnect the user asked for, not a failure.
func (t TunnelInfo) ClosedByUser() bool { return t.ot != nil && t.ot.closedByUser.Load() }

// Duration is how long the tunnel has been open at the snapshot.
func (t TunnelInfo) Duration(now time.Time) time.Duration { return now.Sub(t.Started) }

// TunnelsConfig configures Tunnels.
type TunnelsConfig struct {
	// Dialer opens relay connections. Required.
	Dialer tunnel.ConnDialer
	// AllowPeer vets local connections (platform.PeerIsSameUser). Nil
	// allows all.
	AllowPeer func(net.Conn) error
	// CheckConnection dials once before a tunnel is reported open, so IAM
	// and firewall problems show at connect time. Default on; the demo and
	// tests may turn it off.
	SkipConnectionCheck bool
	// OnChange is called, from any goroutine, when a tunnel opens or
	// closes. It must not block.
	OnChange func()
	// Logger receives tunnel events. Nil means slog.Default().
	Logger *slog.Logger
}

// Tunnels keeps the open tunnels: one local listener per instance and port,
// shared by every session that needs it and closed when the last one ends
// (unless kept open).
type Tunnels struct {
	cfg TunnelsConfig
	log *slog.Logger

	// mu guards open and closed.
	mu     sync.Mutex
	open   map[TunnelKey]*openTunnel
	closed bool

	wg sync.WaitGroup // one Serve goroutine per open tunnel
}

type openTunnel struct {
	key      TunnelKey
	fwd      *tunnel.Forwarder
	started  time.Time
	clients  int  // guarded by Tunnels.mu
	keepOpen bool // guarded by Tunnels.mu
	// stopOpening cancels the opening (the connection check), so closing a
	// tunnel that is still opening does not wait for the relay.
	stopOpening context.CancelFunc
	ready       chan struct{}
	err         error // set before ready is closed
	// closedByUser is set by Tunnels.Close before the forwarder closes.
	closedByUser atomic.Bool
}

// NewTunnels returns an empty set of tunnels.
func NewTunnels(cfg TunnelsConfig) (*Tunnels, error) {
	if cfg.Dialer == nil {
		return nil, errors.New("app: TunnelsConfig.Dialer is nil")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Tunnels{cfg: cfg, log: log, open: map[TunnelKey]*openTunnel{}}, nil
}

// Acquire returns the tunnel for key, opening it if needed, and counts one
// more client of it; call Release when that client is done. keepOpen keeps
// the tunnel after its last client (a tunnel opened on its own, "Connect to
// port…" without a client).
func (ts *Tunnels) Acquire(ctx context.Context, key TunnelKey, keepOpen bool) (TunnelInfo, error) {
	return ts.AcquireAt(ctx, key, keepOpen, 0)
}

// AcquireAt is Acquire with a preferred local port for a new tunnel (0: a
// free one). When the port is taken the tunnel listens on a free port
// instead and TunnelInfo says which; a tunnel already open keeps its port.
func (ts *Tunnels) AcquireAt(ctx context.Context, key TunnelKey, keepOpen bool, localPort int) (TunnelInfo, error) {
	ts.mu.Lock()
	if ts.closed {
		ts.mu.Unlock()
		return TunnelInfo{}, errors.New("app: tunnels are shut down")
	}
	ot, ok := ts.open[key]
	var opening context.Context
	if !ok {
		ot = &openTunnel{key: key, ready: make(chan struct{})}
		opening, ot.stopOpening = context.WithCancel(ctx)
		ts.open[key] = ot
	}
	ot.clients++
	ot.keepOpen = ot.keepOpen || keepOpen
	ts.mu.Unlock()

	if !ok {
		ts.changed() // the panel shows it connecting
		ts.start(opening, ot, localPort)
	}
	select {
	case <-ot.ready:
	case <-ctx.Done():
		ts.Release(key)
		return TunnelInfo{}, ctx.Err()
	}
	if ot.err != nil {
		return TunnelInfo{}, ot.err
	}
	return ts.info(ot), nil
}

// start opens the forwarder for ot and serves it until it is closed.
func (ts *Tunnels) start(ctx context.Context, ot *openTunnel, localPort int) {
	t := tunnel.Target{Project: ot.key.Ref.Project, Zone: ot.key.Ref.Zone, Instance: ot.key.Ref.Name, Port: ot.key.Port}
	defer ot.stopOpening() // the context bounds the opening only
	cfg := tunnel.ForwarderConfig{
		Dialer:          ts.cfg.Dialer,
		Target:          t,
		CheckConnection: !ts.cfg.SkipConnectionCheck,
		AllowPeer:       ts.cfg.AllowPeer,
		// The panel shows the failure at once, not at its next refresh.
		OnError: func(error) { ts.changed() },
		Logger:  ts.log,
	}
	if localPort > 0 {
		cfg.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(localPort))
	}
	fwd, err := tunnel.NewForwarder(ctx, cfg)
	var inUse *net.OpError
	if localPort > 0 && errors.As(err, &inUse) && inUse.Op == "listen" {
		ts.log.Warn("preferred local port is taken, using a free one", slog.Int("local_port", localPort), slog.Any("error", err))
		cfg.Addr = ""
		cfg.CheckConnection = false // the failed attempt listened after a successful check
		fwd, err = tunnel.NewForwarder(ctx, cfg)
	}
	if err != nil {
		ot.err = err
		ts.mu.Lock()
		if ts.open[ot.key] == ot {
			delete(ts.open, ot.key)
		}
		ts.mu.Unlock()
		close(ot.ready)
		ts.changed()
		return
	}
	ot.fwd, ot.started = fwd, time.Now()
	ts.wg.Add(1)
	go func() {
		defer ts.wg.Done()
		if err := fwd.Serve(context.Background()); err != nil {
			ts.log.Error("tunnel listener failed", slog.String("tunnel", ot.key.String()), slog.Any("error", err))
		}
		ts.mu.Lock()
		if ts.open[ot.key] == ot {
			delete(ts.open, ot.key)
		}
		ts.mu.Unlock()
		ts.changed()
	}()
	ts.log.Info("tunnel listening", slog.String("tunnel", ot.key.String()), slog.Int("local_port", fwd.Port()))
	close(ot.ready)
	ts.changed()
	// Every client may have given up while the tunnel was opening.
	ts.mu.Lock()
	unused := ot.clients <= 0 && !ot.keepOpen
	ts.mu.Unlock()
	if unused {
		ts.closeTunnel(ot)
	}
}

func (ts *Tunnels) changed() {
	if ts.cfg.OnChange != nil {
		ts.cfg.OnChange()
	}
}

// Release ends one client's use of the tunnel; the last one closes it
// unless it is kept open.
func (ts *Tunnels) Release(key TunnelKey) {
	ts.mu.Lock()
	ot, ok := ts.open[key]
	if !ok {
		ts.mu.Unlock()
		return
	}
	ot.clients--
	last := ot.clients <= 0 && !ot.keepOpen
	ts.mu.Unlock()
	if last {
		ts.closeTunnel(ot)
	}
}

// Close closes the tunnel for key, whoever uses it: the user's own
// disconnect (TunnelInfo.ClosedByUser), which ends their sessions
// quietly.
func (ts *Tunnels) Close(key TunnelKey) {
	ts.mu.Lock()
	ot, ok := ts.open[key]
	ts.mu.Unlock()
	if ok {
		ot.closedByUser.Store(true)
		ts.log.Info("tunnel closed by the user", slog.String("tunnel", key.String()))
		ts.closeTunnel(ot)
	}
}

// closeTunnel closes ot, or stops it opening; it does not wait on the
// network.
func (ts *Tunnels) closeTunnel(ot *openTunnel) {
	ot.stopOpening()
	<-ot.ready
	if ot.fwd != nil {
		ot.fwd.Close() // Serve returns, and its goroutine forgets ot
	}
}

// List returns a snapshot of the open tunnels, and of those being opened
// (TunnelConnecting), ordered by key.
func (ts *Tunnels) List() []TunnelInfo {
	ts.mu.Lock()
	var list, opening []*openTunnel
	for _, ot := range ts.open {
		switch {
		case !isReady(ot):
			opening = append(opening, ot)
		case ot.err == nil:
			list = append(list, ot)
		}
	}
	ts.mu.Unlock()
	out := make([]TunnelInfo, 0, len(list)+len(opening))
	for _, ot := range list {
		out = append(out, ts.info(ot))
	}
	for _, ot := range opening {
		out = append(out, TunnelInfo{Key: ot.key, State: TunnelConnecting, ot: ot})
	}
	slices.SortFunc(out, func(a, b TunnelInfo) int { return strings.Compare(a.Key.String(), b.Key.String()) })
	return out
}

func isReady(ot *openTunnel) bool {
	select {
	case <-ot.ready:
		return true
	default:
		return false
	}
}

func (ts *Tunnels) info(ot *openTunnel) TunnelInfo {
	st := ot.fwd.Stats()
	ts.mu.Lock()
	clients, keep := ot.clients, ot.keepOpen
	ts.mu.Unlock()
	info := TunnelInfo{
		Key: ot.key, LocalAddr: ot.fwd.Addr().String(), LocalPort: ot.fwd.Port(), Started: ot.started,
		BytesUp: st.BytesUp, BytesDown: st.BytesDown, Connections: st.Open,
		Clients: clients, KeepOpen: keep, LastError: st.LastError, ot: ot,
	}
	switch {
	case st.Reconnecting > 0:
		info.State, info.Attempt = TunnelReconnecting, max(st.Attempt, 1)
	case st.Failure != nil:
		info.State, info.Reason = TunnelFailed, ConnectError(ot.key.Ref, ot.key.Port, st.Failure)
	}
	return info
}

// Shutdown closes every tunnel and waits for them.
func (ts *Tunnels) Shutdown() {
	ts.mu.Lock()
	ts.closed = true
	list := slices.Collect(maps.Values(ts.open))
	ts.mu.Unlock()
	for _, ot := range list {
		ts.closeTunnel(ot)
	}
	ts.wg.Wait()
}

// Keep marks the tunnel for key to stay open after its last client.
func (ts *Tunnels) Keep(key TunnelKey) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ot, ok := ts.open[key]; ok {
		ot.keepOpen = true
	}
}
