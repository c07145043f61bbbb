package app

import (
	"context"
	"fmt"
	"net"

	"iapdesk/tunnel"
)

// Forward carries local, a connection the caller accepted and read a
// request from (the gateway's), through a new connection of the open
// tunnel for key, counted with that tunnel's own (tunnel.Forwarder.Handle):
// answer hears of the relay's verdict before a byte is copied. It returns
// when the connection has ended. The tunnel must be open (Acquire): a key
// that is not is an error wrapping tunnel.ErrClosed.
func (ts *Tunnels) Forward(ctx context.Context, key TunnelKey, local net.Conn, answer func(error) error) error {
	ts.mu.Lock()
	ot, ok := ts.open[key]
	ts.mu.Unlock()
	if !ok || !isReady(ot) || ot.fwd == nil {
		err := fmt.Errorf("forward to %s: tunnel is not open: %w", key, tunnel.ErrClosed)
		_ = answer(err)
		return err
	}
	return ot.fwd.Handle(ctx, local, answer)
}
