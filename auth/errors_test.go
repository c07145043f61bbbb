package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// advice is wording that belongs to app.UserError, not to this package:
// commands, flags, environment settings, instructions.
var advice = []string{
	"gcloud", "iapdesk auth", "--", "sign in again", "sign in with", "start the sign-in", "check ",
	"register", "unlock", "gnome-keyring", "iapdesk_keyring=", "myaccount.google.com", "upgrade", "try again",
	"please", "(set ", "delete ",
}

// checkNoAdvice fails if msg holds any of advice.
func checkNoAdvice(t *testing.T, what, msg string) {
	t.Helper()
	low := strings.ToLower(msg)
	for _, a := range advice {
		if strings.Contains(low, a) {
			t.Errorf("%s = %q: holds advice %q; auth states facts, app says what to do", what, msg, a)
		}
	}
}

// Every error message of the package states facts only: the sentinels,
// the typed errors, and the errors real failures end in.
func TestErrorMessagesGiveNoAdvice(t *testing.T) {
	for _, err := range []error{
		ErrNoClientID, ErrNoKeyring, ErrNotStored, ErrNotSignedIn, ErrUnknownAccount, ErrSignInRequired,
		ErrAccessDenied, ErrStateMismatch, ErrScopeNotGranted, ErrBadTokenResponse, ErrLoginTimeout,
		ErrAccountsCorrupt, ErrAccountsTooNew, ErrNotRevoked, ErrNoCredentials, ErrNoToken,
		&CorruptAccountsError{Path: "/home/u/.config/iapdesk/accounts.json", Err: errors.New("unexpected end of JSON input")},
		&OAuthError{Op: "refresh access token", URL: "https://oauth2.googleapis.com/token", StatusCode: 400, Status: "400 Bad Request", Code: "invalid_grant"},
		&ADCError{Err: ErrSignInRequired},
		&KeyringError{Err: errors.New("prompt dismissed")},
	} {
		checkNoAdvice(t, fmt.Sprintf("%T", err), err.Error())
	}

	dir := t.TempDir()
	_, err := FileTokenSource(filepath.Join(dir, "missing")).Token()
	if !errors.Is(err, ErrNoToken) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("FileTokenSource(missing).Token() = %v, want ErrNoToken and os.ErrNotExist", err)
	}
	checkNoAdvice(t, "FileTokenSource(missing).Token()", err.Error())

	if err := os.WriteFile(filepath.Join(dir, accountsFile), []byte(`{"version":9}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = (&accountDB{dir: dir}).load()
	if !errors.Is(err, ErrAccountsTooNew) {
		t.Errorf("load() of a version 9 file = %v, want ErrAccountsTooNew", err)
	}
	checkNoAdvice(t, "load() of a version 9 file", err.Error())
}

// An OAuth error answer keeps what app needs (operation, endpoint, HTTP
// status, code, description) and matches the sentinel of its code.
func TestOAuthError(t *testing.T) {
	resp := &http.Response{StatusCode: 400, Status: "400 Bad Request"}
	tests := []struct {
		name string
		err  error
		want string
		is   error
	}{
		{"invalid_grant",
			classifyTokenErr("refresh access token", "https://oauth2.googleapis.com/token",
				&oauth2.RetrieveError{Response: resp, ErrorCode: "invalid_grant", ErrorDescription: "Token has been expired or revoked."}),
			"refresh access token at https://oauth2.googleapis.com/token: 400 Bad Request (invalid_grant: Token has been expired or revoked.)",
			ErrSignInRequired},
		{"no code",
			classifyTokenErr("refresh access token", "https://t.example/token", &oauth2.RetrieveError{Response: resp}),
			"refresh access token at https://t.example/token: 400 Bad Request", nil},
		{"redirect", &OAuthError{Op: "authorization", Code: "access_denied"}, "authorization: access_denied", ErrAccessDenied},
		{"status code only", &OAuthError{Op: "revoke", URL: "https://oauth2.googleapis.com/revoke", StatusCode: 503},
			"revoke at https://oauth2.googleapis.com/revoke: HTTP 503", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var oe *OAuthError
			if !errors.As(tc.err, &oe) {
				t.Fatalf("%s: %T is not an *OAuthError", tc.name, tc.err)
			}
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if tc.is != nil && !errors.Is(tc.err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.is)
			}
			if tc.is == nil && (errors.Is(tc.err, ErrSignInRequired) || errors.Is(tc.err, ErrAccessDenied)) {
				t.Errorf("errors.Is(%v, a sentinel) = true, want false for code %q", tc.err, oe.Code)
			}
		})
	}
	// Transport failures are not OAuth answers.
	if err := classifyTokenErr("refresh access token", "https://t.example/token", context.DeadlineExceeded); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("classifyTokenErr(deadline) = %v, want it kept", err)
	}
}
