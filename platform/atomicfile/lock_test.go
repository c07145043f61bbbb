package atomicfile_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"iapdesk/platform/atomicfile"
)

// TestLockExcludes checks that a second Lock on the same path waits
// until the first is released, and gives up when its ctx ends.
func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.lock")
	unlock, err := atomicfile.Lock(context.Background(), path)
	if err != nil {
		t.Fatalf("Lock(%q) = %v", path, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := atomicfile.Lock(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock while held = %v, want context.DeadlineExceeded", err)
	}

	got := make(chan error, 1)
	go func() {
		u, err := atomicfile.Lock(context.Background(), path)
		if err == nil {
			err = u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second Lock returned %v while the lock was held", err)
	case <-time.After(30 * time.Millisecond):
	}
	if err := unlock(); err != nil {
		t.Fatalf("unlock = %v", err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("second Lock after unlock = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second Lock did not get the lock after unlock")
	}
}
