package demo

import (
	"context"
	"fmt"
	"net"

	"iapdesk/tunnel/relaytest"
)

// StallTunnel makes the tunnel listening on localAddr look as it does on a
// network that went away, for the screenshot of the tunnels panel: it
// opens a connection through the tunnel, the relay drops that connection
// after its first bytes and leaves every reconnect unanswered, so the
// tunnel keeps reconnecting. The connection stays open until Close; later
// connections through the relay fare the same.
func (w *World) StallTunnel(ctx context.Context, localAddr string) error {
	w.relay.SetFaults(relaytest.Faults{DropAfterSent: []uint64{1}, HoldReconnect: true})
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", localAddr)
	if err != nil {
		return fmt.Errorf("demo: stall the tunnel on %s: %w", localAddr, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		c.Close()
		return fmt.Errorf("demo: stall the tunnel on %s: %w", localAddr, net.ErrClosed)
	}
	w.stalled = append(w.stalled, c)
	return nil
}

// closeStalled closes the connections StallTunnel opened.
func (w *World) closeStalled() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, c := range w.stalled {
		c.Close()
	}
	w.stalled = nil
}
