package app

import (
	"context"
	"fmt"
	"os"

	"iapdesk/auth"
)

// SignInWorkforce signs a workforce identity (a user of an external IdP:
// Entra ID, Okta, …) in with the pool's login config, through the system
// browser, and makes the principal the active account. Its refresh token
// is kept in the keyring like a Google account's. OS Login cannot import
// keys for a workforce identity: SSH then publishes keys in metadata.
func (a *Accounts) SignInWorkforce(ctx context.Context, cfg auth.LoginConfig) (auth.Account, error) {
	acct, err := a.signIn.Login(ctx, auth.LoginOptions{Open: a.open, Workforce: &cfg})
	if err != nil {
		return auth.Account{}, accountError("Cannot sign in with the workforce pool "+cfg.Pool(), err)
	}
	return acct, nil
}

// ReadLoginConfig reads a workforce login config file (`gcloud iam
// workforce-pools create-login-config`).
func ReadLoginConfig(path string) (auth.LoginConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return auth.LoginConfig{}, &UserError{What: "Cannot read the login config", Why: err.Error(),
			Fix: "Check the path of the file your administrator handed out (gcloud iam workforce-pools create-login-config writes it).", Err: err}
	}
	c, err := auth.ParseLoginConfig(b)
	if err != nil {
		return auth.LoginConfig{}, &UserError{What: "Cannot use the login config " + path, Why: fmt.Sprint(err),
			Fix: "Ask your administrator for the file `gcloud iam workforce-pools create-login-config` writes.", Err: err}
	}
	return c, nil
}
