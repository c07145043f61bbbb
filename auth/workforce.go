package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// LoginConfig is a workforce identity pool's login configuration, the file
// `gcloud iam workforce-pools create-login-config` writes (type
// external_account_authorized_user_login_config): which pool and provider
// (Audience) and where its sign-in (AuthURL), token exchange (TokenURL, the
// Security Token Service) and introspection (TokenInfoURL) are.
type LoginConfig struct {
	Type           string `json:"type"`
	Audience       string `json:"audience"`
	AuthURL        string `json:"auth_url"`
	TokenURL       string `json:"token_url"`
	TokenInfoURL   string `json:"token_info_url"`
	UniverseDomain string `json:"universe_domain,omitempty"`
}

// LoginConfigType is the type of a workforce login configuration file.
const LoginConfigType = "external_account_authorized_user_login_config"

// Google's workforce identity federation endpoints, for LoginConfigForPool.
const (
	WorkforceAuthURL      = "https://auth.cloud.google/authorize"
	WorkforceTokenURL     = "https://sts.googleapis.com/v1/oauthtoken"
	WorkforceTokenInfoURL = "https://sts.googleapis.com/v1/introspect"
)

// ErrLoginConfig reports a workforce login configuration iapdesk cannot
// use: not JSON, another type, a missing field or an endpoint that is not
// https.
var ErrLoginConfig = errors.New("unusable workforce login configuration")

// ParseLoginConfig reads a workforce login configuration file.
func ParseLoginConfig(b []byte) (LoginConfig, error) {
	var c LoginConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return LoginConfig{}, fmt.Errorf("%w: %v", ErrLoginConfig, err)
	}
	if c.Type != LoginConfigType {
		return LoginConfig{}, fmt.Errorf("%w: type %q, want %q", ErrLoginConfig, c.Type, LoginConfigType)
	}
	return c, c.check()
}

// LoginConfigForPool is the login configuration of pool and provider at
// Google's endpoints, for users who know the IDs rather than hold a file.
func LoginConfigForPool(pool, provider string) (LoginConfig, error) {
	c := LoginConfig{Type: LoginConfigType, Audience: "//iam.googleapis.com/locations/global/workforcePools/" + pool + "/providers/" + provider,
		AuthURL: WorkforceAuthURL, TokenURL: WorkforceTokenURL, TokenInfoURL: WorkforceTokenInfoURL, UniverseDomain: "googleapis.com"}
	for _, id := range []string{pool, provider} {
		if id == "" || strings.ContainsAny(id, "/?#% ") {
			return LoginConfig{}, fmt.Errorf("%w: pool and provider IDs must be plain names, not %q", ErrLoginConfig, id)
		}
	}
	return c, c.check()
}

// check validates the fields.
func (c LoginConfig) check() error {
	if c.providerName() == "" {
		return fmt.Errorf("%w: audience %q is not //iam.googleapis.com/locations/…/workforcePools/…/providers/…", ErrLoginConfig, c.Audience)
	}
	for _, u := range []struct{ name, v string }{{"auth_url", c.AuthURL}, {"token_url", c.TokenURL}, {"token_info_url", c.TokenInfoURL}} {
		if err := checkEndpoint(u.v); err != nil {
			return fmt.Errorf("%w: %s %q: %v", ErrLoginConfig, u.name, u.v, err)
		}
	}
	return nil
}

// providerName is the audience's resource name from "locations/" on, the
// authorization endpoint's provider_name parameter.
func (c LoginConfig) providerName() string {
	i := strings.Index(c.Audience, "/locations/")
	if !strings.HasPrefix(c.Audience, "//iam.") || i < 0 || !strings.Contains(c.Audience, "/workforcePools/") ||
		!strings.Contains(c.Audience, "/providers/") {
		return ""
	}
	return c.Audience[i+1:]
}

// Pool is the workforce pool's ID.
func (c LoginConfig) Pool() string {
	_, rest, _ := strings.Cut(c.Audience, "/workforcePools/")
	pool, _, _ := strings.Cut(rest, "/")
	return pool
}

// workforceScopes are what a workforce sign-in asks for: the principal
// works with Google Cloud APIs only (no OpenID email).
var workforceScopes = []string{ScopeCloudPlatform}

// workforceAuth is the OAuth client and authorization parameters of a
// workforce sign-in: iapdesk's client at the login config's endpoints,
// PKCE, and the provider to sign in with.
func (m *Manager) workforceAuth(c LoginConfig, redirect, verifier string) (*oauth2.Config, []oauth2.AuthCodeOption) {
	oc := &oauth2.Config{
		ClientID:     m.oauth.ClientID,
		ClientSecret: m.oauth.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:       workforceScopes,
		RedirectURL:  redirect,
	}
	return oc, []oauth2.AuthCodeOption{
		oauth2.AccessTypeOffline,
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("provider_name", c.providerName()),
	}
}

