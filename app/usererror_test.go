package app_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"iapdesk/app"
	"iapdesk/auth"
)

func TestAsUserError(t *testing.T) {
	ue := &app.UserError{What: "Cannot do it", Why: "because", Fix: "do that"}
	tests := []struct {
		name     string
		err      error
		wantWhat string
		sentinel error
	}{
		{"existing user error is kept", fmt.Errorf("wrapped: %w", ue), "Cannot do it", nil},
		// Google API errors as app/gce reports them (gce's own tests cover
		// the translation from the client library's errors).
		{"401", &app.APIError{Status: 401, Message: "Request had invalid authentication credentials.", Err: errors.New("googleapi: Error 401")}, "Google rejected your credentials", app.ErrUnauthenticated},
		{"403", &app.APIError{Status: 403, Message: "Required 'x' permission", Err: errors.New("googleapi: Error 403")}, "Permission denied", app.ErrPermissionDenied},
		{"403 no message", &app.APIError{Status: 403, Err: errors.New("googleapi: got HTTP response code 403")}, "Permission denied", app.ErrPermissionDenied},
		{"api disabled", &app.APIError{Status: 403, Reason: app.ErrAPIDisabled, Err: errors.New("googleapi: Error 403")}, "A Google API is not enabled", app.ErrAPIDisabled},
		{"vpc-sc", &app.APIError{Status: 403, Reason: app.ErrVPCServiceControls, Err: errors.New("googleapi: Error 403")}, "Access denied by a VPC Service Controls perimeter", app.ErrVPCServiceControls},
		{"timeout", fmt.Errorf("list: %w", context.DeadlineExceeded), "The request timed out", context.DeadlineExceeded},
		{"network", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, "Cannot reach Google", nil},
		{"other", errors.New("boom"), "Something went wrong", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := app.AsUserError(tc.err)
			if got.What != tc.wantWhat {
				t.Errorf("AsUserError(%v).What = %q, want %q", tc.err, got.What, tc.wantWhat)
			}
			if tc.sentinel != nil && !errors.Is(got, tc.sentinel) {
				t.Errorf("errors.Is(AsUserError(%v), %v) = false", tc.err, tc.sentinel)
			}
			if !errors.Is(got, tc.err) && !errors.Is(tc.err, got) {
				t.Errorf("AsUserError(%v) lost the original error", tc.err)
			}
		})
	}
	if app.AsUserError(nil) != nil || app.ProjectError("p", nil) != nil || app.ActionError("start", app.InstanceRef{}, nil) != nil {
		t.Errorf("nil errors must map to nil")
	}
}

func TestUserErrorString(t *testing.T) {
	base := errors.New("googleapi: Error 403")
	ue := &app.UserError{What: "Cannot list VMs in project p", Why: "you lack x", Fix: "ask", Err: base}
	if got := ue.Error(); got != "Cannot list VMs in project p: you lack x: googleapi: Error 403" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(ue, base) {
		t.Errorf("Unwrap does not reach the cause")
	}
	if got := (&app.UserError{What: "Only what"}).Error(); got != "Only what" {
		t.Errorf("Error() = %q, want %q", got, "Only what")
	}
	pe := app.ProjectError("p", errors.New("weird"))
	if !strings.Contains(pe.What, "project p") {
		t.Errorf("ProjectError(other).What = %q, want the project named", pe.What)
	}
}

