package views

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2/test"

	"iapdesk/app"
	"iapdesk/auth"
)

// TestSignInScreen: without credentials the sign-in screen comes up with
// app's explanation; signing in starts the explorer.
func TestSignInScreen(t *testing.T) {
	a := test.NewTempApp(t)
	accts := &fakeAccounts{}
	var starts atomic.Int32
	hub := &Hub{}
	ex, _, _ := newExplorer(t, hub)
	svc := &Services{Explorer: ex, Tunnels: &fakeTunnels{}, Connector: &fakeConnector{}}
	noCreds := &app.UserError{What: "No usable Google credentials", Why: "no account is signed in",
		Err: fmt.Errorf("resolve: %w", auth.ErrNoCredentials)}
	w, loop := newWindow(t, Config{App: a, Accounts: accts, Hub: hub, Start: func(context.Context) (*Services, error) {
		if starts.Add(1) == 1 {
			return nil, noCreds
		}
		return svc, nil
	}})
	w.start()
	settle(t, w, loop)
	if len(w.body.Objects) != 1 || w.body.Objects[0] != w.signin.root {
		t.Fatalf("without credentials the window shows %v, want the sign-in screen", w.body.Objects)
	}
	if got := strings.Join(texts(w.signin.root), "\n"); !strings.Contains(got, noCreds.What) {
		t.Errorf("sign-in screen texts = %q, want app's %q", got, noCreds.What)
	}
	test.Tap(w.signin.button)
	settle(t, w, loop)
	if accts.signIns != 1 || starts.Load() != 2 {
		t.Errorf("after the button: %d sign-ins, %d starts; want 1 and 2", accts.signIns, starts.Load())
	}
	if w.body.Objects[0] != w.explore {
		t.Errorf("after signing in the window shows %v, want the explorer", w.body.Objects)
	}
}

// TestSignInFailureStaysOnScreen: a failed sign-in shows app's reason on
// the sign-in screen.
func TestSignInFailureStaysOnScreen(t *testing.T) {
	a := test.NewTempApp(t)
	fail := &app.UserError{What: "Cannot sign in", Why: "access was declined on Google's consent page", Err: auth.ErrAccessDenied}
	accts := &fakeAccounts{err: fail}
	w, loop := newWindow(t, Config{App: a, Accounts: accts, Start: func(context.Context) (*Services, error) {
		return nil, fmt.Errorf("resolve: %w", auth.ErrNoCredentials)
	}})
	w.start()
	settle(t, w, loop)
	test.Tap(w.signin.button)
	settle(t, w, loop)
	got := strings.Join(texts(w.signin.root), "\n")
	if !strings.Contains(got, fail.What) || !strings.Contains(got, capitalise(fail.Why)) {
		t.Errorf("sign-in screen texts = %q, want %q and %q", got, fail.What, fail.Why)
	}
	if w.signin.button.Disabled() {
		t.Errorf("after a failed sign-in the button is disabled")
	}
}

// TestStartErrorOffersRetry: a start failure that is not about sign-in is
// shown with a Retry button that starts again.
func TestStartErrorOffersRetry(t *testing.T) {
	a := test.NewTempApp(t)
	var starts atomic.Int32
	boom := &app.UserError{What: "Cannot reach Google", Why: "dial tcp: no route to host"}
	w, loop := newWindow(t, Config{App: a, Start: func(context.Context) (*Services, error) {
		starts.Add(1)
		return nil, boom
	}})
	w.start()
	settle(t, w, loop)
	if got := strings.Join(texts(w.body), "\n"); !strings.Contains(got, boom.What) {
		t.Errorf("window texts = %q, want %q", got, boom.What)
	}
	test.Tap(button(t, w.body, "Retry"))
	settle(t, w, loop)
	if starts.Load() != 2 {
		t.Errorf("starts = %d, want 2 after Retry", starts.Load())
	}
}

// TestShutdownClosesServices: closing the window cancels its work and
// closes the services once.
func TestShutdownClosesServices(t *testing.T) {
	tw := newTestWorld(t)
	var closed atomic.Int32
	tw.svc.Close = func() { closed.Add(1) }
	tw.w.requestClose()
	tw.w.closer.Wait()
	tw.w.shutdown()
	if closed.Load() != 1 {
		t.Errorf("services closed %d times, want once", closed.Load())
	}
	if !errors.Is(tw.w.ctx.Err(), context.Canceled) {
		t.Errorf("window ctx = %v after close, want cancelled", tw.w.ctx.Err())
	}
}

// TestNewValidates: App and Start are required.
func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Errorf("New(Config{}) = nil error, want one")
	}
}
