package desk

import (
	"context"
	"errors"
	"log/slog"

	"iapdesk/app"
)

// watchNetwork probes the open tunnels on every resume from sleep and
// network change (app.ResumeOnChange) until Close. Where the OS offers
// nothing to watch, tunnels notice a dead network when TCP does.
func (s *Services) watchNetwork(watch app.NetWatcher, log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopResume, s.resumed = cancel, make(chan struct{})
	go func() {
		defer close(s.resumed)
		err := app.ResumeOnChange(ctx, app.ResumeConfig{Watch: watch, Probe: s.Tunnels, Logger: log})
		switch {
		case errors.Is(err, errors.ErrUnsupported):
			log.Info("network changes are not watched on this system")
		case err != nil:
			log.Warn("network changes are not watched", slog.Any("error", err))
		}
	}()
}
