package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"
)

// Sentinel errors for conditions callers branch on. A *UserError built from
// a Google API error wraps the matching sentinel and the *googleapi.Error,
// so both errors.Is and errors.As work on it.
var (
	// ErrPermissionDenied reports an HTTP 403 that is not one of the more
	// specific cases below: the caller lacks an IAM permission.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrAPIDisabled reports that a Google API (e.g. Compute Engine) is not
	// enabled in the project.
	ErrAPIDisabled = errors.New("api disabled")
	// ErrProjectNotFound reports that a project does not exist, was deleted
	// or is not visible to the caller.
	ErrProjectNotFound = errors.New("project not found")
	// ErrInstanceNotFound reports that a VM does not exist (wrong name, or
	// deleted since the inventory was loaded).
	ErrInstanceNotFound = errors.New("instance not found")
	// ErrUnauthenticated reports an HTTP 401: the credentials expired or
	// were revoked and the user has to sign in again.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrVPCServiceControls reports a request denied by a VPC Service
	// Controls perimeter.
	ErrVPCServiceControls = errors.New("denied by vpc service controls")
)

// UserError is an error written for the person at the keyboard: what failed,
// why, and what to do about it. Views display What, Why and Fix and show
// Err (the raw error) under "Details"; they add no wording of their own.
type UserError struct {
	What string // what failed, e.g. "Cannot list VMs in project my-proj"
	Why  string // the cause, in plain words
	Fix  string // what the user can do; may contain a URL
	Err  error  // the underlying error; may be nil
}

