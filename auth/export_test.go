package auth

import (
	"context"

	"golang.org/x/oauth2/google"
)

// Internals the external tests (package auth_test, which may import
// authtest) need.

const (
	AccountsFile = accountsFile
	AccountsLock = accountsLock
)

var EmailFromIDToken = emailFromIDToken

// LinkedClientID is the OAuth client ID set at link time.
func LinkedClientID() string { return oauthClientID }

// SetFindADC replaces the Application Default Credentials lookup of m.
func SetFindADC(m *Manager, f func(ctx context.Context, params google.CredentialsParams) (*google.Credentials, error)) {
	m.findADC = f
}
