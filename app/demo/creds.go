package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"golang.org/x/oauth2"

	"iapdesk/auth"
)

// credentials resolves the demo's active account only. Unlike
// auth.Manager.Resolve it never falls back to Application Default
// Credentials: those would be the user's real ones.
type credentials struct{ m *auth.Manager }

// Resolve returns the active account's token source.
func (c credentials) Resolve(ctx context.Context) (oauth2.TokenSource, auth.Description, error) {
	acct, err := c.m.Active(ctx)
	if errors.Is(err, auth.ErrNotSignedIn) {
		return nil, auth.Description{}, fmt.Errorf("demo: %w", auth.ErrNoCredentials)
	}
	if err != nil {
		return nil, auth.Description{}, err
	}
	ts, err := c.m.TokenSource(ctx, acct.Email)
	if err != nil {
		return nil, auth.Description{}, err
	}
	return ts, auth.Description{Kind: auth.SourceAccount, Account: acct.Email}, nil
}

// activeTokens follows the active account: after a sign-out or a switch,
// tunnels and API calls use the new account (or fail).
type activeTokens struct{ c credentials }

// Token returns the active account's access token.
func (a activeTokens) Token() (*oauth2.Token, error) {
	ts, _, err := a.c.Resolve(context.Background())
	if err != nil {
		return nil, err
	}
	return ts.Token()
}

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
