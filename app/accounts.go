package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"golang.org/x/oauth2"

	"iapdesk/auth"
)

// SignInFlow runs the browser sign-in. *auth.Manager implements it.
type SignInFlow interface {
	Login(ctx context.Context, opt auth.LoginOptions) (auth.Account, error)
}

// AccountDirectory lists, switches and signs out accounts. *auth.Manager
// implements it.
type AccountDirectory interface {
	Accounts(ctx context.Context) ([]auth.Account, error)
	SetActive(ctx context.Context, email string) error
	Revoke(ctx context.Context, email string) error
}

// CredentialResolver picks the credentials for API calls and tunnels: the
// access-token file, the active account, or Application Default
// Credentials. *auth.Manager implements it.
type CredentialResolver interface {
	Resolve(ctx context.Context) (oauth2.TokenSource, auth.Description, error)
}

// AccountTokens hands out the token source of one signed-in account.
// *auth.Manager implements it.
type AccountTokens interface {
	TokenSource(ctx context.Context, email string) (oauth2.TokenSource, error)
}

var (
	_ SignInFlow         = (*auth.Manager)(nil)
	_ AccountDirectory   = (*auth.Manager)(nil)
	_ CredentialResolver = (*auth.Manager)(nil)
	_ AccountTokens      = (*auth.Manager)(nil)
)

// AccountsConfig configures Accounts. SignIn, Directory, Credentials and
// Tokens are required; main passes the same *auth.Manager for all four.
type AccountsConfig struct {
	SignIn      SignInFlow
	Directory   AccountDirectory
	Credentials CredentialResolver
	Tokens      AccountTokens

	// OpenURL opens the browser (platform.OpenURL). Nil: the sign-in URL is
	// only shown, for the user to open.
	OpenURL func(ctx context.Context, url string) error
	// ShowURL shows the sign-in URL (the CLI prints it, the GUI offers to
	// copy it) before the browser is opened, so the user can finish when
	// no browser opens. Nil: not shown.
	ShowURL func(url string)

	Logger *slog.Logger // nil: slog.Default()
}

// Accounts is the account use case: sign in through the browser, list the
// accounts, switch the active one, sign out, and hand out access tokens.
// Its errors are *UserError.
type Accounts struct {
	signIn  SignInFlow
	dir     AccountDirectory
	creds   CredentialResolver
	tokens  AccountTokens
	openURL func(ctx context.Context, url string) error
	showURL func(url string)
	log     *slog.Logger
}

// NewAccounts returns the account use case for cfg.
func NewAccounts(cfg AccountsConfig) (*Accounts, error) {
	if cfg.SignIn == nil || cfg.Directory == nil || cfg.Credentials == nil || cfg.Tokens == nil {
		return nil, errors.New("new accounts: SignIn, Directory, Credentials and Tokens are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Accounts{
		signIn:  cfg.SignIn,
		dir:     cfg.Directory,
		creds:   cfg.Credentials,
		tokens:  cfg.Tokens,
		openURL: cfg.OpenURL,
		showURL: cfg.ShowURL,
		log:     cfg.Logger,
	}, nil
}

// SignIn signs an account in through the system browser and makes it
// active. hint ("" for none) pre-selects an account on Google's page. It
// blocks until the browser comes back, the sign-in times out, or ctx ends
// (the user's Cancel).
func (a *Accounts) SignIn(ctx context.Context, hint string) (auth.Account, error) {
	acct, err := a.signIn.Login(ctx, auth.LoginOptions{Open: a.open, LoginHint: hint})
	if err != nil {
		return auth.Account{}, accountError("Cannot sign in", err)
	}
	return acct, nil
}

// open shows the URL, then tries the browser. A browser that does not open
// is not fatal while the URL is on screen: the user can open it by hand.
func (a *Accounts) open(ctx context.Context, url string) error {
	if a.showURL != nil {
		a.showURL(url)
	}
	if a.openURL == nil {
		if a.showURL == nil {
			return errors.New("no way to open the browser or show the sign-in address")
		}
		return nil
	}
	err := a.openURL(ctx, url)
	if err == nil || ctx.Err() != nil {
		return nil
	}
	if a.showURL == nil {
		return err
	}
	a.log.Warn("browser did not open; the sign-in address is shown instead", slog.String("error", err.Error()))
	return nil
}

// List returns the signed-in accounts, sorted by email.
func (a *Accounts) List(ctx context.Context) ([]auth.Account, error) {
	accts, err := a.dir.Accounts(ctx)
	if err != nil {
		return nil, accountError("Cannot list accounts", err)
	}
	return accts, nil
}

// Switch makes email the active account.
func (a *Accounts) Switch(ctx context.Context, email string) error {
	if err := a.dir.SetActive(ctx, email); err != nil {
		return accountError("Cannot switch to "+email, err)
	}
	return nil
}

// SignOut revokes email's sign-in and forgets the account; "" means the
// active account. It returns the account signed out.
func (a *Accounts) SignOut(ctx context.Context, email string) (string, error) {
	if email == "" {
		accts, err := a.List(ctx)
		if err != nil {
			return "", err
		}
		for _, acct := range accts {
			if acct.Active {
				email = acct.Email
			}
		}
		if email == "" {
			return "", accountError("Cannot sign out", auth.ErrNotSignedIn)
		}
	}
	if err := a.dir.Revoke(ctx, email); err != nil {
		return "", accountError("Cannot sign out "+email, err)
	}
	return email, nil
}

// SignOutAll signs every account out. It goes on after a failure and
// returns the accounts signed out and the first error.
func (a *Accounts) SignOutAll(ctx context.Context) ([]string, error) {
	accts, err := a.List(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	var first error
	for _, acct := range accts {
		if err := a.dir.Revoke(ctx, acct.Email); err != nil {
			if first == nil {
				first = accountError("Cannot sign out "+acct.Email, err)
			}
			continue
		}
		done = append(done, acct.Email)
	}
	return done, first
}

// TokenSource returns the credentials headless commands and tunnels use
// (access-token file, active account, Application Default Credentials) and
// says which they are. Ask it for a token before every connect: it caches
// and refreshes early.
func (a *Accounts) TokenSource(ctx context.Context) (oauth2.TokenSource, auth.Description, error) {
	ts, d, err := a.creds.Resolve(ctx)
	if err != nil {
		return nil, auth.Description{}, accountError("No usable Google credentials", err)
	}
	return ts, d, nil
}

// AccessToken returns a valid access token: email's, or ("") that of the
// credentials TokenSource picks.
func (a *Accounts) AccessToken(ctx context.Context, email string) (string, auth.Description, error) {
	var ts oauth2.TokenSource
	var d auth.Description
	if email != "" {
		var err error
		if ts, err = a.tokens.TokenSource(ctx, email); err != nil {
			return "", auth.Description{}, accountError("No access token for "+email, err)
		}
		d = auth.Description{Kind: auth.SourceAccount, Account: strings.ToLower(email)}
	} else {
		var err error
		if ts, d, err = a.TokenSource(ctx); err != nil {
			return "", auth.Description{}, err
		}
	}
	tok, err := ts.Token()
	if err != nil {
		return "", auth.Description{}, accountError("No access token from "+d.String(), err)
	}
	return tok.AccessToken, d, nil
}
