package app

import (
	"errors"

	"iapdesk/auth"
)

// NeedsSignIn reports whether err means there are no usable Google
// credentials: no account signed in and no Application Default
// Credentials, or the active account's sign-in expired or was revoked. The
// window then shows its sign-in screen instead of an error.
func NeedsSignIn(err error) bool {
	return errors.Is(err, auth.ErrNoCredentials) || errors.Is(err, auth.ErrSignInRequired) ||
		errors.Is(err, auth.ErrNotSignedIn) || errors.Is(err, ErrUnauthenticated)
}
