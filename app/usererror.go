package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Sentinel errors for conditions callers branch on. A *UserError built from
// a Google API error wraps the matching sentinel and the *APIError, so both
// errors.Is and errors.As work on it.
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
// why, and what to do about it. Packages tunnel and auth return typed
// errors that state facts only; app turns them into What, Why and Fix here
// (usererror.go, tunnelerror.go, autherror.go) and nowhere else. Views and
// the CLI display What, Why and Fix once each, and under "Details" only what
// the raw error adds to them (Details); they add no wording of their own.
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

// Details is what the underlying error adds to What, Why and Fix: close
// codes, HTTP statuses, the server's own text, file paths. It is Err's
// message less the parts (between ": ") already shown in What, Why or Fix,
// or "" when nothing is left. The window shows it under "Details", the
// command line after "details:".
func (e *UserError) Details() string {
	if e.Err == nil {
		return ""
	}
	msg := e.Err.Error()
	// Whole sentences first: Why is often the error's own text.
	for _, s := range []string{e.Why, e.What} {
		msg = cutFold(msg, s)
	}
	shown := strings.ToLower(e.What + "\n" + e.Why + "\n" + e.Fix)
	var keep []string
	for _, part := range splitParts(msg) {
		part = strings.Trim(part, " ,;:.")
		if part == "" || strings.Contains(shown, strings.ToLower(part)) || e.restates(part) {
			continue
		}
		keep = append(keep, part)
	}
	return strings.Join(keep, ": ")
}

// restated are sentinels whose message What and Why always say in words:
// they are for code to branch on ("instance not running" under "the VM is
// TERMINATED" says it twice).
var restated = []error{
	ErrInstanceNotRunning, ErrInstanceNotFound, ErrCredentialsRequired, ErrPermissionDenied, ErrAPIDisabled,
	ErrProjectNotFound, ErrUnauthenticated, ErrVPCServiceControls, ErrUnsupportedTarget, ErrInvalidURL,
	ErrInvalidProfile, ErrProfileNotFound, ErrInvalidProjectID, ErrConfigCorrupt, ErrConfigTooNew,
}

// restates reports whether part is the message of a restated sentinel in
// e's chain.
func (e *UserError) restates(part string) bool {
	for _, s := range restated {
		if strings.EqualFold(part, s.Error()) && errors.Is(e.Err, s) {
			return true
		}
	}
	return false
}

// Terminal lays e out for a terminal: "What: Why", then the fix and the
// details (Details) on indented lines of their own, each escaped with
// TerminalSafe: they quote e-mails, file names and servers' messages.
func (e *UserError) Terminal() string {
	msg := TerminalSafe(e.What)
	if e.Why != "" {
		msg += ": " + TerminalSafe(e.Why)
	}
	if e.Fix != "" {
		msg += "\n  fix: " + TerminalSafe(e.Fix)
	}
	if d := e.Details(); d != "" {
		msg += "\n  details: " + TerminalSafe(d)
	}
	return msg
}

// cutFold removes every occurrence of sub in s, ignoring case; sub shorter
// than 4 bytes is left alone (it would cut words apart).
func cutFold(s, sub string) string {
	if len(sub) < 4 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+len(sub) <= len(s) && strings.EqualFold(s[i:i+len(sub)], sub) {
			i += len(sub)
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// splitParts splits an error chain at ": " and line breaks (errors.Join)
// outside brackets, so that
// "400 Bad Request (invalid_grant: expired)" stays one part.
func splitParts(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		case ':':
			if depth == 0 && i+1 < len(s) && s[i+1] == ' ' {
				parts = append(parts, s[start:i])
				start = i + 2
				i++
			}
		case '\n': // errors.Join
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

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
	// Before classify: a token source's failure reaches an API call inside
	// a *url.Error, which would read as a network failure.
	if u := authFailure("Cannot use your Google credentials", err, eitherSurface); u != nil {
		return u
	}
	if u := networkFailure("Cannot reach Google", err, eitherSurface); u != nil {
		return u
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

// classify sorts err into a failure class. The adapters in app/gce turn
// Google's error forms (the legacy errors[] list, google.rpc details, a 403
// without a body) into an *APIError, which is returned when there is one.
func classify(err error) (failure, *APIError) {
	var aerr *APIError
	if errors.As(err, &aerr) {
		switch aerr.Status {
		case http.StatusUnauthorized:
			return failureUnauthenticated, aerr
		case http.StatusForbidden:
			switch {
			case errors.Is(aerr.Reason, ErrAPIDisabled):
				return failureAPIDisabled, aerr
			case errors.Is(aerr.Reason, ErrVPCServiceControls):
				return failureVPCSC, aerr
			}
			return failureForbidden, aerr
		case http.StatusNotFound:
			return failureNotFound, aerr
		case http.StatusPreconditionFailed:
			return failurePrecondition, aerr
		}
		return failureOther, aerr
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

// apiMessage is the server's own message for err, or err's text.
func apiMessage(err error) string {
	var aerr *APIError
	if errors.As(err, &aerr) && aerr.Message != "" {
		return aerr.Message
	}
	return err.Error()
}
