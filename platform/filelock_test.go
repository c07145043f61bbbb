package platform_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"iapdesk/platform"
)

// TestLockFileExcludes checks that a second LockFile on the same path waits
// until the first is released, and gives up when its ctx ends.
func TestLockFileExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.lock")
	unlock, err := platform.LockFile(context.Background(), path)
	if err != nil {
		t.Fatalf("LockFile(%q) = %v", path, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := platform.LockFile(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LockFile while held = %v, want context.DeadlineExceeded", err)
	}

	got := make(chan error, 1)
	go func() {
		u, err := platform.LockFile(context.Background(), path)
		if err == nil {
			err = u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second LockFile returned %v while the lock was held", err)
	case <-time.After(30 * time.Millisecond):
	}
	if err := unlock(); err != nil {
		t.Fatalf("unlock = %v", err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("second LockFile after unlock = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second LockFile did not get the lock after unlock")
	}
}
