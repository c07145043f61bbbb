package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"iapdesk/platform/atomicfile"
)

// Account is a signed-in Google account. It holds no secret: the refresh
// token is in the Store, access tokens only in memory.
type Account struct {
	Email string
	// Active marks the account headless commands and new tunnels use.
	Active bool
	// SignInRequired is set when Google rejected the account's refresh token
	// (expired or revoked): the account stays listed until the user signs
	// in again or removes it.
	SignInRequired bool
	// AddedAt is when the account last signed in.
	AddedAt time.Time
	// Workforce is the workforce identity pool of a principal signed in
	// with a login config (Email is then principal://…); "" for a Google
	// account.
	Workforce string
}

// accountsFile is the name of the account list under Config.ConfigDir.
const accountsFile = "accounts.json"

// accountsLock carries the lock of accounts.json updates (atomicfile.Lock);
// it is never deleted.
const accountsLock = "accounts.lock"

// accountState is accounts.json.
type accountState struct {
	Version  int            `json:"version"`
	Active   string         `json:"active,omitempty"`
	Accounts []accountEntry `json:"accounts"`
}

type accountEntry struct {
	Email          string    `json:"email"`
	AddedAt        time.Time `json:"added_at"`
	SignInRequired bool      `json:"sign_in_required,omitempty"`
	// Workforce is the login config of a workforce identity sign-in.
	Workforce *LoginConfig `json:"workforce,omitempty"`
}

func (s *accountState) find(email string) int {
	return slices.IndexFunc(s.Accounts, func(e accountEntry) bool { return strings.EqualFold(e.Email, email) })
}

func (s *accountState) list() []Account {
	out := make([]Account, 0, len(s.Accounts))
	for _, e := range s.Accounts {
		out = append(out, Account{
			Email:          e.Email,
			Active:         strings.EqualFold(e.Email, s.Active),
			SignInRequired: e.SignInRequired,
			AddedAt:        e.AddedAt,
		})
		if e.Workforce != nil {
			out[len(out)-1].Workforce = e.Workforce.Pool()
		}
	}
	slices.SortFunc(out, func(a, b Account) int { return strings.Compare(a.Email, b.Email) })
	return out
}

// accountDB loads and saves the account list: accounts.json in a directory,
// or memory only (dir == ""). Each update is a load-modify-save under mu and,
// with a directory, the file lock accounts.lock (atomicfile.Lock), so
// updates never lose each other, within a process or between processes.
// Saves are atomicfile.Write: the file is never seen half-written, and
// temporary files of killed saves are cleaned up.
type accountDB struct {
	dir string

	// mu guards mem and serialises load-modify-save of the file. Holding
	// it across that small file I/O is the point: two updates in one
	// process must not both read the old list.
	mu  sync.Mutex
	mem *accountState // the state when dir == ""
}

// load returns the current state.
func (db *accountDB) load() (*accountState, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.loadLocked()
}

// update applies fn to the state and saves the result, unless fn fails.
// With a directory it holds the file lock (accounts.lock, next to the
// list) from the read to the rename, so two iapdesk processes signing in
// at once never lose each other's account; it waits for the lock until ctx
// is done.
func (db *accountDB) update(ctx context.Context, fn func(*accountState) error) (err error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.dir != "" {
		unlock, lerr := atomicfile.Lock(ctx, filepath.Join(db.dir, accountsLock))
		if lerr != nil {
			return fmt.Errorf("update account list: %w", lerr)
		}
		defer func() {
			if uerr := unlock(); uerr != nil && err == nil {
				err = fmt.Errorf("update account list: %w", uerr)
			}
		}()
	}
	st, err := db.loadLocked()
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	return db.saveLocked(st)
}

func (db *accountDB) path() string { return filepath.Join(db.dir, accountsFile) }

func (db *accountDB) loadLocked() (*accountState, error) {
	if db.dir == "" {
		if db.mem == nil {
			db.mem = &accountState{Version: 1}
		}
		return cloneState(db.mem), nil
	}
	b, err := os.ReadFile(db.path())
	if errors.Is(err, fs.ErrNotExist) {
		return &accountState{Version: 1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read account list: %w", err)
	}
	var st accountState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, &CorruptAccountsError{Path: db.path(), Err: err}
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("read account list %s: version %d: %w", db.path(), st.Version, ErrAccountsTooNew)
	}
	return &st, nil
}

func (db *accountDB) saveLocked(st *accountState) error {
	if db.dir == "" {
		db.mem = cloneState(st)
		return nil
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode account list: %w", err)
	}
	if err := atomicfile.Write(db.path(), append(b, '\n')); err != nil {
		return fmt.Errorf("save account list: %w", err)
	}
	return nil
}

func cloneState(s *accountState) *accountState {
	c := *s
	c.Accounts = slices.Clone(s.Accounts)
	return &c
}
