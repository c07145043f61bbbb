package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"iapdesk/platform"
	"iapdesk/tunnel"
)

// NetWatcher reports resumes from sleep and network changes until ctx
// ends; platform.WatchNetwork is the real one, tests inject their own.
type NetWatcher func(ctx context.Context, log *slog.Logger, changed func(platform.NetChange)) error

var _ NetWatcher = platform.WatchNetwork

// Prober checks the relay connections of its tunnels at once, resuming
// those that do not answer (*Tunnels, *tunnel.Forwarder, *tunnel.Conn).
type Prober interface {
	Probe(ctx context.Context) error
}

var (
	_ Prober = (*Tunnels)(nil)
	_ Prober = (*tunnel.Forwarder)(nil)
	_ Prober = (*tunnel.Conn)(nil)
)

// ProbeTimeout is how long a probe after a wake or a network change waits
// for the relay's answer before it resumes the session on a new
// connection: long enough for a relay across an ocean, short enough that
// a tunnel whose path died resumes within a second or two.
const ProbeTimeout = 750 * time.Millisecond

// ResumeConfig configures ResumeOnChange.
type ResumeConfig struct {
	// Watch reports the changes. Required.
	Watch NetWatcher
	// Probe is what is probed on each change. Required.
	Probe Prober
	// Timeout bounds each probe; 0 means ProbeTimeout.
	Timeout time.Duration
	// OnProbed, if set, is called after each probe with the change that
	// caused it and the probe's error (nil: every tunnel answered; else
	// the tunnels that did not are resuming). It must not block.
	OnProbed func(platform.NetChange, error)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// ResumeOnChange probes cfg.Probe at once whenever cfg.Watch reports a
// resume from sleep or a network change, so tunnels whose relay
// connection died with the old network resume through /v4/reconnect now,
// not when TCP times out. Changes that come while a probe runs are
// gathered into one more probe. It returns when ctx ends (nil) or when
// the watcher fails (its error; errors.ErrUnsupported where the OS offers
// nothing to watch), after its goroutines have exited.
func ResumeOnChange(ctx context.Context, cfg ResumeConfig) error {
	if cfg.Watch == nil || cfg.Probe == nil {
		return errors.New("app: ResumeConfig needs Watch and Probe")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = ProbeTimeout
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// mu guards pending, which holds the last change not probed yet.
	var mu sync.Mutex
	var pending platform.NetChange
	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			mu.Lock()
			c := pending
			pending = 0
			mu.Unlock()
			pctx, pcancel := context.WithTimeout(ctx, timeout)
			err := cfg.Probe.Probe(pctx)
			pcancel()
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				log.Warn("tunnels resuming after a network change", slog.String("change", c.String()), slog.Any("error", err))
			} else {
				log.Debug("tunnels answered after a network change", slog.String("change", c.String()))
			}
			if cfg.OnProbed != nil {
				cfg.OnProbed(c, err)
			}
		}
	})
	err := cfg.Watch(ctx, log, func(c platform.NetChange) {
		mu.Lock()
		pending = c
		mu.Unlock()
		select {
		case wake <- struct{}{}:
		default: // a probe is due already; it takes this change too
		}
	})
	cancel()
	wg.Wait()
	return err
}