// finishWorkforce returns the finish step of a workforce sign-in: check the
// redirect, exchange the code at STS, read the principal at the token info
// endpoint, keep the refresh token like a Google account's.
func (m *Manager) finishWorkforce(c LoginConfig) func(ctx context.Context, oc *oauth2.Config, state, verifier string, q url.Values) (Account, error) {
	return func(ctx context.Context, oc *oauth2.Config, state, verifier string, q url.Values) (Account, error) {
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			return Account{}, ErrStateMismatch
		}
		if e := q.Get("error"); e != "" {
			return Account{}, &OAuthError{Op: "authorization", Code: e, Description: q.Get("error_description")}
		}
		code := q.Get("code")
		if code == "" {
			return Account{}, errors.New("redirect without an authorization code")
		}
		hctx := context.WithValue(ctx, oauth2.HTTPClient, m.cfg.HTTPClient)
		tok, err := oc.Exchange(hctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			return Account{}, classifyTokenErr("exchange authorization code", c.TokenURL, err)
		}
		fixExpiry(tok, m.cfg.Now)
		if tok.RefreshToken == "" {
			return Account{}, fmt.Errorf("token endpoint %s returned no refresh token: %w", c.TokenURL, ErrBadTokenResponse)
		}
		principal, err := m.introspect(ctx, c, tok.AccessToken)
		if err != nil {
			return Account{}, err
		}
		now := m.cfg.Now()
		cfg := c
		if err := m.keep(ctx, accountEntry{Email: principal, AddedAt: now.UTC(), Workforce: &cfg}, tok); err != nil {
			return Account{}, err
		}
		m.log.Info("signed in", slog.String("account", principal), slog.String("workforce_pool", c.Pool()))
		return Account{Email: principal, Active: true, AddedAt: now.UTC(), Workforce: c.Pool()}, nil
	}
}

// introspect asks the token info endpoint (RFC 7662, as STS answers it)
// whose access token tok is: its username is the principal,
// principal://iam.googleapis.com/locations/global/workforcePools/POOL/subject/SUBJECT.
func (m *Manager) introspect(ctx context.Context, c LoginConfig, tok string) (string, error) {
	form := url.Values{"token": {tok}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenInfoURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("introspect at %s: %w", c.TokenInfoURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(m.oauth.ClientID), url.QueryEscape(m.oauth.ClientSecret))
	resp, err := m.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("introspect at %s: %w", c.TokenInfoURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var info struct {
		Active   bool   `json:"active"`
		Username string `json:"username"`
		Sub      string `json:"sub"`
		Error    string `json:"error"`
		Desc     string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &info)
	if resp.StatusCode != http.StatusOK {
		return "", &OAuthError{Op: "introspect", URL: c.TokenInfoURL, StatusCode: resp.StatusCode, Status: resp.Status,
			Code: info.Error, Description: info.Desc}
	}
	principal := info.Username
	if principal == "" && info.Sub != "" {
		principal = "principal://iam.googleapis.com/locations/global/workforcePools/" + c.Pool() + "/subject/" + info.Sub
	}
	if !info.Active || !strings.HasPrefix(principal, "principal://") {
		return "", fmt.Errorf("token info endpoint %s did not name the principal: %w", c.TokenInfoURL, ErrBadTokenResponse)
	}
	return principal, nil
}

// IsWorkforcePrincipal reports whether account is a workforce identity
// (principal://…), not a Google account: OS Login cannot import keys for
// it, so SSH falls back to metadata keys.
func IsWorkforcePrincipal(account string) bool {
	return strings.HasPrefix(account, "principal://")
}

// refreshWorkforce trades the refresh token of a workforce sign-in for an
// access token at STS, through golang.org/x/oauth2/google's
// external_account_authorized_user credentials (CredentialsFromJSONWithTypeAndParams on the JSON gcloud keeps for
// such a sign-in). The library reports STS errors as text; invalid_grant in
// it means the sign-in ended (ErrSignInRequired).
func (m *Manager) refreshWorkforce(ctx context.Context, c LoginConfig, refreshToken string) (*oauth2.Token, error) {
	js, err := json.Marshal(map[string]string{
		"type":           "external_account_authorized_user",
		"audience":       c.Audience,
		"refresh_token":  refreshToken,
		"token_url":      c.TokenURL,
		"token_info_url": c.TokenInfoURL,
		"client_id":      m.oauth.ClientID,
		"client_secret":  m.oauth.ClientSecret,
	})
	if err != nil {
		return nil, err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, m.cfg.HTTPClient)
	creds, err := google.CredentialsFromJSONWithTypeAndParams(ctx, js, google.ExternalAccountAuthorizedUser,
		google.CredentialsParams{Scopes: workforceScopes})
	if err != nil {
		return nil, fmt.Errorf("refresh access token at %s: %v: %w", c.TokenURL, err, ErrBadTokenResponse)
	}
	tok, err := creds.TokenSource.Token()
	if err != nil {
		if strings.Contains(err.Error(), "invalid_grant") {
			return nil, &OAuthError{Op: "refresh access token", URL: c.TokenURL, Code: "invalid_grant"}
		}
		return nil, fmt.Errorf("refresh access token at %s: %w", c.TokenURL, err)
	}
	// The library dates the expiry by the wall clock; the cache judges it
	// by Config.Now.
	if !tok.Expiry.IsZero() {
		tok.Expiry = m.cfg.Now().Add(time.Until(tok.Expiry))
	}
	return tok, nil
}

// workforceConfig is the login config of email's workforce sign-in, or nil
// for a Google account (or an unreadable list).
func (m *Manager) workforceConfig(email string) *LoginConfig {
	st, err := m.db.load()
	if err != nil {
		return nil
	}
	if i := st.find(email); i >= 0 {
		return st.Accounts[i].Workforce
	}
	return nil
}

// accountKey is how an account is keyed in the store and the sources: a
// Google account's email in lower case, a workforce principal as it is
// (its subject may be case-sensitive at the IdP).
func accountKey(account string) string {
	if IsWorkforcePrincipal(account) {
		return account
	}
	return strings.ToLower(account)
}
