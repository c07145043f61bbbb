package demo

import (
	"context"
	"log/slog"
)

// warnOnly passes on warnings and errors only: the fakes' request logs
// would drown the app's.
type warnOnly struct{ slog.Handler }

// Enabled reports whether level is at least a warning.
func (h warnOnly) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn && h.Handler.Enabled(ctx, level)
}

// WithAttrs keeps the filter on derived loggers.
func (h warnOnly) WithAttrs(attrs []slog.Attr) slog.Handler {
	return warnOnly{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the filter on derived loggers.
func (h warnOnly) WithGroup(name string) slog.Handler { return warnOnly{h.Handler.WithGroup(name)} }
