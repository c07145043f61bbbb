package auth

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestCachedSourceInvalidate(t *testing.T) {
	n := 0
	s := &cachedSource{
		fetch: func(context.Context) (*oauth2.Token, error) {
			n++
			return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: time.Now().Add(time.Hour)}, nil
		},
		early: time.Minute,
		now:   time.Now,
	}
	a, _ := s.Token()
	b, _ := s.Token()
	if a.AccessToken != b.AccessToken {
		t.Fatalf("Token() = %q then %q, want the cached token twice", a.AccessToken, b.AccessToken)
	}
	s.Invalidate()
	c, _ := s.Token()
	if c.AccessToken == a.AccessToken || n != 2 {
		t.Errorf("after Invalidate Token() = %q (%d fetches), want a fresh token", c.AccessToken, n)
	}
}
