package authtest

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"iapdesk/auth"
)

// MemStore is an in-memory auth.Store for tests, with a switch to make every
// call fail (a locked or missing keyring) and counters of calls.
type MemStore struct {
	mu      sync.Mutex // guards m, err and the counters
	m       map[string]string
	err     error
	gets    int
	sets    int
	deletes int
}

var _ auth.Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: map[string]string{}} }

// SetErr makes every later call fail with err (nil: work again), e.g.
// &auth.KeyringError{Err: …} for a keyring that is locked.
func (s *MemStore) SetErr(err error) { s.mu.Lock(); s.err = err; s.mu.Unlock() }

// Gets counts Get calls.
func (s *MemStore) Gets() int { s.mu.Lock(); defer s.mu.Unlock(); return s.gets }

// Snapshot copies the stored tokens by account.
func (s *MemStore) Snapshot() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.m)
}

// Get implements auth.Store.
func (s *MemStore) Get(ctx context.Context, account string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	if err := s.fail(ctx); err != nil {
		return "", err
	}
	v, ok := s.m[account]
	if !ok {
		return "", fmt.Errorf("memstore get %s: %w", account, auth.ErrNotStored)
	}
	return v, nil
}

// Set implements auth.Store.
func (s *MemStore) Set(ctx context.Context, account, refreshToken string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets++
	if err := s.fail(ctx); err != nil {
		return err
	}
	s.m[account] = refreshToken
	return nil
}

// Delete implements auth.Store.
func (s *MemStore) Delete(ctx context.Context, account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deletes++
	if err := s.fail(ctx); err != nil {
		return err
	}
	if _, ok := s.m[account]; !ok {
		return fmt.Errorf("memstore delete %s: %w", account, auth.ErrNotStored)
	}
	delete(s.m, account)
	return nil
}

func (s *MemStore) fail(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.err
}
