package terminal

import (
	"context"
	"errors"
	"io"
	"sync"
)

// Shell is what a Model runs on: the VM's output to read, input to write
// (app.Shell).
type Shell interface {
	io.Reader
	io.Writer
}

// Attach runs m on sh until sh's output ends (the shell exited, the
// connection ended, or sh was closed) or ctx ends: sh's output is fed to
// the emulator, and what the terminal sends (keys, pastes, answers) is
// written to sh. It returns once both directions have stopped, with the
// output's error (nil at its end). m stays usable: a reconnect attaches it
// to the next shell.
func Attach(ctx context.Context, m *Model, sh Shell) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 4096)
		for {
			n, err := m.ReadInput(ctx, buf)
			if err != nil {
				return
			}
			if _, err := sh.Write(buf[:n]); err != nil {
				return
			}
		}
	})
	stop := context.AfterFunc(ctx, func() {
		if c, ok := sh.(io.Closer); ok {
			_ = c.Close() // ends the read below
		}
	})
	defer stop()
	_, err := io.Copy(m, sh)
	cancel()
	wg.Wait()
	if errors.Is(err, io.ErrClosedPipe) {
		err = nil
	}
	return err
}
