package atomicfile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lockPoll is how often Lock retries a lock another process holds. The
// OS calls cannot wait on a ctx, so the lock is tried without blocking and
// retried; polling another process's lock is the one wait with nothing to
// select on. It is short because the holders keep it for milliseconds and
// a long poll lets a busy holder starve the waiter.
const lockPoll = 2 * time.Millisecond

// Lock takes an exclusive advisory lock on path, creating the file
// (0600, and its directory 0700) if needed, and waits for it until ctx is
// done. The lock is flock(2) on Unix and LockFileEx on Windows: the OS drops
// it when the process exits, so a crash never leaves a stale lock. Two
// Lock calls in one process exclude each other too.
//
// The file only carries the lock; its content is never read. Keep it next
// to the data it guards and never delete it (a deleted lock file lets a
// waiter lock an orphan inode while a newcomer locks a new one).
//
// unlock releases the lock and closes the file; call it exactly once.
func Lock(ctx context.Context, path string) (unlock func() error, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	var t *time.Timer
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			break
		}
		if t == nil {
			t = time.NewTimer(lockPoll)
			defer t.Stop()
		} else {
			t.Reset(lockPoll)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-t.C:
		}
	}
	return func() error {
		uerr := unlockFile(f)
		cerr := f.Close()
		if uerr != nil {
			return fmt.Errorf("unlock %s: %w", path, uerr)
		}
		if cerr != nil {
			return fmt.Errorf("unlock %s: %w", path, cerr)
		}
		return nil
	}, nil
}
