package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// refreshTimeout bounds one token refresh. oauth2.TokenSource.Token takes no
// context, so a refresh cannot be cancelled by its callers; the timeout keeps
// a dead network from stalling every tunnel forever.
const refreshTimeout = 30 * time.Second

// cachedSource hands out one cached access token to any number of callers
// and replaces it early (before now+early reaches its expiry), never after a
// 401. Concurrent callers that find the token stale share one refresh: the
// first one runs it, the others wait for its result.
type cachedSource struct {
	fetch func(ctx context.Context) (*oauth2.Token, error)
	early time.Duration
	now   func() time.Time

	mu     sync.Mutex    // guards tok and flight; never held during fetch
	tok    *oauth2.Token // last good token, or nil
	flight *flight       // the refresh in progress, or nil
}

// flight is one refresh; done is closed after tok and err are set.
type flight struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

var _ oauth2.TokenSource = (*cachedSource)(nil)

// Token implements oauth2.TokenSource. The token it returns stays valid for
// at least the early margin.
func (s *cachedSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	if s.valid(s.tok) {
		t := s.tok
		s.mu.Unlock()
		return t, nil
	}
	if f := s.flight; f != nil {
		s.mu.Unlock()
		<-f.done
		return f.tok, f.err
	}
	f := &flight{done: make(chan struct{}), err: errors.New("token refresh panicked")}
	s.flight = f
	s.mu.Unlock()
	// Release the waiters however fetch ends, even by a panic.
	defer func() {
		s.mu.Lock()
		if f.err == nil {
			s.tok = f.tok
		}
		s.flight = nil
		s.mu.Unlock()
		close(f.done)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
	defer cancel()
	f.tok, f.err = s.fetch(ctx)
	return f.tok, f.err
}

// valid reports whether t can be handed out: it has an access token and
// does not expire within the early margin. A token without expiry is valid.
func (s *cachedSource) valid(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || s.now().Add(s.early).Before(t.Expiry)
}

// Invalidate drops the cached token, so the next Token call fetches a new
// one. The tunnel calls it when the relay rejects a token (HTTP 401, close
// 4004: "reauthentication required") before the token's own expiry.
func (s *cachedSource) Invalidate() { s.reset() }

// reset forgets the cached token, so the next call refreshes.
func (s *cachedSource) reset() {
	s.mu.Lock()
	s.tok = nil
	s.mu.Unlock()
}

// refreshAccessToken trades a refresh token for an access token at the token
// endpoint. The expiry is set from expires_in against now, so an injected
// clock governs both the expiry and the early refresh. It returns
// ErrSignInRequired (wrapped) for invalid_grant.
func refreshAccessToken(ctx context.Context, cfg *oauth2.Config, hc *http.Client, refreshToken string, now func() time.Time) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	// A fresh source per call: oauth2's own cache would hand back a token we
	// consider too close to expiry.
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, classifyTokenErr("refresh access token", cfg.Endpoint.TokenURL, err)
	}
	fixExpiry(tok, now)
	return tok, nil
}

// fixExpiry recomputes Expiry from the response's expires_in with now.
func fixExpiry(tok *oauth2.Token, now func() time.Time) {
	var secs float64
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		secs = v
	case int64:
		secs = float64(v)
	}
	if secs > 0 {
		tok.Expiry = now().Add(time.Duration(secs) * time.Second)
	}
}

// classifyTokenErr wraps a token endpoint failure: an OAuth error answer
// becomes an *OAuthError (invalid_grant: ErrSignInRequired), transport
// failures stay as they are, and anything else (not JSON, no access token)
// is ErrBadTokenResponse.
func classifyTokenErr(op, tokenURL string, err error) error {
	var re *oauth2.RetrieveError
	var ue *url.Error
	switch {
	case errors.As(err, &re):
		return oauthError(op, tokenURL, re)
	case errors.As(err, &ue), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("%s at %s: %w", op, tokenURL, err)
	default:
		return fmt.Errorf("%s at %s: %v: %w", op, tokenURL, err, ErrBadTokenResponse)
	}
}

// oauthError keeps an OAuth error answer without the response body (which
// might echo request data).
func oauthError(op, tokenURL string, re *oauth2.RetrieveError) *OAuthError {
	e := &OAuthError{Op: op, URL: tokenURL, Code: re.ErrorCode, Description: re.ErrorDescription}
	if re.Response != nil {
		e.StatusCode, e.Status = re.Response.StatusCode, re.Response.Status
	}
	return e
}

// logToken records a refresh without the token itself.
func logToken(log *slog.Logger, msg, account string, tok *oauth2.Token, now time.Time) {
	attrs := []any{slog.String("account", account)}
	if !tok.Expiry.IsZero() {
		attrs = append(attrs, slog.Duration("expires_in", tok.Expiry.Sub(now).Round(time.Second)))
	}
	log.Debug(msg, attrs...)
}

// prime installs tok (fresh from a sign-in) as the cached token.
func (s *cachedSource) prime(tok *oauth2.Token) {
	s.mu.Lock()
	s.tok = tok
	s.mu.Unlock()
}
