package auth

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// The OAuth client used when neither Config nor the environment names one.
// Set at link time:
//
//	go build -ldflags "-X iapdesk/auth.oauthClientID=1234-abc.apps.googleusercontent.com -X iapdesk/auth.oauthClientSecret=GOCSPX-…"
//
// A desktop app's client secret is not confidential (Google says so: it ships
// in every copy), but it is still kept out of logs.
var (
	oauthClientID     string
	oauthClientSecret string
)

// Environment variables that override Config defaults (a non-empty Config
// field wins over the environment).
const (
	EnvClientID     = "IAPDESK_OAUTH_CLIENT_ID"
	EnvClientSecret = "IAPDESK_OAUTH_CLIENT_SECRET"
	EnvAuthURL      = "IAPDESK_OAUTH_AUTH_URL"
	EnvTokenURL     = "IAPDESK_OAUTH_TOKEN_URL"
	EnvRevokeURL    = "IAPDESK_OAUTH_REVOKE_URL"
	EnvUserinfoURL  = "IAPDESK_OAUTH_USERINFO_URL"
	EnvConfigDir    = "IAPDESK_CONFIG_DIR"
	// EnvKeyring selects where refresh tokens live: "" or "system" for the
	// OS keyring, "memory" for this process's memory only (the sign-in is
	// forgotten when iapdesk exits, and so is the account list).
	EnvKeyring = "IAPDESK_KEYRING"
)

// Google's OAuth endpoints for installed apps.
const (
	GoogleAuthURL     = "https://accounts.google.com/o/oauth2/v2/auth"
	GoogleTokenURL    = "https://oauth2.googleapis.com/token"
	GoogleRevokeURL   = "https://oauth2.googleapis.com/revoke"
	GoogleUserinfoURL = "https://openidconnect.googleapis.com/v1/userinfo"
)

// Scopes iapdesk asks for: Google Cloud (IAP relay, Compute API) plus the
// OpenID scopes that name the account.
var Scopes = []string{
	"https://www.googleapis.com/auth/cloud-platform",
	"openid",
	"email",
}

// ScopeCloudPlatform is the scope without which iapdesk cannot work.
const ScopeCloudPlatform = "https://www.googleapis.com/auth/cloud-platform"

// Endpoints are the OAuth server's URLs. authtest.Server provides a set that
// stands in for Google.
type Endpoints struct {
	AuthURL     string // authorization endpoint (the browser goes here)
	TokenURL    string // code exchange and refresh
	RevokeURL   string // sign-out
	UserinfoURL string // account email when the ID token lacks it
}

// Config configures a Manager. The zero value signs in against Google with
// the build's OAuth client, keeps tokens in the OS keyring and account state
// under os.UserConfigDir()/iapdesk.
type Config struct {
	// ClientID and ClientSecret name the "Desktop app" OAuth client. Empty:
	// $IAPDESK_OAUTH_CLIENT_ID/_SECRET, then the link-time values.
	ClientID     string
	ClientSecret string

	// Endpoints default to $IAPDESK_OAUTH_*_URL, then Google's.
	Endpoints Endpoints

	// ConfigDir holds accounts.json (no secrets). Empty: $IAPDESK_CONFIG_DIR,
	// then os.UserConfigDir()/iapdesk.
	ConfigDir string

	// Store keeps refresh tokens. Nil: per $IAPDESK_KEYRING, the OS keyring
	// (KeyringStore) or, with "memory", a MemoryStore; with "memory" the
	// account list is kept in memory too and ConfigDir is not written.
	Store Store

	// AccessTokenFile, when set, is the first source Resolve uses
	// (gcloud's --access-token-file).
	AccessTokenFile string

	// HTTPClient talks to the OAuth endpoints. Nil: a client with a 30 s
	// timeout.
	HTTPClient *http.Client

	// Logger receives events (never secrets). Nil: slog.Default().
	Logger *slog.Logger

	// LoginTimeout bounds the browser sign-in. Zero: 5 minutes.
	LoginTimeout time.Duration

	// RefreshEarly is how long before expiry an access token is replaced.
	// Zero: 60 s. The relay needs a valid token on every (re)connect, so
	// tokens are never handed out this close to expiry.
	RefreshEarly time.Duration

	// Now is the clock. Nil: time.Now.
	Now func() time.Time
}

// LogValue implements slog.LogValuer: a Config holds the client secret.
func (Config) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// keyringMode values for EnvKeyring.
const (
	keyringSystem = "system"
	keyringMemory = "memory"
)

// withDefaults fills empty fields from the environment, link-time values and
// defaults, and checks what it can.
func (c Config) withDefaults() (Config, bool, error) {
	pick := func(field *string, env, def string) {
		if *field != "" {
			return
		}
		if v := os.Getenv(env); v != "" {
			*field = v
			return
		}
		*field = def
	}
	pick(&c.ClientID, EnvClientID, oauthClientID)
	pick(&c.ClientSecret, EnvClientSecret, oauthClientSecret)
	pick(&c.Endpoints.AuthURL, EnvAuthURL, GoogleAuthURL)
	pick(&c.Endpoints.TokenURL, EnvTokenURL, GoogleTokenURL)
	pick(&c.Endpoints.RevokeURL, EnvRevokeURL, GoogleRevokeURL)
	pick(&c.Endpoints.UserinfoURL, EnvUserinfoURL, GoogleUserinfoURL)
	for _, u := range []struct{ name, v string }{
		{"authorization", c.Endpoints.AuthURL},
		{"token", c.Endpoints.TokenURL},
		{"revoke", c.Endpoints.RevokeURL},
		{"userinfo", c.Endpoints.UserinfoURL},
	} {
		if err := checkEndpoint(u.v); err != nil {
			return c, false, fmt.Errorf("%s endpoint %q: %w", u.name, u.v, err)
		}
	}

	memory := false
	switch mode := os.Getenv(EnvKeyring); mode {
	case "", keyringSystem:
	case keyringMemory:
		memory = true
	default:
		return c, false, fmt.Errorf("%s=%q: want %q (OS keyring) or %q (memory only)", EnvKeyring, mode, keyringSystem, keyringMemory)
	}
	if c.Store == nil {
		if memory {
			c.Store = NewMemoryStore()
		} else {
			c.Store = KeyringStore{}
		}
	}
	if c.ConfigDir == "" {
		c.ConfigDir = os.Getenv(EnvConfigDir)
	}
	if c.ConfigDir == "" && !memory {
		dir, err := os.UserConfigDir()
		if err != nil {
			return c, false, fmt.Errorf("find config directory: %w (%s is unset)", err, EnvConfigDir)
		}
		c.ConfigDir = filepath.Join(dir, "iapdesk")
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = 5 * time.Minute
	}
	if c.RefreshEarly <= 0 {
		c.RefreshEarly = 60 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, memory, nil
}

// checkEndpoint accepts https URLs, and http only on loopback (fakes):
// refresh tokens never travel in clear text over a network.
func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("want an https URL (http only for 127.0.0.1 or localhost)")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
