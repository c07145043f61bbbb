package tunnel

import (
	"context"
	"log/slog"
	"net"
	"time"
)

// Handle forwards local, a connection accepted elsewhere (a proxy that
// has read its client's request first), through a new tunnel to the
// forwarder's target, as if the forwarder had accepted it: it counts in
// Stats, a tunnel failure goes to OnError, Probe probes it, and Close ends
// it. AllowPeer is not asked: the caller vetted local.
//
// answer is called once the dial is over, before a byte is copied: with
// nil when the tunnel is open, or with the dial's error, which Handle then
// returns, leaving local open for the caller to tell its client why. An
// error from answer (the client went away) aborts the tunnel. ctx bounds
// the dial only. Handle returns when the connection has ended (local is
// closed): nil, or why the tunnel failed.
func (f *Forwarder) Handle(ctx context.Context, local net.Conn, answer func(error) error) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		_ = answer(ErrClosed)
		return ErrClosed
	}
	f.wg.Add(1) // Close waits for this connection as for an accepted one
	f.mu.Unlock()
	defer f.wg.Done()
	f.accepted.Add(1)
	peer := local.RemoteAddr().String()

	dctx, cancel := context.WithCancel(f.ctx)
	stop := context.AfterFunc(ctx, cancel)
	c, err := f.cfg.Dialer.Dial(dctx, f.cfg.Target)
	stop()
	cancel()
	if err != nil {
		if f.ctx.Err() == nil && ctx.Err() == nil {
			f.log.Info("tunnel connection failed", slog.String("peer", peer), slog.Any("error", err))
			f.tunnelFailed(err)
		}
		_ = answer(err)
		return err
	}
	if !f.register(c) {
		_ = answer(ErrClosed)
		return ErrClosed
	}
	if err := answer(nil); err != nil {
		f.unregister(c)
		c.Abort()
		reset(local)
		f.fail(err)
		return err
	}
	return f.carry(c, local, peer)
}

// register adds c to the tunnels Close aborts, unless the forwarder is
// closed (then c is aborted and register reports false).
func (f *Forwarder) register(c *Conn) bool {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		c.Abort()
		return false
	}
	f.conns[c] = struct{}{}
	f.failure = nil
	f.mu.Unlock()
	return true
}

// unregister forgets c and adds its counters to the closed connections'.
func (f *Forwarder) unregister(c *Conn) Stats {
	st := c.Stats()
	f.mu.Lock()
	delete(f.conns, c)
	f.doneUp += st.BytesSent
	f.doneDown += st.BytesReceived
	f.mu.Unlock()
	return st
}

// carry pipes the registered tunnel c and local until both are done, then
// records and reports how it ended. It returns the tunnel's error.
func (f *Forwarder) carry(c *Conn, local net.Conn, peer string) error {
	start := time.Now()
	tunnelErr, localErr := pipe(c, local)
	st := f.unregister(c)
	err := tunnelErr
	if err == nil {
		err = localErr
	}
	f.log.Info("local connection closed", slog.String("peer", peer),
		slog.Uint64("bytes_up", st.BytesSent), slog.Uint64("bytes_down", st.BytesReceived),
		slog.Duration("duration", time.Since(start).Round(time.Millisecond)), slog.Any("error", err))
	switch {
	case tunnelErr != nil:
		f.tunnelFailed(tunnelErr)
	case localErr != nil:
		f.fail(localErr)
	}
	return tunnelErr
}
