package app_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"google.golang.org/api/googleapi"

	"iapdesk/app"
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
		{"401", &googleapi.Error{Code: 401, Message: "Request had invalid authentication credentials."}, "Google rejected your credentials", app.ErrUnauthenticated},
		{"403", &googleapi.Error{Code: 403, Message: "Required 'x' permission"}, "Permission denied", app.ErrPermissionDenied},
		{"403 no body", &googleapi.Error{Code: 403, Body: "<html>"}, "Permission denied", app.ErrPermissionDenied},
		{"api disabled (legacy reason)", &googleapi.Error{Code: 403, Errors: []googleapi.ErrorItem{{Reason: "accessNotConfigured"}}}, "A Google API is not enabled", app.ErrAPIDisabled},
		{"api disabled (ErrorInfo)", &googleapi.Error{Code: 403, Details: []any{map[string]any{
			"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}}}, "A Google API is not enabled", app.ErrAPIDisabled},
		{"vpc-sc", &googleapi.Error{Code: 403, Body: `{"vpcServiceControlsUniqueIdentifier":"x"}`}, "Access denied by a VPC Service Controls perimeter", app.ErrVPCServiceControls},
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
