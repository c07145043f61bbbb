package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"iapdesk/platform/atomicfile"
)

// TestAccountDBCorrupt: an accounts.json that does not parse is reported
// as a *CorruptAccountsError naming the file, matching ErrAccountsCorrupt,
// and its message gives no advice of its own (app's UserError gives the one
// fix).
func TestAccountDBCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, accountsFile)
	if err := os.WriteFile(path, []byte(`{"version":1,"accounts":[`), 0o600); err != nil {
		t.Fatal(err)
	}
	db := &accountDB{dir: dir}
	_, err := db.load()
	var ce *CorruptAccountsError
	if !errors.Is(err, ErrAccountsCorrupt) || !errors.As(err, &ce) || ce.Path != path {
		t.Fatalf("load() of a truncated file: error = %v, want a *CorruptAccountsError for %s", err, path)
	}
	for _, advice := range []string{"fix", "delete", "retry", "report", "sign in"} {
		if strings.Contains(strings.ToLower(err.Error()), advice) {
			t.Errorf("load() error = %q, gives advice (%q); the caller gives the fix", err, advice)
		}
	}
	if err := db.update(context.Background(), func(*accountState) error { return nil }); !errors.Is(err, ErrAccountsCorrupt) {
		t.Errorf("update() of a corrupt file: error = %v, want ErrAccountsCorrupt", err)
	}
}

// TestAccountDBRemovesStaleTemps: a save removes the temporary files that
// killed saves left next to accounts.json, in the old naming too.
func TestAccountDBRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	stale := []string{".accounts.json.tmp123456", ".accounts.json-98765.tmp"}
	old := time.Now().Add(-2 * atomicfile.StaleAge)
	for _, n := range stale {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(`{"version":1,"acc`), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	db := &accountDB{dir: dir}
	if err := db.update(context.Background(), func(st *accountState) error {
		st.Accounts = append(st.Accounts, accountEntry{Email: "a@example.com"})
		return nil
	}); err != nil {
		t.Fatalf("update() = %v", err)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s still there after a save (Stat = %v)", n, err)
		}
	}
}

// TestAccountDBTwoProcesses: two account lists on one directory (two
// iapdesk processes: each has its own in-process mutex) updating at once
// lose no update, because updates hold the file lock from read to rename.
func TestAccountDBTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	dbs := []*accountDB{{dir: dir}, {dir: dir}}
	const each = 40
	var wg sync.WaitGroup
	errs := make(chan error, len(dbs)*each)
	for i, db := range dbs {
		wg.Go(func() {
			for j := range each {
				errs <- db.update(context.Background(), func(st *accountState) error {
					st.Accounts = append(st.Accounts, accountEntry{Email: fmt.Sprintf("u%d-%d@example.com", i, j)})
					return nil
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("update() = %v", err)
		}
	}
	st, err := dbs[0].load()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(st.Accounts), len(dbs)*each; got != want {
		t.Errorf("after %d concurrent updates from two processes the list has %d accounts, want %d", want, got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, accountsLock)); err != nil {
		t.Errorf("lock file: %v", err)
	}
}

// TestAccountDBUpdateCanceled: an update waiting for the lock another
// process holds gives up when its ctx ends.
func TestAccountDBUpdateCanceled(t *testing.T) {
	dir := t.TempDir()
	unlock, err := atomicfile.Lock(context.Background(), filepath.Join(dir, accountsLock))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	db := &accountDB{dir: dir}
	if err := db.update(ctx, func(*accountState) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("update() while another process holds the lock = %v, want context.DeadlineExceeded", err)
	}
}
