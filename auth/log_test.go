package auth_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"iapdesk/auth"
	"iapdesk/auth/authtest"
)

// TestNoSecretsInLogs runs every path that handles a token (sign-in,
// failed sign-ins, refresh, rejected refresh, ADC, sign-out) with debug
// logging captured, then greps the log and the errors for every secret the
// fake Google issued or received.
func TestNoSecretsInLogs(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}

	// Sign-ins that work and sign-ins that fail, one of them with a token in
	// a malformed answer.
	e.login(t, "a@example.com")
	e.login(t, "b@example.com")
	for _, knob := range []func(bool){e.srv.SetMalformedTokenResponse, e.srv.SetDeny, e.srv.SetWrongState} {
		knob(true)
		b := newBrowser(t)
		_, err := e.m.Login(ctx, auth.LoginOptions{Open: b.Open})
		note(err)
		b.page()
		knob(false)
	}

	// Refresh, a failing refresh, a rejected refresh token.
	ts, err := e.m.TokenSource(ctx, "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	if _, err := ts.Token(); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	e.srv.SetTokenError(http.StatusInternalServerError, "internal_failure", "Backend Error")
	_, err = ts.Token()
	note(err)
	e.srv.SetTokenError(0, "", "")

	// ADC, then a revoked grant everywhere.
	m2, err := auth.New(func() auth.Config { c := e.config(); c.ConfigDir = t.TempDir(); return c }())
	if err != nil {
		t.Fatal(err)
	}
	useADCFile(t, e.srv, "adc@example.com")
	adc, _, err := m2.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adc.Token(); err != nil {
		t.Fatal(err)
	}
	e.srv.RevokeAll()
	e.clock.Advance(2 * time.Hour)
	_, err = ts.Token()
	note(err)
	note(e.m.Revoke(ctx, "b@example.com"))

	// Values holding secrets redact themselves.
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	log.Info("values", slog.Any("config", e.config()), slog.Any("manager", e.m), slog.Any("store", auth.NewMemoryStore()))

	logs := e.logs.String()
	for _, want := range []string{"signed in", "access token refreshed", "account needs to sign in again", "signed out", "REDACTED"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q; the test did not exercise what it should:\n%s", want, logs)
		}
	}
	secrets := e.srv.Secrets()
	if len(secrets) < 10 {
		t.Fatalf("only %d secrets issued; the scenario did not run", len(secrets))
	}
	for _, s := range append(secrets, authtest.DefaultClientSecret) {
		if strings.Contains(logs, s) {
			t.Errorf("log contains a secret (%.12s…):\n%s", s, logs)
		}
		for _, msg := range errs {
			if strings.Contains(msg, s) {
				t.Errorf("error contains a secret (%.12s…): %s", s, msg)
			}
		}
	}
}
