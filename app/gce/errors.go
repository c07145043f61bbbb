package gce

import (
	"errors"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"

	"iapdesk/app"
)

// apiError turns a Google API error anywhere in err's chain into an
// *app.APIError wrapping err, so that app classifies it without knowing
// googleapi. Compute sends the legacy errors[] form, the google.rpc form
// (status + details) or both, and sometimes a 403 with no parseable body;
// all are read. Other errors (nil, ctx, network) are returned unchanged.
func apiError(err error) error {
	var gerr *googleapi.Error
	var aerr *app.APIError
	if err == nil || !errors.As(err, &gerr) || errors.As(err, &aerr) {
		return err
	}
	return &app.APIError{Status: gerr.Code, Reason: reason(gerr), Message: gerr.Message, Err: err}
}

// reason is the app sentinel for what gerr means beyond its status, or nil.
func reason(gerr *googleapi.Error) error {
	switch {
	case gerr.Code == http.StatusForbidden && hasReason(gerr, "accessNotConfigured", "SERVICE_DISABLED"):
		return app.ErrAPIDisabled
	case gerr.Code == http.StatusForbidden && (hasReason(gerr, "SECURITY_POLICY_VIOLATED") ||
		strings.Contains(gerr.Body, "vpcServiceControlsUniqueIdentifier")):
		return app.ErrVPCServiceControls
	case hasReason(gerr, "resourceNotReady"):
		return app.ErrInstanceNotRunning
	}
	return nil
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

// status is the HTTP status of the Google API error in err's chain; 0
// when there is none.
func status(err error) int {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		return gerr.Code
	}
	return 0
}

// forbidden reports a plain permission denial: a 403 that does not mean
// a disabled API or a VPC Service Controls perimeter.
func forbidden(err error) bool {
	var gerr *googleapi.Error
	return errors.As(err, &gerr) && gerr.Code == http.StatusForbidden && reason(gerr) == nil
}
