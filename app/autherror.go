package app

import (
	"errors"
	"fmt"

	"iapdesk/auth"
)

// surface is where the person reads a UserError, so that a fix can name
// the control at hand: the window's screens and menus, or the command
// line's commands and flags. The cause (Why) reads the same on both.
type surface int

const (
	onCommandLine surface = iota // iapdesk auth login, --access-token-file, …
	inWindow                     // Sign in with Google, the explorer's Refresh, …
	eitherSurface                // not known (AsUserError): sign-in fixes name neither
)

// signInFix is how to sign in again.
func signInFix(s surface) string {
	switch s {
	case inWindow:
		return "Sign in again (Sign in with Google)."
	case onCommandLine:
		return "Sign in again (iapdesk auth login)."
	}
	return "Sign in again."
}

// accountError explains an auth failure as a *UserError: the one already in
// err's chain, the explanation of an auth package error (authFailure), or
// the generic one (AsUserError) under what.
func accountError(what string, err error) *UserError {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	if u := authFailure(what, err, onCommandLine); u != nil {
		return u
	}
	g := AsUserError(err)
	return &UserError{What: what, Why: g.Why, Fix: g.Fix, Err: g.Err}
}

// fromAuth reports whether err is one of package auth's failures.
func fromAuth(err error) bool { return authFailure("", err, onCommandLine) != nil }

// authFailure explains the errors of package auth (sign-in, keyring,
// credentials, access token file) under what; it is the only place their
// wording lives. It returns nil for other errors.
func authFailure(what string, err error, s surface) *UserError {
	u := &UserError{What: what, Err: err}
	var adc *auth.ADCError
	var oe *auth.OAuthError
	switch {
	case errors.Is(err, auth.ErrNoClientID):
		u.Why = "this iapdesk has no OAuth client for signing in"
		u.Fix = "Register a \"Desktop app\" OAuth client in the Google Cloud console (APIs & Services → Credentials) and set " +
			auth.EnvClientID + " and " + auth.EnvClientSecret +
			"; or run `gcloud auth application-default login` and use iapdesk without signing in."
	case errors.Is(err, auth.ErrNoKeyring):
		u.Why = "the OS keyring is not available or is locked, and iapdesk keeps sign-ins and passwords only there"
		u.Fix = "Start and unlock your keyring (on Linux: gnome-keyring, or KeePassXC with its Secret Service integration enabled) and retry; " +
			"or set " + auth.EnvKeyring + "=memory to keep them in memory only, until iapdesk exits."
	case errors.Is(err, auth.ErrNotRevoked):
		// Before ErrSignInRequired: the account is gone here whatever
		// the revoke endpoint answered.
		u.Why = "the account was removed here, but its access could not be revoked at Google"
		u.Fix = "Revoke iapdesk's access by hand at https://myaccount.google.com/permissions."
	case errors.As(err, &adc) && errors.Is(err, auth.ErrSignInRequired):
		u.Why = "Google rejected your Application Default Credentials: they expired or were revoked"
		u.Fix = "Run `gcloud auth application-default login` again, or sign in to iapdesk instead."
		u.Err = fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	case errors.Is(err, auth.ErrSignInRequired):
		u.Why = "the sign-in has expired or was revoked"
		u.Fix = signInFix(s)
		u.Err = fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	case errors.Is(err, auth.ErrAccessDenied):
		u.Why = "access was declined on Google's consent page"
		u.Fix = "Sign in again and choose Allow."
	case errors.Is(err, auth.ErrScopeNotGranted):
		u.Why = "access to Google Cloud was not ticked on Google's consent page"
		u.Fix = "Sign in again and tick every permission iapdesk asks for (\"See, edit, configure and delete your Google Cloud data\")."
	case errors.Is(err, auth.ErrStateMismatch):
		u.Why = "the browser came back from a different sign-in attempt"
		u.Fix = "Start the sign-in again and finish it in the tab iapdesk opens."
	case errors.Is(err, auth.ErrLoginTimeout):
		u.Why = "the browser did not come back to iapdesk in time"
		u.Fix = "Sign in again and finish in the browser; if no browser opened, open the address iapdesk shows."
	case errors.Is(err, auth.ErrBadTokenResponse):
		u.Why = "Google's answer could not be used"
		u.Fix = "Retry. If it keeps failing, check any proxy between you and Google, and report the details."
	case errors.As(err, &oe) && (oe.Code == "invalid_client" || oe.Code == "unauthorized_client"):
		u.Why = "Google does not accept this iapdesk's OAuth client: it was deleted, disabled, or its secret is wrong"
		u.Fix = "Check " + auth.EnvClientID + " and " + auth.EnvClientSecret + " against the OAuth client in the Google Cloud console."
	case errors.As(err, &oe):
		u.Why = "Google's sign-in service refused the request"
		u.Fix = "Retry; if it keeps failing, report the details."
	case errors.Is(err, auth.ErrNoCredentials):
		u.Why = "no account is signed in and no Application Default Credentials were found"
		u.Fix = "Sign in (iapdesk auth login), run `gcloud auth application-default login`, or pass --access-token-file."
		if s == inWindow {
			u.Fix = "Sign in with Google, or run `gcloud auth application-default login` and start iapdesk again."
		}
	case errors.Is(err, auth.ErrNotSignedIn):
		u.Why = "no account is active"
		u.Fix = "Sign in (iapdesk auth login), or pick an account (iapdesk auth switch)."
		if s == inWindow {
			u.Fix = "Sign in with Google, or pick a signed-in account."
		}
	case errors.Is(err, auth.ErrUnknownAccount):
		u.Why = "that account is not signed in here"
		u.Fix = "See the signed-in accounts (iapdesk auth list), or sign it in."
	case errors.Is(err, auth.ErrAccountsCorrupt):
		file := "accounts.json in the iapdesk configuration directory"
		var ce *auth.CorruptAccountsError
		if errors.As(err, &ce) {
			file = ce.Path
		}
		u.Why = "the list of signed-in accounts cannot be read: the file is damaged"
		u.Fix = "Delete " + file + " (or repair it by hand), then sign in again (iapdesk auth login). " +
			"Sign-ins kept in the keyring are replaced when you sign in."
	case errors.Is(err, auth.ErrAccountsTooNew):
		u.Why = "the list of signed-in accounts was written by a newer iapdesk"
		u.Fix = "Use the newer iapdesk, or upgrade this one."
	case errors.Is(err, auth.ErrNoToken):
		u.Why = "the access token file holds no usable token"
		u.Fix = fmt.Sprintf("Point --access-token-file at a regular file (not a pipe or device, at most %d KiB) holding one access token, "+
			"for example written by `gcloud auth print-access-token`.", auth.MaxTokenFileSize>>10)
	case errors.As(err, &adc):
		u.Why = "your Application Default Credentials could not be used"
		u.Fix = "Run `gcloud auth application-default login` again, or check GOOGLE_APPLICATION_CREDENTIALS."
	default:
		return nil
	}
	return u
}
