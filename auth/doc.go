// Package auth provides Google credentials for iapdesk: the OAuth installed-app
// sign-in, token sources (access-token file, Application Default Credentials,
// signed-in accounts) and refresh-token storage in the OS keyring.
package auth
