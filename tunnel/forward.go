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
	// OnError, if set, is called with every tunnel failure: a tunnel that
	// could not be opened, or a session that ended in an error rather than
	// at the relay's normal end (ErrSessionLost, a close code, …). The
	// local connection has been reset by then. It is called from that
	// connection's goroutine and must not block. Failures of the local side
	// and tunnels cut by Close are not reported.
	OnError func(error)
	// Logger receives connection events. Nil means slog.Default().
	Logger *slog.Logger
}

// Forwarder listens on a local TCP port and forwards every connection through
// its own tunnel to the target.
type Forwarder struct {
	cfg ForwarderConfig
	ln  net.Listener
	log *slog.Logger

	// ctx bounds the forwarder's lifetime: shutdown cancels it, which stops
	// the dials in progress.
	ctx    context.Context
	cancel context.CancelFunc

	// mu guards conns, closed, lastErr, failure and the closed-connection
	// totals.
	mu       sync.Mutex
	conns    map[*Conn]struct{}
	closed   bool
	lastErr  error
	failure  error
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
	// Reconnecting counts the connections whose relay connection dropped
	// and is being resumed now; Attempt is the furthest reconnect attempt
	// among them (Stats.Attempt).
	Reconnecting int
	Attempt      int
	// Failure is why the last tunnel to fail failed (it could not be
	// opened, or its session ended in an error), as long as no tunnel has
	// opened since; nil otherwise.
	Failure error
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
	fctx, cancel := context.WithCancel(context.Background())
	return &Forwarder{
		cfg:     cfg,
		ln:      ln,
		log:     log.With(slog.String("target", cfg.Target.String())),
		ctx:     fctx,
		cancel:  cancel,
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
			f.handle(local)
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

// Close stops the forwarder: the listener, the dials in progress and every
// tunnel (their local connections are reset). If Serve is running, Close
// waits for it to finish. It does not wait on the network.
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
	f.cancel()
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
		LastError: f.lastErr, Failure: f.failure,
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
		if cs.Reconnecting {
			s.Reconnecting++
			s.Attempt = max(s.Attempt, cs.Attempt)
		}
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

// tunnelFailed records and reports a failure of the tunnel itself.
func (f *Forwarder) tunnelFailed(err error) {
	f.errs.Add(1)
	f.mu.Lock()
	f.lastErr, f.failure = err, err
	f.mu.Unlock()
	if f.cfg.OnError != nil {
		f.cfg.OnError(err)
	}
}

// handle forwards one local connection.
func (f *Forwarder) handle(local net.Conn) {
	peer := local.RemoteAddr().String()
	if f.cfg.AllowPeer != nil {
		if err := f.cfg.AllowPeer(local); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			local.Close()
			f.fail(err)
			f.log.Warn("refused local connection", slog.String("peer", peer), slog.Any("error", err))
			return
		}
	}
	c, err := f.cfg.Dialer.Dial(f.ctx, f.cfg.Target)
	if err != nil {
		reset(local)
		if f.ctx.Err() != nil {
			return // Close: not a failure of the tunnel
		}
		// Reported through OnError and Stats, logged as an event only.
		f.log.Info("tunnel connection failed", slog.String("peer", peer), slog.Any("error", err))
		f.tunnelFailed(err)
		return
	}
	if !f.register(c) {
		reset(local)
		return
	}
	f.carry(c, local, peer)
}

// Pipe copies between a tunnel and a local stream until both directions are
// done, then closes both. Local EOF ends the tunnel's write side (the relay
// then closes, which ends the other direction). When the relay ends the
// stream normally, the local stream gets a clean end (CloseWrite, then
// Close). Otherwise (the session was lost, the relay failed, the tunnel was
// closed under it) a local TCP connection is reset (RST) rather than
// closed, so its client sees a failure, not a truncated stream that looks
// complete. It returns the first real error, nil for a normal end.
func Pipe(c *Conn, local io.ReadWriteCloser) error {
	tunnelErr, localErr := pipe(c, local)
	if tunnelErr != nil {
		return tunnelErr
	}
	return localErr
}

// pipe is Pipe, keeping apart the tunnel's error (why the session ended,
// nil for a normal end or a Close on our side) and the local stream's.
func pipe(c *Conn, local io.ReadWriteCloser) (tunnelErr, localErr error) {
	ls := &localSide{rw: local}
	var wg sync.WaitGroup
	var upErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, upErr = c.ReadFrom(ls)
		_ = c.CloseWrite()
	}()
	_, downErr := c.WriteTo(ls)
	if downErr == nil {
		// The relay ended the stream: end the local one the same way.
		if cw, ok := local.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
	} else {
		reset(local)
	}
	_ = local.Close()
	wg.Wait()
	_ = c.Close()
	rerr, werr := ls.errs()
	for _, e := range []struct {
		err   error
		local bool
	}{{downErr, werr != nil}, {upErr, rerr != nil}} {
		switch {
		case e.err == nil || errors.Is(e.err, ErrClosed) || errors.Is(e.err, net.ErrClosed):
		case e.local && localErr == nil:
			localErr = e.err
		case !e.local && tunnelErr == nil:
			tunnelErr = e.err
		}
	}
	return tunnelErr, localErr
}

// localSide is the local stream, remembering its own read and write errors
// so pipe can tell them from the tunnel's.
type localSide struct {
	rw io.ReadWriter
	// mu guards rerr and werr.
	mu         sync.Mutex
	rerr, werr error
}

func (l *localSide) Read(p []byte) (int, error) {
	n, err := l.rw.Read(p)
	if err != nil && err != io.EOF {
		l.mu.Lock()
		l.rerr = err
		l.mu.Unlock()
	}
	return n, err
}

func (l *localSide) Write(p []byte) (int, error) {
	n, err := l.rw.Write(p)
	if err != nil {
		l.mu.Lock()
		l.werr = err
		l.mu.Unlock()
	}
	return n, err
}

func (l *localSide) errs() (rerr, werr error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rerr, l.werr
}

// reset closes a local TCP connection with an RST instead of a FIN, so its
// client sees ECONNRESET, not a clean end. Other streams are just closed.
func reset(local io.Closer) {
	if l, ok := local.(interface{ SetLinger(sec int) error }); ok {
		_ = l.SetLinger(0)
	}
	_ = local.Close()
}
