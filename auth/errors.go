package auth

import (
	"errors"
	"fmt"
)

// Sentinel errors for conditions callers branch on. Errors returned by this
// package wrap one of them where one applies; test with errors.Is. Like
// io's and net's, their messages state the condition only: what the user
// should do about it is the caller's to say (in iapdesk, app.UserError).
var (
	// ErrNoClientID reports that no OAuth client is configured (neither
	// linked in nor in EnvClientID and EnvClientSecret), so the browser
	// sign-in cannot start.
	ErrNoClientID = errors.New("no OAuth client configured")

	// ErrNoKeyring reports that the OS keyring cannot be used: no Secret
	// Service on the session bus, a locked collection, or a platform without
	// a keyring. iapdesk never falls back to a plain file on its own.
	ErrNoKeyring = errors.New("no usable OS keyring")

	// ErrNotStored reports that the store holds no refresh token for the
	// account.
	ErrNotStored = errors.New("no refresh token stored for the account")

	// ErrNotSignedIn reports that no account is signed in (none is active).
	ErrNotSignedIn = errors.New("no account is signed in")

	// ErrUnknownAccount reports an account that was never signed in here.
	ErrUnknownAccount = errors.New("account is not signed in here")

	// ErrSignInRequired reports that an account's sign-in has expired or was
	// revoked (Google answered invalid_grant, or its refresh token is gone
	// from the keyring): the user must sign in again.
	ErrSignInRequired = errors.New("sign-in expired or revoked")

	// ErrAccessDenied reports that the user declined the consent screen.
	ErrAccessDenied = errors.New("access denied on the consent screen")

	// ErrStateMismatch reports a redirect whose state does not match the
	// sign-in that is waiting: a stale browser tab or a forged request.
	ErrStateMismatch = errors.New("redirect from another sign-in (state mismatch)")

	// ErrScopeNotGranted reports that the user unticked a permission iapdesk
	// needs (cloud-platform) on the consent screen.
	ErrScopeNotGranted = errors.New("cloud-platform scope not granted")

	// ErrBadTokenResponse reports a token endpoint answer that cannot be used:
	// not JSON, or missing the access token, refresh token or account email.
	ErrBadTokenResponse = errors.New("unusable answer from the token endpoint")

	// ErrLoginTimeout reports that the browser did not come back before the
	// sign-in timeout.
	ErrLoginTimeout = errors.New("sign-in timed out")

	// ErrAccountsCorrupt reports that the list of signed-in accounts
	// (accounts.json) cannot be parsed. The error is a
	// *CorruptAccountsError, which says where the file is.
	ErrAccountsCorrupt = errors.New("the list of signed-in accounts is damaged")

	// ErrAccountsTooNew reports a list of signed-in accounts written by a
	// newer iapdesk (a format version this one does not know).
	ErrAccountsTooNew = errors.New("the list of signed-in accounts has a newer format")

	// ErrNotRevoked reports a sign-out that removed the account here but
	// could not revoke its access at Google (offline, or the revoke
	// endpoint failed): the grant stays until revoked by hand.
	ErrNotRevoked = errors.New("access not revoked at Google")

	// ErrNoCredentials reports that no credential source is available: no
	// account signed in, no access token file and no Application Default
	// Credentials.
	ErrNoCredentials = errors.New("no Google credentials")
)

// CorruptAccountsError reports an account list that cannot be parsed: Path
// is the file, Err the parse error. It matches ErrAccountsCorrupt with
// errors.Is. Its message states the problem only; the caller says what to do
// (delete or repair the file, then sign in again).
type CorruptAccountsError struct {
	Path string
	Err  error
}

// Error names the file, the condition and the parse error.
func (e *CorruptAccountsError) Error() string {
	return fmt.Sprintf("read account list %s: %v: %v", e.Path, ErrAccountsCorrupt, e.Err)
}

// Unwrap returns ErrAccountsCorrupt and the parse error.
func (e *CorruptAccountsError) Unwrap() []error { return []error{ErrAccountsCorrupt, e.Err} }

// OAuthError is an OAuth 2.0 error answer from Google (RFC 6749 §5.2): from
// the token or revoke endpoint, with its HTTP status, or from the browser's
// redirect (URL "", StatusCode 0). Code invalid_grant matches
// ErrSignInRequired and access_denied ErrAccessDenied with errors.Is. The
// response body is never kept: it might echo request data.
type OAuthError struct {
	Op          string // what was asked, e.g. "refresh access token"
	URL         string // the endpoint; "" for the redirect
	StatusCode  int    // HTTP status; 0 for the redirect
	Status      string // e.g. "400 Bad Request"
	Code        string // OAuth error code, e.g. "invalid_grant"; may be ""
	Description string // error_description, as sent; may be ""
}

// Error names the operation, the endpoint, the status and Google's code
// and description, e.g. "refresh access token at https://oauth2.googleapis.com/token:
// 400 Bad Request (invalid_grant: Token has been expired or revoked.)".
func (e *OAuthError) Error() string {
	msg := e.Op
	if e.URL != "" {
		msg += " at " + e.URL
	}
	status := e.Status
	if status == "" && e.StatusCode != 0 {
		status = fmt.Sprintf("HTTP %d", e.StatusCode)
	}
	answer := e.Code
	if e.Code != "" && e.Description != "" {
		answer += ": " + e.Description
	}
	switch {
	case status != "" && answer != "":
		return msg + ": " + status + " (" + answer + ")"
	case status != "":
		return msg + ": " + status
	case answer != "":
		return msg + ": " + answer
	}
	return msg
}

// Unwrap returns the sentinel for Code, or nil.
func (e *OAuthError) Unwrap() error {
	switch e.Code {
	case "invalid_grant":
		return ErrSignInRequired
	case "access_denied":
		return ErrAccessDenied
	}
	return nil
}

// ADCError is a failure of Application Default Credentials (gcloud's
// application_default_credentials.json, GOOGLE_APPLICATION_CREDENTIALS or
// the metadata server): Err is the cause, which may wrap
// ErrSignInRequired when Google rejects gcloud's refresh token.
type ADCError struct {
	Err error
}

// Error names the credential source and the cause.
func (e *ADCError) Error() string { return "application default credentials: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ADCError) Unwrap() error { return e.Err }
