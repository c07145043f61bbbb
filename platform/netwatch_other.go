//go:build !linux && !windows && !darwin

package platform

import (
	"context"
	"errors"
	"log/slog"
)

// WatchNetwork is not available on this OS: it returns
// errors.ErrUnsupported.
func WatchNetwork(ctx context.Context, log *slog.Logger, changed func(NetChange)) error {
	return errors.ErrUnsupported
}
