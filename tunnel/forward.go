package tunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ConnDialer opens tunnel connections; *Dialer implements it.
type ConnDialer interface {
	Dial(ctx context.Context, t Target) (*Conn, error)
}

var _ ConnDialer = (*Dialer)(nil)

// ForwarderConfig configures a Forwarder.
type ForwarderConfig struct {
	// Dialer opens one tunnel per accepted local connection. Required.
	Dialer ConnDialer
	// Target is where the tunnels go. Required.
	Target Target
	// Addr is the local listening address. Empty means 127.0.0.1:0, an
	// ephemeral loopback port; all interfaces only when asked explicitly.
	Addr string
	// CheckConnection dials one tunnel and closes it before the forwarder
	// reports that it is listening, so IAM or firewall problems surface at
	// once rather than on the first local connection.
	CheckConnection bool
	// AllowPeer vets each accepted connection before a tunnel is opened;
	// platform.PeerIsSameUser refuses other OS users' connections. An
	// errors.ErrUnsupported result means the OS cannot tell, and the
	// connection is allowed. Nil allows every connection.
	AllowPeer func(net.Conn) error
	// Logger receives connection events. Nil means slog.Default().
	Logger *slog.Logger
}

// Forwarder listens on a local TCP port and forwards every connection through
// its own tunnel to the target.
type Forwarder struct {
	cfg ForwarderConfig
	ln  net.Listener
	log *slog.Logger

	// mu guards conns, closed, lastErr and the closed-connection totals.
	mu       sync.Mutex
	conns    map[*Conn]struct{}
	closed   bool
	lastErr  error
	doneUp   uint64
	doneDown uint64

	started  atomic.Bool
	accepted atomic.Int64
	errs     atomic.Int64
	wg       sync.WaitGroup // connection goroutines
	serving  chan struct{}  // closed when Serve returns
}

// ForwarderStats are a Forwarder's live counters.
type ForwarderStats struct {
	BytesUp, BytesDown uint64 // payload acknowledged by the relay / received from it
	Open               int    // connections being forwarded now
	Total              int64  // connections accepted so far
	Errors             int64  // connections that failed or were refused
	LastError          error
}

// NewForwarder listens on cfg.Addr and, with CheckConnection, proves that a
// tunnel can be opened. Serve then accepts connections.
func NewForwarder(ctx context.Context, cfg ForwarderConfig) (*Forwarder, error) {
	if cfg.Dialer == nil {
		return nil, errors.New("tunnel: ForwarderConfig.Dialer is nil")
	}
	if err := cfg.Target.Validate(); err != nil {
		return nil, err
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.CheckConnection {
		c, err := cfg.Dialer.Dial(ctx, cfg.Target)
		if err != nil {
			return nil, fmt.Errorf("test connection to %s: %w", cfg.Target, err)
		}
		c.Abort()
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return &Forwarder{
		cfg:     cfg,
		ln:      ln,
		log:     log.With(slog.String("target", cfg.Target.String())),
		conns:   map[*Conn]struct{}{},
		serving: make(chan struct{}),
	}, nil
}

// Addr is the local listening address.
func (f *Forwarder) Addr() net.Addr { return f.ln.Addr() }

// Port is the local listening port.
func (f *Forwarder) Port() int {
	if a, ok := f.ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Serve accepts connections until ctx is done or Close is called, then closes
// the listener and every tunnel and waits for them. It returns nil after a
// requested shutdown.
func (f *Forwarder) Serve(ctx context.Context) error {
	if f.started.Swap(true) {
		return errors.New("tunnel: Forwarder.Serve called twice")
	}
	defer close(f.serving)
	stop := context.AfterFunc(ctx, func() { f.shutdown() })
	defer stop()
	var err error
	for {
		var local net.Conn
		local, err = f.ln.Accept()
		if err != nil {
			break
		}
		f.accepted.Add(1)
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.handle(ctx, local)
		}()
	}
	f.shutdown()
	f.wg.Wait()
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return nil
	}
	return fmt.Errorf("accept on %s: %w", f.ln.Addr(), err)
}

// Close stops the forwarder: the listener and every tunnel. If Serve is
// running, Close waits for it to finish.
func (f *Forwarder) Close() error {
	f.shutdown()
	if f.started.Load() {
		<-f.serving
	} else {
		f.wg.Wait()
	}
	return nil
}

func (f *Forwarder) shutdown() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	conns := make([]*Conn, 0, len(f.conns))
	for c := range f.conns {
		conns = append(conns, c)
	}
	f.mu.Unlock()
	f.ln.Close()
	for _, c := range conns {
		c.Abort()
	}
}