// Error returns What and Why, followed by the underlying error if any.
func (e *UserError) Error() string {
	var b strings.Builder
	b.WriteString(e.What)
	if e.Why != "" {
		b.WriteString(": ")
		b.WriteString(e.Why)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *UserError) Unwrap() error { return e.Err }

// AsUserError returns err as a *UserError: the one already in err's chain
// if there is one, otherwise a generic translation of err (Google API
// errors, timeouts, network failures). It returns nil for a nil err.
func AsUserError(err error) *UserError {
	if err == nil {
		return nil
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	f, _ := classify(err)
	switch f {
	case failureUnauthenticated:
		return &UserError{What: "Google rejected your credentials", Why: "your sign-in has expired or was revoked",
			Fix: "Sign in again.", Err: fmt.Errorf("%w: %w", ErrUnauthenticated, err)}
	case failureAPIDisabled:
		return &UserError{What: "A Google API is not enabled", Why: apiMessage(err),
			Fix: "Enable the API in the Google Cloud console and retry.", Err: fmt.Errorf("%w: %w", ErrAPIDisabled, err)}
	case failureVPCSC:
		return &UserError{What: "Access denied by a VPC Service Controls perimeter", Why: apiMessage(err),
			Fix: "Ask an administrator to allow access from your network or use a Private Service Connect endpoint.",
			Err: fmt.Errorf("%w: %w", ErrVPCServiceControls, err)}
	case failureForbidden:
		return &UserError{What: "Permission denied", Why: apiMessage(err),
			Fix: "Ask a project owner for the role this action needs.", Err: fmt.Errorf("%w: %w", ErrPermissionDenied, err)}
	case failureNotFound:
		return &UserError{What: "Not found", Why: apiMessage(err),
			Fix: "Check the name, or refresh: the resource may have been deleted.", Err: err}
	case failureTimeout:
		return &UserError{What: "The request timed out", Why: "Google did not answer in time",
			Fix: "Check your network connection and retry.", Err: err}
	case failureCanceled:
		return &UserError{What: "Canceled", Why: "the operation was canceled", Err: err}
	case failureNetwork:
		return &UserError{What: "Cannot reach Google", Why: err.Error(),
			Fix: "Check your network connection and proxy settings, then retry.", Err: err}
	}
	return &UserError{What: "Something went wrong", Why: apiMessage(err), Fix: "Retry; if it keeps failing, report the details.", Err: err}
}

// ProjectError explains why the VMs of project could not be listed: a
// missing role, a disabled Compute Engine API, or a deleted/mistyped project.
// It returns nil for a nil err.
func ProjectError(project string, err error) *UserError {
	if err == nil {
		return nil
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	what := fmt.Sprintf("Cannot list VMs in project %s", project)
	f, _ := classify(err)
	switch f {
	case failureAPIDisabled:
		return &UserError{What: what,
			Why: "the Compute Engine API is not enabled in this project",
			Fix: "Enable the Compute Engine API: https://console.cloud.google.com/apis/library/compute.googleapis.com?project=" + project,
			Err: fmt.Errorf("%w: %w", ErrAPIDisabled, err)}
	case failureForbidden:
		return &UserError{What: what,
			Why: fmt.Sprintf("you lack compute.instances.list on project %s", project),
			Fix: "Ask a project owner for roles/compute.viewer (Compute Viewer) on the project.",
			Err: fmt.Errorf("%w: %w", ErrPermissionDenied, err)}
	case failureNotFound:
		return &UserError{What: what,
			Why: fmt.Sprintf("project %s does not exist: it was deleted, or the ID is mistyped", project),
			Fix: "Check the project ID (not its display name), or remove the project from the list.",
			Err: fmt.Errorf("%w: %w", ErrProjectNotFound, err)}
	}
	ue = AsUserError(err)
	ue.What = what
	return ue
}

// failure is the class of an API error, as far as the wording is concerned.
type failure int

const (
	failureOther failure = iota
	failureUnauthenticated
	failureForbidden
	failureAPIDisabled
	failureVPCSC
	failureNotFound
	failureTimeout
	failureCanceled
	failureNetwork
	failurePrecondition
)

// classify sorts err into a failure class. Compute sends the legacy
// errors[] form, the google.rpc form (status + details) or both, and
// sometimes a 403 with no parseable body; all are handled. The
// *googleapi.Error is returned when there is one.
func classify(err error) (failure, *googleapi.Error) {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		switch gerr.Code {
		case http.StatusUnauthorized:
			return failureUnauthenticated, gerr
		case http.StatusForbidden:
			switch {
			case hasReason(gerr, "accessNotConfigured", "SERVICE_DISABLED"):
				return failureAPIDisabled, gerr
			case hasReason(gerr, "SECURITY_POLICY_VIOLATED") || strings.Contains(gerr.Body, "vpcServiceControlsUniqueIdentifier"):
				return failureVPCSC, gerr
			}
			return failureForbidden, gerr
		case http.StatusNotFound:
			return failureNotFound, gerr
		case http.StatusPreconditionFailed:
			return failurePrecondition, gerr
		}
		return failureOther, gerr
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return failureTimeout, nil
	case errors.Is(err, context.Canceled):
		return failureCanceled, nil
	}
	var nerr net.Error
	var operr *net.OpError
	if errors.As(err, &operr) || errors.As(err, &nerr) {
		return failureNetwork, nil
	}
	return failureOther, nil
}

// hasReason reports whether gerr carries one of reasons, either as a legacy
// errors[].reason or as the reason of a google.rpc.ErrorInfo detail.
func hasReason(gerr *googleapi.Error, reasons ...string) bool {
	match := func(r string) bool {
		for _, want := range reasons {
			if r == want {
				return true
			}
		}
		return false
	}
	for _, it := range gerr.Errors {
		if match(it.Reason) {
			return true
		}
	}
	for _, d := range gerr.Details {
		m, ok := d.(map[string]any)
		if !ok {
			continue
		}
		if t, _ := m["@type"].(string); !strings.HasSuffix(t, "google.rpc.ErrorInfo") {
			continue
		}
		if r, _ := m["reason"].(string); match(r) {
			return true
		}
	}
	return false
}

// apiMessage is the server's own message for err, or err's text.
func apiMessage(err error) string {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) && gerr.Message != "" {
		return gerr.Message
	}
	return err.Error()
}