// TestUserErrorDetails: Details holds only what the raw error adds to What,
// Why and Fix (codes, the server's text, paths): never a repeat of them.
func TestUserErrorDetails(t *testing.T) {
	oauth := &auth.OAuthError{Op: "refresh access token", URL: "https://oauth2.googleapis.com/token", Status: "400 Bad Request",
		Code: "invalid_request", Description: "Missing: refresh_token"}
	tests := []struct {
		name string
		ue   *app.UserError
		want string
	}{
		{"no error", &app.UserError{What: "Cannot do it", Why: "because"}, ""},
		{"why is the error's text", &app.UserError{What: "Cannot save the connections", Why: "open /c/connections.json: permission denied",
			Fix: "Check the file's permissions.", Err: errors.New("open /c/connections.json: permission denied")}, ""},
		{"why is the end of the chain", &app.UserError{What: "Cannot save the connections", Why: "permission denied",
			Err: fmt.Errorf("write %w", errors.New("open /c/connections.json: permission denied"))}, "write open /c/connections.json"},
		{"relay close", app.ConnectError(tunnelRef, 22, closed(4033, "denied by policy")),
			"relay closed the tunnel to proj/europe-west4-a/vm-1:22 with code 4033 (NOT_AUTHORIZED)"},
		{"google message", &app.UserError{What: "Permission denied", Why: "Required 'compute.instances.list' permission for 'projects/p'",
			Err: fmt.Errorf("%w: %w", app.ErrPermissionDenied, errors.New("googleapi: Error 403: Required 'compute.instances.list' permission for 'projects/p', forbidden"))},
			"googleapi: Error 403: forbidden"},
		{"sentinel restated by why", &app.UserError{What: "Cannot connect to jupyter-01", Why: "the VM is TERMINATED",
			Err: app.ErrInstanceNotRunning}, ""},
		{"sentinel restated, cause kept", &app.UserError{What: "Cannot connect to vm-1", Why: "no Windows user name is saved",
			Err: errors.Join(app.ErrCredentialsRequired, errors.New("no terminal"))}, "no terminal"},
		{"brackets stay whole", &app.UserError{What: "Cannot sign in", Why: "Google's sign-in service refused the request", Err: oauth},
			"refresh access token at https://oauth2.googleapis.com/token: 400 Bad Request (invalid_request: Missing: refresh_token)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.ue.Details()
			if got != tc.want {
				t.Errorf("Details() of %+v = %q, want %q", tc.ue, got, tc.want)
			}
			for _, shown := range []string{tc.ue.What, tc.ue.Why, tc.ue.Fix} {
				if shown != "" && strings.Contains(strings.ToLower(got), strings.ToLower(shown)) {
					t.Errorf("Details() = %q repeats %q", got, shown)
				}
			}
		})
	}
}

// TestUserErrorTerminal: the command line's layout shows the fix once, the
// details only when they add something, and escapes what servers wrote.
func TestUserErrorTerminal(t *testing.T) {
	ue := app.ConnectError(tunnelRef, 22, closed(4003, "\x1b]52;c;evil\x07no route"))
	got := ue.Terminal()
	if strings.ContainsRune(got, '\x1b') || strings.ContainsRune(got, '\x07') {
		t.Errorf("Terminal() = %q, want control characters escaped", got)
	}
	if n := strings.Count(got, "firewall-rules create"); n != 1 {
		t.Errorf("Terminal() = %q shows the firewall command %d times, want once (in the fix)", got, n)
	}
	if !strings.Contains(got, "\n  fix: Allow ingress") || !strings.Contains(got, "\n  details: relay closed the tunnel to proj/europe-west4-a/vm-1:22 with code 4003") {
		t.Errorf("Terminal() = %q, want the fix and the close code on lines of their own", got)
	}
	plain := &app.UserError{What: "Cannot save", Why: "disk full", Err: errors.New("disk full")}
	if got, want := plain.Terminal(), "Cannot save: disk full"; got != want {
		t.Errorf("Terminal() = %q, want %q (no details that repeat Why)", got, want)
	}
}

// TestAsUserErrorAuth: a token source's failure inside an API call (a
// *url.Error) reads as the auth failure it is, not as a network failure.
func TestAsUserErrorAuth(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "https://compute.googleapis.com/x", Err: fmt.Errorf("account a: %w", auth.ErrSignInRequired)}
	got := app.AsUserError(err)
	if !strings.Contains(got.Why, "expired or was revoked") || got.Fix != "Sign in again." || !errors.Is(got, app.ErrUnauthenticated) {
		t.Errorf("AsUserError(%q) = %+v, want the sign-in explained", err, got)
	}
}
