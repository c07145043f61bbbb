package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/platform"
	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// fakeWatcher is a NetWatcher whose changes the test emits.
type fakeWatcher struct {
	ready   chan struct{} // closed once the watcher is watching
	changes chan platform.NetChange
}

func newFakeWatcher() *fakeWatcher {
	return &fakeWatcher{ready: make(chan struct{}), changes: make(chan platform.NetChange)}
}

func (w *fakeWatcher) watch(ctx context.Context, _ *slog.Logger, changed func(platform.NetChange)) error {
	close(w.ready)
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-w.changes:
			changed(c)
		}
	}
}

// TestResumeOnWake: the laptop wakes up with its tunnel's relay
// connection dead (black-holed: no FIN, no RST). On the wake signal the
// tunnel probes its relay connection, finds it silent and resumes through
// /v4/reconnect within 2 s; the bytes written into the dead connection
// and the answer the relay could not send all arrive, none lost.
func TestResumeOnWake(t *testing.T) {
	relay := relaytest.NewServer(relaytest.Config{})
	t.Cleanup(relay.Close)
	relay.Route(relaytest.VM(linuxVM.Project, linuxVM.Zone, linuxVM.Name, 22), echoBackend(t))
	log := slog.New(slog.DiscardHandler)
	ts, err := app.NewTunnels(app.TunnelsConfig{
		Dialer: &tunnel.Dialer{TokenSource: staticToken{}, URL: relay.URL, Logger: log},
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Shutdown)
	info, err := ts.Acquire(context.Background(), app.TunnelKey{Ref: linuxVM.InstanceRef, Port: 22}, true)
	if err != nil {
		t.Fatal(err)
	}
	local, err := net.Dial("tcp", info.LocalAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	echoed := func(msg []byte) {
		t.Helper()
		if _, err := local.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		_ = local.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(local, got); err != nil {
			t.Fatalf("read the echo: %v", err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("echo %q, want %q", got, msg)
		}
	}
	echoed([]byte("before the sleep"))

	w := newFakeWatcher()
	probed := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.ResumeOnChange(ctx, app.ResumeConfig{Watch: w.watch, Probe: ts, Logger: log,
			OnProbed: func(c platform.NetChange, err error) {
				if c == platform.NetWake {
					probed <- err
				}
			}})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ResumeOnChange() = %v after ctx ended, want nil", err)
		}
	}()
	<-w.ready

	relay.BlackHole()
	during := bytes.Repeat([]byte("written while asleep "), 5000)
	if _, err := local.Write(during); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	w.changes <- platform.NetWake
	got := make([]byte, len(during))
	_ = local.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(local, got); err != nil {
		t.Fatalf("read the echo after the wake: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("resumed %v after the wake, want < 2s", took)
	}
	if !bytes.Equal(got, during) {
		t.Fatal("the echo after the wake differs from what was written: bytes lost or duplicated")
	}
	if err := <-probed; !errors.Is(err, tunnel.ErrProbeFailed) {
		t.Errorf("OnProbed(wake, %v), want an error wrapping tunnel.ErrProbeFailed", err)
	}
	echoed([]byte("after the wake"))
}

// TestResumeOnChangeUnsupported: where the OS offers nothing to watch,
// ResumeOnChange says so at once.
func TestResumeOnChangeUnsupported(t *testing.T) {
	unsupported := func(context.Context, *slog.Logger, func(platform.NetChange)) error { return errors.ErrUnsupported }
	ts, err := app.NewTunnels(app.TunnelsConfig{Dialer: &tunnel.Dialer{TokenSource: staticToken{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Shutdown()
	err = app.ResumeOnChange(context.Background(), app.ResumeConfig{Watch: unsupported, Probe: ts})
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("ResumeOnChange() with an unsupported watcher = %v, want errors.ErrUnsupported", err)
	}
}
