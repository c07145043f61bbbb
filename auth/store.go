package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/zalando/go-keyring"
)

// Store keeps one refresh token per account. Implementations are safe for
// concurrent use. Get returns an error wrapping ErrNotStored when the account
// has none, and errors wrapping ErrNoKeyring when the backing keyring cannot
// be used; Delete of a missing account wraps ErrNotStored.
type Store interface {
	Get(ctx context.Context, account string) (string, error)
	Set(ctx context.Context, account, refreshToken string) error
	Delete(ctx context.Context, account string) error
}

// KeyringService is the OS keyring service name iapdesk stores items under,
// one item per account.
const KeyringService = "iapdesk"

// KeyringStore keeps refresh tokens in the OS keyring through go-keyring:
// Secret Service (gnome-keyring, KeePassXC) on Linux, the Keychain on macOS,
// the Credential Manager on Windows. The zero value uses service "iapdesk".
//
// The keyring calls cannot be cancelled: a locked keyring may show an unlock
// prompt and the call waits for the user's answer. ctx is checked before
// each call.
type KeyringStore struct {
	Service string // keyring service name; empty means KeyringService
}

var _ Store = KeyringStore{}

func (k KeyringStore) service() string {
	if k.Service == "" {
		return KeyringService
	}
	return k.Service
}

// Get implements Store.
func (k KeyringStore) Get(ctx context.Context, account string) (string, error) {
	if err := k.ready(ctx); err != nil {
		return "", fmt.Errorf("keyring get %s: %w", account, err)
	}
	v, err := keyring.Get(k.service(), account)
	if err != nil {
		return "", fmt.Errorf("keyring get %s: %w", account, mapKeyringErr(err))
	}
	return v, nil
}

// Set implements Store.
func (k KeyringStore) Set(ctx context.Context, account, refreshToken string) error {
	if err := k.ready(ctx); err != nil {
		return fmt.Errorf("keyring set %s: %w", account, err)
	}
	if err := keyring.Set(k.service(), account, refreshToken); err != nil {
		return fmt.Errorf("keyring set %s: %w", account, mapKeyringErr(err))
	}
	return nil
}

// Delete implements Store.
func (k KeyringStore) Delete(ctx context.Context, account string) error {
	if err := k.ready(ctx); err != nil {
		return fmt.Errorf("keyring delete %s: %w", account, err)
	}
	if err := keyring.Delete(k.service(), account); err != nil {
		return fmt.Errorf("keyring delete %s: %w", account, mapKeyringErr(err))
	}
	return nil
}

// ready checks ctx and, where the keyring is reached over D-Bus, that a
// session bus exists: without one godbus would run dbus-launch and leave a
// stray bus daemon behind instead of failing.
func (k KeyringStore) ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "android", "plan9", "js", "wasip1":
		return nil
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = "/run/user/" + strconv.Itoa(os.Getuid())
	}
	if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
		return nil
	}
	return &KeyringError{Err: errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)")}
}

// KeyringError is an OS keyring failure other than a missing item. It
// matches ErrNoKeyring with errors.Is; Err is the keyring's own error.
type KeyringError struct {
	Err error
}

func (e *KeyringError) Error() string {
	return e.Err.Error() + ": " + ErrNoKeyring.Error()
}

// Unwrap returns the keyring's error.
func (e *KeyringError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoKeyring) true.
func (e *KeyringError) Is(target error) bool { return target == ErrNoKeyring }

// mapKeyringErr turns go-keyring errors into this package's sentinels. Any
// failure other than a missing item or an oversized value means the keyring
// is unusable: no Secret Service on the bus, a locked collection whose prompt
// was dismissed, an unsupported platform.
func mapKeyringErr(err error) error {
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotStored
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return err
	default:
		return &KeyringError{Err: err}
	}
}

// MemoryStore keeps refresh tokens in this process's memory: the documented
// opt-in (IAPDESK_KEYRING=memory) for machines without a keyring. Nothing is
// written to disk; sign-ins end with the process.
type MemoryStore struct {
	mu sync.Mutex // guards m
	m  map[string]string
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string]string{}} }

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, account string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[account]
	if !ok {
		return "", fmt.Errorf("memory store get %s: %w", account, ErrNotStored)
	}
	return v, nil
}

// Set implements Store.
func (s *MemoryStore) Set(ctx context.Context, account, refreshToken string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[account] = refreshToken
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, account string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[account]; !ok {
		return fmt.Errorf("memory store delete %s: %w", account, ErrNotStored)
	}
	delete(s.m, account)
	return nil
}

// LogValue implements slog.LogValuer: the store holds refresh tokens.
func (s *MemoryStore) LogValue() slog.Value { return slog.StringValue("REDACTED") }
