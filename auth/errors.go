package auth

import (
	"errors"
	"fmt"
)

// Sentinel errors for conditions callers branch on. Errors returned by this
// package wrap one of them where one applies; test with errors.Is. Their
// messages say what to do, so a caller may show them as they are.
var (
	// ErrNoClientID reports that no OAuth client is configured, so the
	// browser sign-in cannot start.
	ErrNoClientID = errors.New("no OAuth client configured for sign-in: register a \"Desktop app\" OAuth client " +
		"in the Google Cloud console (APIs & Services > Credentials) and set IAPDESK_OAUTH_CLIENT_ID and " +
		"IAPDESK_OAUTH_CLIENT_SECRET, or use `gcloud auth application-default login` instead")

	// ErrNoKeyring reports that the OS keyring cannot be used: no Secret
	// Service on the session bus, a locked collection, or a platform without
	// a keyring. iapdesk never falls back to a plain file on its own.
	ErrNoKeyring = errors.New("no usable OS keyring to keep the sign-in: on Linux start and unlock a Secret Service " +
		"(gnome-keyring, or KeePassXC with its Secret Service integration enabled) in this desktop session; " +
		"or set IAPDESK_KEYRING=memory to keep sign-ins in memory only, until iapdesk exits")

	// ErrNotStored reports that the store holds no refresh token for the
	// account.
	ErrNotStored = errors.New("no refresh token stored for the account")

	// ErrNotSignedIn reports that no account is signed in (none is active).
	ErrNotSignedIn = errors.New("no account is signed in: sign in with `iapdesk auth login`")

	// ErrUnknownAccount reports an account that was never signed in here.
	ErrUnknownAccount = errors.New("account is not signed in here (see `iapdesk auth list`)")

	// ErrSignInRequired reports that an account's sign-in has expired or was
	// revoked (Google answered invalid_grant, or its refresh token is gone
	// from the keyring): the user must sign in again.
	ErrSignInRequired = errors.New("the sign-in has expired or was revoked: sign in again (`iapdesk auth login`)")

	// ErrAccessDenied reports that the user declined the consent screen.
	ErrAccessDenied = errors.New("access was denied on Google's consent screen: sign in again and allow access")

	// ErrStateMismatch reports a redirect whose state does not match the
	// sign-in that is waiting: a stale browser tab or a forged request.
	ErrStateMismatch = errors.New("the browser returned from a different sign-in (state mismatch): start the sign-in again")

	// ErrScopeNotGranted reports that the user unticked a permission iapdesk
	// needs (cloud-platform) on the consent screen.
	ErrScopeNotGranted = errors.New("access to Google Cloud was not granted: sign in again and tick " +
		"\"See, edit, configure and delete your Google Cloud data\"")

	// ErrBadTokenResponse reports a token endpoint answer that cannot be used:
	// not JSON, or missing the access token, refresh token or account email.
	ErrBadTokenResponse = errors.New("unusable answer from the token endpoint")

	// ErrLoginTimeout reports that the browser did not come back before the
	// sign-in timeout.
	ErrLoginTimeout = errors.New("sign-in timed out: the browser did not return to iapdesk; start the sign-in again")

	// ErrAccountsCorrupt reports that the list of signed-in accounts
	// (accounts.json) cannot be parsed. The error is a
	// *CorruptAccountsError, which says where the file is.
	ErrAccountsCorrupt = errors.New("the list of signed-in accounts is damaged")

	// ErrNoCredentials reports that no credential source is available.
	ErrNoCredentials = errors.New("no Google credentials: sign in with `iapdesk auth login`, run " +
		"`gcloud auth application-default login`, or pass --access-token-file")
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
