package tunnel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// DefaultProbeTimeout is how long a probe waits for the relay's pong when
// the caller's context sets no deadline: a relay on the other side of the
// world answers within a few hundred milliseconds.
const DefaultProbeTimeout = time.Second

// ErrProbeFailed reports that the relay did not answer a probe in time: the
// relay connection was dropped and the session is resuming.
var ErrProbeFailed = errors.New("tunnel: relay did not answer the probe")

// Probe checks the relay connection under c at once, for when the laptop
// has just woken up or the network changed under the tunnel, instead of
// waiting for TCP to time out (many minutes). It sends a WebSocket ping
// and waits for the pong until ctx ends (DefaultProbeTimeout when ctx has
// no deadline). When none comes, the relay connection is dropped and the
// session resumes through /v4/reconnect at once, neither losing nor
// duplicating a byte; the error then wraps ErrProbeFailed.
//
// A session that is already resuming (its relay connection dropped)
// retries at once instead of waiting out its backoff, since the network
// may just have come back, and Probe returns nil. So does a Conn whose reader is held up by back-pressure
// (MaxReceived unread bytes): it would not see the pong, and the
// connection was alive when the relay last sent. A closed Conn returns
// ErrClosed.
func (c *Conn) Probe(ctx context.Context) error {
	c.mu.Lock()
	wc, closed := c.cur, c.closed
	stalled := c.recvBytes >= c.maxReceived()
	c.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case wc == nil:
		// Between relay connections: the reconnect's next wait ends now.
		signal(c.probeWake)
		return nil
	case stalled:
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultProbeTimeout)
		defer cancel()
	}
	start := time.Now()
	err := wc.ws.Ping(ctx)
	if err == nil {
		c.log.Debug("relay answered probe", slog.Duration("rtt", time.Since(start)))
		return nil
	}
	c.mu.Lock()
	closed, current := c.closed, c.cur == wc
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if !current || errors.Is(err, net.ErrClosed) {
		// The connection was dropped already, and is being replaced:
		// the reconnect's next wait ends now.
		signal(c.probeWake)
		return nil
	}
	c.log.Warn("relay did not answer probe, resuming", slog.Duration("waited", time.Since(start)), slog.Any("error", err))
	// Closing the socket ends the session goroutine's serve, which
	// resumes at once (the first retry of a backoff does not wait).
	wc.close()
	return fmt.Errorf("probe %s: %w (%v)", c.target, ErrProbeFailed, err)
}

// Probe probes every tunnel the forwarder is carrying (Conn.Probe), all at
// once, and returns when each has its answer. The error joins those of the
// tunnels that did not answer (each wraps ErrProbeFailed); they are
// resuming.
func (f *Forwarder) Probe(ctx context.Context) error {
	f.mu.Lock()
	conns := make([]*Conn, 0, len(f.conns))
	for c := range f.conns {
		conns = append(conns, c)
	}
	f.mu.Unlock()
	return ProbeAll(ctx, conns)
}

// ProbeAll probes conns concurrently (Conn.Probe) and waits for every
// answer. The error joins the failed probes'; closed Conns do not count.
func ProbeAll(ctx context.Context, conns []*Conn) error {
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			if err := c.Probe(ctx); !errors.Is(err, ErrClosed) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
