package auth

import (
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
}

// accountsFile is the name of the account list under Config.ConfigDir.
const accountsFile = "accounts.json"

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
	}
	slices.SortFunc(out, func(a, b Account) int { return strings.Compare(a.Email, b.Email) })
	return out
}

// accountDB loads and saves the account list: accounts.json in a directory,
// or memory only (dir == ""). Each update is a load-modify-save under mu, so
// updates within a process never lose each other; between processes the
// last writer wins, and the file is never seen half-written.
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
func (db *accountDB) update(fn func(*accountState) error) error {
	db.mu.Lock()
	defer db.mu.Unlock()
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
		return nil, fmt.Errorf("read account list %s: %w (fix or delete the file, then sign in again)", db.path(), err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("read account list %s: version %d is not supported by this iapdesk (upgrade iapdesk)", db.path(), st.Version)
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
	if err := writeFileAtomic(db.path(), append(b, '\n')); err != nil {
		return fmt.Errorf("save account list: %w", err)
	}
	return nil
}

func cloneState(s *accountState) *accountState {
	c := *s
	c.Accounts = slices.Clone(s.Accounts)
	return &c
}

// writeFileAtomic replaces path with data, mode 0600: a temporary file in the
// same directory, fsynced, renamed over path, then the directory fsynced.
// Readers see the old or the new content, never a mix.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	// Persist the rename. Not every OS can fsync a directory (Windows
	// cannot open one for writing); the rename has happened regardless.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