// Stats returns live counters.
func (f *Forwarder) Stats() ForwarderStats {
	f.mu.Lock()
	s := ForwarderStats{
		BytesUp: f.doneUp, BytesDown: f.doneDown, Open: len(f.conns),
		LastError: f.lastErr,
	}
	conns := make([]*Conn, 0, len(f.conns))
	for c := range f.conns {
		conns = append(conns, c)
	}
	f.mu.Unlock()
	for _, c := range conns {
		cs := c.Stats()
		s.BytesUp += cs.BytesSent
		s.BytesDown += cs.BytesReceived
	}
	s.Total = f.accepted.Load()
	s.Errors = f.errs.Load()
	return s
}

func (f *Forwarder) fail(err error) {
	f.errs.Add(1)
	f.mu.Lock()
	f.lastErr = err
	f.mu.Unlock()
}

// handle forwards one local connection.
func (f *Forwarder) handle(ctx context.Context, local net.Conn) {
	defer local.Close()
	peer := local.RemoteAddr().String()
	if f.cfg.AllowPeer != nil {
		if err := f.cfg.AllowPeer(local); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			f.fail(err)
			f.log.Warn("refused local connection", slog.String("peer", peer), slog.Any("error", err))
			return
		}
	}
	c, err := f.cfg.Dialer.Dial(ctx, f.cfg.Target)
	if err != nil {
		f.fail(err)
		f.log.Error("tunnel connection failed", slog.String("peer", peer), slog.Any("error", err))
		return
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		c.Abort()
		return
	}
	f.conns[c] = struct{}{}
	f.mu.Unlock()
	start := time.Now()
	err = Pipe(c, local)
	st := c.Stats()
	f.mu.Lock()
	delete(f.conns, c)
	f.doneUp += st.BytesSent
	f.doneDown += st.BytesReceived
	f.mu.Unlock()
	if err != nil {
		f.fail(err)
	}
	f.log.Info("local connection closed", slog.String("peer", peer),
		slog.Uint64("bytes_up", st.BytesSent), slog.Uint64("bytes_down", st.BytesReceived),
		slog.Duration("duration", time.Since(start).Round(time.Millisecond)), slog.Any("error", err))
}

// Pipe copies between a tunnel and a local stream until both directions are
// done, then closes both. Local EOF ends the tunnel's write side (the relay
// then closes, which ends the other direction); the tunnel ending closes the
// local stream. It returns the first real error, nil for a normal end.
func Pipe(c *Conn, local io.ReadWriteCloser) error {
	var wg sync.WaitGroup
	var upErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, upErr = c.ReadFrom(local)
		_ = c.CloseWrite()
	}()
	_, downErr := c.WriteTo(local)
	// The relay side is done: stop reading the local side too.
	if cw, ok := local.(interface{ CloseWrite() error }); ok && downErr == nil {
		_ = cw.CloseWrite()
	}
	_ = local.Close()
	wg.Wait()
	_ = c.Close()
	switch {
	case downErr != nil && !errors.Is(downErr, ErrClosed):
		return downErr
	case upErr != nil && !errors.Is(upErr, ErrClosed) && !errors.Is(upErr, net.ErrClosed):
		return upErr
	}
	return nil
}
