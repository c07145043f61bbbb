package app

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInstanceNotRunning reports an action that needs a running VM (a
// reset, the serial port, a connection) on one that is not.
var ErrInstanceNotRunning = errors.New("instance not running")

// APIError is a Google API call that failed, as the adapters in app/gce
// report it: app sorts failures by these fields and never sees the client
// library's error type. errors.As still finds the library's error through
// Unwrap.
type APIError struct {
	// Status is the HTTP status code, e.g. http.StatusForbidden.
	Status int
	// Reason is what the status means beyond its code, when Google said
	// so: ErrAPIDisabled, ErrVPCServiceControls or ErrInstanceNotRunning;
	// nil otherwise.
	Reason error
	// Message is Google's own message; "" when it gave none.
	Message string
	// Err is the client library's error.
	Err error
}

// Error returns the client library's message.
func (e *APIError) Error() string { return e.Err.Error() }

// Unwrap returns the client library's error and the Reason, so errors.Is
// finds a sentinel Reason and errors.As the library's error.
func (e *APIError) Unwrap() []error {
	if e.Reason == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Reason}
}

// OperationError is a Compute Engine operation that finished with errors.
type OperationError struct {
	Operation string   // operation name
	Failures  []string // "CODE: message", one per error of the operation
}

// Error lists the operation's error codes and messages.
func (e *OperationError) Error() string {
	return fmt.Sprintf("operation %s: %s", e.Operation, strings.Join(e.Failures, "; "))
}

// ActionError explains why action ("start", "stop", "reset", …) on a VM
// failed: the role it needs, a VM that no longer exists, or one that is not
// running. It returns nil for a nil err.
func ActionError(action string, ref InstanceRef, err error) *UserError {
	if err == nil {
		return nil
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	what := fmt.Sprintf("Cannot %s VM %s", action, ref.Name)
	f, aerr := classify(err)
	switch {
	case f == failureForbidden:
		return &UserError{What: what,
			Why: fmt.Sprintf("you lack permission on VM %s in project %s", ref.Name, ref.Project),
			Fix: "Ask a project owner for roles/compute.instanceAdmin.v1 (Compute Instance Admin (v1)) on the project or VM.",
			Err: fmt.Errorf("%w: %w", ErrPermissionDenied, err)}
	case f == failureNotFound:
		return &UserError{What: what,
			Why: fmt.Sprintf("VM %s does not exist in zone %s of project %s", ref.Name, ref.Zone, ref.Project),
			Fix: "Refresh the project: the VM may have been deleted or renamed.",
			Err: fmt.Errorf("%w: %w", ErrInstanceNotFound, err)}
	case aerr != nil && aerr.Status == 400 && errors.Is(aerr.Reason, ErrInstanceNotRunning):
		return &UserError{What: what, Why: "the VM is not running", Fix: "Start the VM first, or refresh to see its state.", Err: err}
	}
	var oerr *OperationError
	if errors.As(err, &oerr) {
		return &UserError{What: what, Why: oerr.Error(), Fix: "Check the VM's state in the console and retry.", Err: err}
	}
	ue = AsUserError(err)
	return &UserError{What: what, Why: ue.Why, Fix: ue.Fix, Err: ue.Err}
}
