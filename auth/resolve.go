package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// SourceKind names where an access token comes from.
type SourceKind string

// Credential sources, in the order Resolve tries them.
const (
	SourceAccessTokenFile SourceKind = "access-token-file"
	SourceAccount         SourceKind = "account"
	SourceADC             SourceKind = "application-default"
)

// Description says which credentials Resolve picked, for messages such as
// "using account a@example.com". It holds no secret.
type Description struct {
	Kind SourceKind
	// Account is the signed-in email (SourceAccount) or the service
	// account's email (SourceADC with a service account); else empty.
	Account string
	// Detail is the token file's path (SourceAccessTokenFile), or the ADC
	// kind and origin: "authorized_user from /path", "metadata server".
	Detail string
}

// String describes d in a phrase.
func (d Description) String() string {
	switch d.Kind {
	case SourceAccessTokenFile:
		return "access token file " + d.Detail
	case SourceAccount:
		return "account " + d.Account
	case SourceADC:
		s := "application default credentials (" + d.Detail + ")"
		if d.Account != "" {
			s += " as " + d.Account
		}
		return s
	}
	return "no credentials"
}

// Resolve picks credentials for headless commands such as `iapdesk tunnel`,
// in this order: Config.AccessTokenFile; the active signed-in account;
// Application Default Credentials ($GOOGLE_APPLICATION_CREDENTIALS, gcloud's
// application_default_credentials.json, the metadata server). It is New
// followed by Manager.Resolve; a long-running process should keep one Manager
// and call its Resolve, so every tunnel shares one cached token.
func Resolve(ctx context.Context, cfg Config) (oauth2.TokenSource, Description, error) {
	m, err := New(cfg)
	if err != nil {
		return nil, Description{}, err
	}
	return m.Resolve(ctx)
}

// Resolve picks credentials; see the package-level Resolve. The source it
// returns may be asked for a token before every connect: it hands out a
// cached token and refreshes it RefreshEarly (60 s) before expiry, one
// refresh for any number of concurrent callers. An active account whose
// sign-in expired yields ErrSignInRequired rather than silently using other
// credentials; with nothing available the error wraps ErrNoCredentials.
func (m *Manager) Resolve(ctx context.Context) (oauth2.TokenSource, Description, error) {
	if p := m.cfg.AccessTokenFile; p != "" {
		ts := &fileTokenSource{path: p}
		if _, err := ts.token(ctx); err != nil {
			return nil, Description{}, err
		}
		return ts, Description{Kind: SourceAccessTokenFile, Detail: p}, nil
	}

	acct, err := m.Active(ctx)
	switch {
	case err == nil:
		ts, err := m.TokenSource(ctx, acct.Email)
		if err != nil {
			return nil, Description{}, err
		}
		return ts, Description{Kind: SourceAccount, Account: acct.Email}, nil
	case !errors.Is(err, ErrNotSignedIn):
		return nil, Description{}, err
	}

	creds, err := m.findADC(ctx, google.CredentialsParams{Scopes: []string{ScopeCloudPlatform}, EarlyTokenRefresh: m.cfg.RefreshEarly})
	if err != nil {
		return nil, Description{}, fmt.Errorf("%w (application default credentials: %v)", ErrNoCredentials, err)
	}
	d := describeADC(creds)
	ts, err := m.adcSource(creds)
	if err != nil {
		return nil, Description{}, err
	}
	m.log.Debug("using application default credentials", slog.String("detail", d.Detail))
	return ts, d, nil
}

// adcFinder is google.FindDefaultCredentialsWithParams or a test stand-in.
type adcFinder func(ctx context.Context, params google.CredentialsParams) (*google.Credentials, error)

var defaultFindADC adcFinder = google.FindDefaultCredentialsWithParams

// adcFile is the part of an ADC JSON file iapdesk reads.
type adcFile struct {
	Type         string `json:"type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
	TokenURI     string `json:"token_uri"`
	ClientEmail  string `json:"client_email"`
}

func describeADC(creds *google.Credentials) Description {
	d := Description{Kind: SourceADC, Detail: "metadata server"}
	if creds.JSON == nil {
		return d
	}
	var f adcFile
	_ = json.Unmarshal(creds.JSON, &f) // google already parsed it
	d.Detail = f.Type
	if f.Type == "" {
		d.Detail = "credentials file"
	}
	if p := os.Getenv("GOOGLE_APPLICATION_CREDENTIALS"); p != "" {
		d.Detail += " from " + p
	} else {
		d.Detail += " from gcloud's application_default_credentials.json"
	}
	d.Account = f.ClientEmail
	return d
}

// adcSource wraps ADC in the same cache as signed-in accounts. gcloud's user
// credentials (authorized_user) are refreshed here, so they get the early
// refresh and an *ADCError wrapping ErrSignInRequired when Google rejects
// them; other kinds keep the google library's refresh.
func (m *Manager) adcSource(creds *google.Credentials) (oauth2.TokenSource, error) {
	var f adcFile
	if creds.JSON != nil {
		_ = json.Unmarshal(creds.JSON, &f)
	}
	if f.Type != "authorized_user" || f.RefreshToken == "" {
		inner := creds.TokenSource
		return &cachedSource{
			fetch: func(context.Context) (*oauth2.Token, error) {
				tok, err := inner.Token()
				if err != nil {
					return nil, &ADCError{Err: err}
				}
				return tok, nil
			},
			early: m.cfg.RefreshEarly,
			now:   m.cfg.Now,
		}, nil
	}
	tokenURL := f.TokenURI
	if tokenURL == "" {
		tokenURL = google.Endpoint.TokenURL
	}
	if err := checkEndpoint(tokenURL); err != nil {
		return nil, &ADCError{Err: fmt.Errorf("token_uri %q: %w", tokenURL, err)}
	}
	oc := &oauth2.Config{
		ClientID:     f.ClientID,
		ClientSecret: f.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	rt := f.RefreshToken
	return &cachedSource{
		fetch: func(ctx context.Context) (*oauth2.Token, error) {
			tok, err := refreshAccessToken(ctx, oc, m.cfg.HTTPClient, rt, m.cfg.Now)
			if err != nil {
				return nil, &ADCError{Err: err}
			}
			logToken(m.log, "access token refreshed", "application-default", tok, m.cfg.Now())
			return tok, nil
		},
		early: m.cfg.RefreshEarly,
		now:   m.cfg.Now,
	}, nil
}
