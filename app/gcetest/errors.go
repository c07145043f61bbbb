package gcetest

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error response in Google's shape:
//
//	{"error":{"code":403,"message":"…","errors":[{"message":"…","domain":"global","reason":"forbidden"}],
//	  "status":"PERMISSION_DENIED","details":[…]}}
//
// Compute sends the legacy errors[] array (and, for some errors, status and
// details too); Resource Manager and OS Login send status and details.
type apiError struct {
	Code         int
	Message      string
	ItemMessage  string // errors[].message; "" means Message
	Reason       string // errors[].reason; "" leaves errors[] out
	Domain       string // errors[].domain; "" means "global"
	Location     string
	LocationType string
	ExtendedHelp string
	Status       string // google.rpc status name; "" leaves it out
	Details      []any
}

type errorItem struct {
	Message      string `json:"message"`
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
	ExtendedHelp string `json:"extendedHelp,omitempty"`
}

type errorBody struct {
	Code    int         `json:"code"`
	Message string      `json:"message"`
	Errors  []errorItem `json:"errors,omitempty"`
	Status  string      `json:"status,omitempty"`
	Details []any       `json:"details,omitempty"`
}

func (e *apiError) body() []byte {
	b := errorBody{Code: e.Code, Message: e.Message, Status: e.Status, Details: e.Details}
	if e.Reason != "" {
		d := e.Domain
		if d == "" {
			d = "global"
		}
		m := e.ItemMessage
		if m == "" {
			m = e.Message
		}
		b.Errors = []errorItem{{Message: m, Domain: d, Reason: e.Reason,
			Location: e.Location, LocationType: e.LocationType, ExtendedHelp: e.ExtendedHelp}}
	}
	out, _ := json.Marshal(map[string]errorBody{"error": b}) // plain strings and maps: cannot fail
	return out
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.Code)
	w.Write(e.body())
}

// errForbidden is Compute's answer to a missing IAM permission.
func errForbidden(permission, resource string) *apiError {
	return &apiError{Code: http.StatusForbidden,
		Message: fmt.Sprintf("Required '%s' permission for '%s'", permission, resource),
		Reason:  "forbidden"}
}

// errNotFound is Compute's answer for a missing resource ("projects/p/zones/z/instances/i").
func errNotFound(resource string) *apiError {
	return &apiError{Code: http.StatusNotFound,
		Message: fmt.Sprintf("The resource '%s' was not found", resource),
		Reason:  "notFound"}
}

// errServiceDisabled is the answer of an API that is not enabled in the
// consumer project: both the legacy accessNotConfigured item and the
// google.rpc ErrorInfo with reason SERVICE_DISABLED, as Compute sends them.
func errServiceDisabled(service, title string, projectNumber int64) *apiError {
	activation := fmt.Sprintf("https://console.developers.google.com/apis/api/%s/overview?project=%d", service, projectNumber)
	msg := fmt.Sprintf("%s has not been used in project %d before or it is disabled. Enable it by visiting %s then retry. "+
		"If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.",
		title, projectNumber, activation)
	return &apiError{Code: http.StatusForbidden, Message: msg, Reason: "accessNotConfigured", Domain: "usageLimits",
		ExtendedHelp: "https://console.developers.google.com", Status: "PERMISSION_DENIED",
		Details: []any{
			map[string]any{
				"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "SERVICE_DISABLED",
				"domain": "googleapis.com",
				"metadata": map[string]string{
					"service":       service,
					"consumer":      fmt.Sprintf("projects/%d", projectNumber),
					"containerInfo": fmt.Sprint(projectNumber),
					"serviceTitle":  title,
					"activationUrl": activation,
				},
			},
			map[string]any{
				"@type":   "type.googleapis.com/google.rpc.LocalizedMessage",
				"locale":  "en-US",
				"message": msg,
			},
			map[string]any{
				"@type": "type.googleapis.com/google.rpc.Help",
				"links": []map[string]string{{"description": "Google developers console API activation", "url": activation}},
			},
		}}
}

// errFingerprint is the 412 for a stale metadata fingerprint.
func errFingerprint() *apiError {
	return &apiError{Code: http.StatusPreconditionFailed,
		Message:  "Supplied fingerprint does not match current metadata fingerprint.",
		Reason:   "conditionNotMet",
		Location: "If-Match", LocationType: "header"}
}

func errInvalid(msg string) *apiError {
	return &apiError{Code: http.StatusBadRequest, Message: msg, Reason: "invalid"}
}

// errUnauthenticated is the 401 for a bearer token the server does not
// accept (wrong, expired or revoked).
func errUnauthenticated() *apiError {
	return &apiError{Code: http.StatusUnauthorized,
		Message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. " +
			"See https://developers.google.com/identity/sign-in/web/devconsole-project.",
		ItemMessage: "Invalid Credentials",
		Reason:      "authError", Location: "Authorization", LocationType: "header", Status: "UNAUTHENTICATED"}
}

// errCredentialsMissing is the 401 for a request without a bearer token.
func errCredentialsMissing() *apiError {
	return &apiError{Code: http.StatusUnauthorized,
		Message: "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. " +
			"See https://developers.google.com/identity/sign-in/web/devconsole-project.",
		ItemMessage: "Login Required.",
		Reason:      "required", Location: "Authorization", LocationType: "header", Status: "UNAUTHENTICATED",
		Details: []any{map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CREDENTIALS_MISSING", "domain": "googleapis.com"}}}
}

// errRPC is the google.rpc form used by Resource Manager and OS Login: no
// errors[] array, a status name.
func errRPC(code int, status, msg string) *apiError {
	return &apiError{Code: code, Message: msg, Status: status}
}
