package gce

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/api/googleapi"

	"iapdesk/app"
)

// TestAPIError: every form of Google API error becomes an *app.APIError
// that app words as before the split (status, reason, message), and still
// unwraps to the client library's error.
func TestAPIError(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantWhat string
		sentinel error
	}{
		{"401", &googleapi.Error{Code: 401, Message: "Request had invalid authentication credentials."}, "Google rejected your credentials", app.ErrUnauthenticated},
		{"403", &googleapi.Error{Code: 403, Message: "Required 'x' permission"}, "Permission denied", app.ErrPermissionDenied},
		{"403 no body", &googleapi.Error{Code: 403, Body: "<html>"}, "Permission denied", app.ErrPermissionDenied},
		{"api disabled (legacy reason)", &googleapi.Error{Code: 403, Errors: []googleapi.ErrorItem{{Reason: "accessNotConfigured"}}}, "A Google API is not enabled", app.ErrAPIDisabled},
		{"api disabled (ErrorInfo)", &googleapi.Error{Code: 403, Details: []any{map[string]any{
			"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}}}, "A Google API is not enabled", app.ErrAPIDisabled},
		{"vpc-sc", &googleapi.Error{Code: 403, Body: `{"vpcServiceControlsUniqueIdentifier":"x"}`}, "Access denied by a VPC Service Controls perimeter", app.ErrVPCServiceControls},
		{"wrapped", fmt.Errorf("list instances in project p: %w", &googleapi.Error{Code: 404, Message: "gone"}), "Not found", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := apiError(tc.err)
			var aerr *app.APIError
			var gerr *googleapi.Error
			if !errors.As(err, &aerr) || !errors.As(err, &gerr) || err.Error() != tc.err.Error() {
				t.Fatalf("apiError(%v) = %T %v, want an *app.APIError around it with its message", tc.err, err, err)
			}
			got := app.AsUserError(err)
			if got.What != tc.wantWhat {
				t.Errorf("AsUserError(apiError(%v)).What = %q, want %q", tc.err, got.What, tc.wantWhat)
			}
			if tc.sentinel != nil && !errors.Is(got, tc.sentinel) {
				t.Errorf("errors.Is(AsUserError(apiError(%v)), %v) = false", tc.err, tc.sentinel)
			}
		})
	}
	plain := errors.New("dial tcp: refused")
	if got := apiError(plain); got != plain {
		t.Errorf("apiError(%v) = %v, want it unchanged", plain, got)
	}
	if apiError(nil) != nil {
		t.Error("apiError(nil) != nil")
	}
}

// TestAPIErrorNotReady: Compute's resourceNotReady (a reset or serial read
// of a stopped VM) reads as "the VM is not running".
func TestAPIErrorNotReady(t *testing.T) {
	gerr := &googleapi.Error{Code: 400, Errors: []googleapi.ErrorItem{{Reason: "resourceNotReady"}}}
	ue := app.ActionError("reset", app.InstanceRef{Name: "vm-1"}, apiError(gerr))
	if ue.Why != "the VM is not running" || !errors.Is(ue, app.ErrInstanceNotRunning) {
		t.Errorf("ActionError(reset, resourceNotReady) = %q (%v), want the VM is not running, wrapping ErrInstanceNotRunning", ue.Why, ue.Err)
	}
}
