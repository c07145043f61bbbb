package desk

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"iapdesk/app"
	"iapdesk/auth"
	"iapdesk/platform"
	"iapdesk/platform/proxy"
	"iapdesk/tunnel"
)

// Options say where Google's services are and whose credentials to use.
// The zero value is Google's own services, the user's signed-in accounts
// and keyring, and iapdesk's config directory.
type Options struct {
	// Auth configures sign-in and credentials: the OAuth client and its
	// endpoints, where refresh tokens live, --access-token-file.
	Auth auth.Config
	// Account is the signed-in account to use instead of the active one;
	// with Auth.AccessTokenFile, the account the token belongs to (gcloud's
	// --account). Keys are published for it.
	Account string
	// AccountsOnly takes credentials from signed-in accounts only, never
	// from an access token file or Application Default Credentials (the
	// demo: those would be the user's real ones).
	AccountsOnly bool
	// OpenURL opens the browser for a sign-in (platform.OpenURL); nil
	// leaves it to Events.SignInURL.
	OpenURL func(ctx context.Context, url string) error

	// ConfigDir is iapdesk's configuration directory (connections,
	// projects, SSH keys, known_hosts); "" means app.DefaultConfigDir().
	ConfigDir string
	// TempDir holds the launcher's temporary files (.rdp files, terminal
	// scripts); "" means the system's.
	TempDir string
	// Secrets keeps RDP passwords and key passphrases; nil means the OS
	// keyring, or memory with IAPDESK_KEYRING=memory.
	Secrets app.SecretStore

	// ComputeURL, OSLoginURL and ResourceManagerURL are the base URLs of
	// Compute Engine v1 (…/compute/v1/), OS Login v1 and Resource Manager
	// v1; "" means Google's.
	ComputeURL         string
	OSLoginURL         string
	ResourceManagerURL string
	// HTTPClient, if set, makes every Google API call as it is,
	// authorizing it itself (the demo's fakes); the relay still gets the
	// credentials' tokens.
	HTTPClient *http.Client
	// RelayURL, PSCEndpoint and InsecureSkipVerify select the IAP relay
	// (gcloud's --iap-tunnel-url-override, --psc-endpoint,
	// --iap-tunnel-insecure-disable-websocket-cert-check).
	RelayURL           string
	PSCEndpoint        string
	InsecureSkipVerify bool

	// DeviceCertificate says where the device certificate is and whether
	// to use it (certificate-based access); with the mode automatic,
	// Settings → Access decides (preferences.json), and in its automatic
	// mode GOOGLE_API_USE_CLIENT_CERTIFICATE. With a certificate the relay
	// and the APIs move to their mTLS hosts unless an override names them.
	DeviceCertificate auth.DeviceCertificateConfig
	// Proxy, if set, is the proxy setting (the command line's flags,
	// gcloud's CLOUDSDK_PROXY_* variables); nil means Settings → Network
	// (preferences.json, the password in the keyring). A PSC endpoint
	// always bypasses the proxy.
	Proxy *proxy.Settings

	// SSH are the defaults of every SSH connection (app.ConnectorConfig);
	// an empty Username is app.LocalUsername().
	SSH app.SSHParams
	// SSHKeyComment is the comment of iapdesk's generated SSH keys.
	SSHKeyComment string

	// GatewayIdleTimeout is how long a gateway route's tunnel stays open
	// after its last connection (app.GatewayConfig.IdleTimeout); 0 means
	// 5 minutes.
	GatewayIdleTimeout time.Duration

	// Watch reports resumes from sleep and network changes, on which
	// every open tunnel probes its relay connection and resumes at once
	// (app.ResumeOnChange); nil means platform.WatchNetwork.
	Watch app.NetWatcher

	// Events are the services' change callbacks.
	Events Events
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Events are the callbacks through which the app reports changes (the
// window's views.Hub). Each may be nil; none may block.
type Events struct {
	ExplorerChanged func()               // app.ExplorerConfig.OnChange
	TunnelsChanged  func()               // app.TunnelsConfig.OnChange
	SessionEnded    func(s *app.Session) // app.ConnectorConfig.OnSessionEnd
	// SignInURL shows the address of a sign-in before the browser opens
	// (app.AccountsConfig.ShowURL): the command line prints it, the window
	// offers to copy it.
	SignInURL func(url string)
}

// Desk is the root of iapdesk's object graph: the sign-in use case, which
// needs no credentials, and Open, which builds everything else on the
// credentials it resolves.
type Desk struct {
	opts     Options
	log      *slog.Logger
	auth     *auth.Manager
	accounts *app.Accounts
	secrets  app.SecretStore
	dir      string
}

// New builds the sign-in side of the graph. It does no network I/O.
func New(o Options) (*Desk, error) {
	d := &Desk{opts: o, log: o.Logger}
	if d.log == nil {
		d.log = slog.Default()
	}
	if o.Auth.Logger == nil {
		o.Auth.Logger = d.log
	}
	var err error
	if d.auth, err = auth.New(o.Auth); err != nil {
		return nil, err
	}
	var creds app.CredentialResolver = d.auth
	if o.AccountsOnly {
		creds = accountsOnly{d.auth}
	}
	if d.accounts, err = app.NewAccounts(app.AccountsConfig{
		SignIn: d.auth, Directory: d.auth, Credentials: creds, Tokens: d.auth,
		OpenURL: o.OpenURL, ShowURL: o.Events.SignInURL, Logger: d.log,
	}); err != nil {
		return nil, err
	}
	if d.dir = o.ConfigDir; d.dir == "" {
		if d.dir, err = app.DefaultConfigDir(); err != nil {
			return nil, err
		}
	}
	if d.secrets = o.Secrets; d.secrets == nil {
		d.secrets = auth.KeyringStore{}
		if os.Getenv(auth.EnvKeyring) == "memory" {
			d.secrets = auth.NewMemoryStore()
		}
	}
	return d, nil
}

// Accounts is the sign-in use case: sign in, list, switch, sign out.
func (d *Desk) Accounts() *app.Accounts { return d.accounts }

// ConfigDir is the configuration directory the services use.
func (d *Desk) ConfigDir() string { return d.dir }

// credentials resolves the token source Open builds on: Options.Account's,
// or else what Accounts.TokenSource picks.
func (d *Desk) credentials(ctx context.Context) (oauth2.TokenSource, auth.Description, error) {
	acct := strings.ToLower(d.opts.Account)
	if acct == "" || d.opts.Auth.AccessTokenFile != "" {
		ts, desc, err := d.accounts.TokenSource(ctx)
		if err == nil && acct != "" {
			desc.Account = acct // whose the token file is: keys are published for them
		}
		return ts, desc, err
	}
	ts, err := d.auth.TokenSource(ctx, acct)
	if err != nil {
		return nil, auth.Description{}, &app.UserError{What: "No usable Google credentials",
			Why: fmt.Sprintf("%s is not signed in", acct), Fix: "Sign in: iapdesk auth login " + acct, Err: err}
	}
	return ts, auth.Description{Kind: auth.SourceAccount, Account: acct}, nil
}

// accountsOnly resolves the active signed-in account only: unlike
// auth.Manager.Resolve it never falls back to an access token file or
// Application Default Credentials.
type accountsOnly struct{ m *auth.Manager }

// Resolve returns the active account's token source.
func (a accountsOnly) Resolve(ctx context.Context) (oauth2.TokenSource, auth.Description, error) {
	acct, err := a.m.Active(ctx)
	if errors.Is(err, auth.ErrNotSignedIn) {
		return nil, auth.Description{}, fmt.Errorf("no signed-in account: %w", auth.ErrNoCredentials)
	}
	if err != nil {
		return nil, auth.Description{}, err
	}
	ts, err := a.m.TokenSource(ctx, acct.Email)
	if err != nil {
		return nil, auth.Description{}, err
	}
	return ts, auth.Description{Kind: auth.SourceAccount, Account: acct.Email}, nil
}

// Dialer resolves the credentials (as Open does) and returns the relay
// dialer on them, for a command that needs only tunnels (`iapdesk
// tunnel`).
func (d *Desk) Dialer(ctx context.Context) (*tunnel.Dialer, error) {
	ts, desc, err := d.credentials(ctx)
	if err != nil {
		return nil, err
	}
	d.log.Info("using credentials", slog.String("source", desc.String()))
	n, err := d.network(ctx)
	if err != nil {
		return nil, err
	}
	return d.dialer(ts, n), nil
}

// Watcher is what reports resumes from sleep and network changes
// (Options.Watch, else platform.WatchNetwork), for a command that runs
// its own tunnels (`iapdesk tunnel`).
func (d *Desk) Watcher() app.NetWatcher {
	if d.opts.Watch != nil {
		return d.opts.Watch
	}
	return platform.WatchNetwork
}

// dialer is the relay dialer for the options' endpoint and ts, through
// the network n decided on (the mTLS host, the device certificate, the
// proxy).
func (d *Desk) dialer(ts oauth2.TokenSource, n *network) *tunnel.Dialer {
	t := &tunnel.Dialer{
		TokenSource: ts,
		URL:         n.relayURL,
		PSCEndpoint: d.opts.PSCEndpoint,
		UserAgent:   app.Build().UserAgent(),
		Logger:      d.log,
		Proxy:       n.proxy.Proxy,
	}
	if n.cert != nil {
		t.GetClientCertificate = n.cert.GetClientCertificate
	}
	if d.opts.InsecureSkipVerify {
		t.TLSConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it, as in gcloud
	}
	return t
}
