package app

import (
	"context"
	"errors"
	"sync"

	"iapdesk/tunnel"
)

// Probe checks the relay connection of every connection of every open
// tunnel at once (tunnel.Forwarder.Probe): after a wake or a network
// change, those that do not answer resume through /v4/reconnect. It
// returns when every probe has its answer; the error joins those of the
// connections that are resuming.
func (ts *Tunnels) Probe(ctx context.Context) error {
	ts.mu.Lock()
	fwds := make([]*tunnel.Forwarder, 0, len(ts.open))
	for _, ot := range ts.open {
		if isReady(ot) && ot.fwd != nil {
			fwds = append(fwds, ot.fwd)
		}
	}
	ts.mu.Unlock()
	errs := make([]error, len(fwds))
	var wg sync.WaitGroup
	for i, f := range fwds {
		wg.Go(func() { errs[i] = f.Probe(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
