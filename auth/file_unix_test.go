//go:build unix

package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// promptly runs f and fails the test if it takes longer than a few
// seconds, which is how a blocked open of a pipe shows. release unblocks
// f if it hangs, so the test ends either way; with a nil release (nothing
// can stop f) the test fails without waiting for f.
func promptly(t *testing.T, release func(), f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		if release != nil {
			release()
			<-done
		}
		t.Fatal("still blocked after 5s")
		return nil
	}
}

// fifo makes a named pipe with no writer and returns its path and a
// function that unblocks a reader stuck opening it.
func fifo(t *testing.T) (string, func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token.fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	release := func() {
		// A writer lets a blocked open return; O_RDWR never blocks on a pipe.
		if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
			f.Close()
		}
	}
	return path, release
}

// TestFileTokenSourceFIFO: a named pipe with no writer is refused at once
// instead of blocking the process (deaf to Ctrl-C) forever.
func TestFileTokenSourceFIFO(t *testing.T) {
	path, release := fifo(t)
	err := promptly(t, release, func() error { _, err := FileTokenSource(path).Token(); return err })
	if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "named pipe") {
		t.Fatalf("Token() of a FIFO: error = %v, want ErrNoToken saying it is a named pipe", err)
	}
}

// TestResolveTokenFileCanceled: Resolve with a done ctx returns ctx's
// error instead of touching the file, whatever it is.
func TestResolveTokenFileCanceled(t *testing.T) {
	path, release := fifo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, err := New(Config{AccessTokenFile: path, ConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	err = promptly(t, release, func() error { _, _, err := m.Resolve(ctx); return err })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Resolve(canceled ctx) with a FIFO token file: error = %v, want context.Canceled", err)
	}
}

// TestFileTokenSourceDevZero: /dev/zero is refused without being read (it
// once grew the process to 24 GB).
func TestFileTokenSourceDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skipf("no /dev/zero: %v", err)
	}
	err := promptly(t, nil, func() error { _, err := FileTokenSource("/dev/zero").Token(); return err })
	if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Token() of /dev/zero: error = %v, want ErrNoToken saying it is not a regular file", err)
	}
}
