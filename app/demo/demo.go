package demo

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"iapdesk/app"
	"iapdesk/app/gcetest"
	"iapdesk/auth"
	"iapdesk/auth/authtest"
	"iapdesk/platform"
	"iapdesk/platform/atomicfile"
	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// Account is the demo's signed-in Google account.
const Account = "demo@acme.example"

// VMs the screenshot script and the README use.
var (
	WindowsVM = app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "iis-prod-01"}
	LinuxVM   = app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "web-prod-01"}
)

// SSH servers Config.SSHServer selects.
const (
	SSHAuto    = ""        // the system sshd if present, else the built-in server
	SSHSystem  = "system"  // OpenSSH's sshd; Start fails without it
	SSHBuiltin = "builtin" // the in-process server (golang.org/x/crypto/ssh)
)

// Config configures the demo world. The zero value is the full demo.
type Config struct {
	// SSHServer picks what Linux VMs' port 22 reaches: SSHAuto,
	// SSHSystem or SSHBuiltin.
	SSHServer string
	// Display is the X display freerdp-shadow-cli serves to Windows VMs'
	// port 3389; "" means $DISPLAY. Without a display (or without
	// freerdp-shadow-cli) the port is closed and the relay answers 4003,
	// as for a VM without a firewall rule.
	Display string
	// NoRDP leaves every Windows VM's port 3389 closed.
	NoRDP bool
	// OnExplorerChange, OnTunnelsChange and OnSessionEnd are the app
	// objects' change callbacks (app.ExplorerConfig.OnChange,
	// app.TunnelsConfig.OnChange, app.ConnectorConfig.OnSessionEnd).
	OnExplorerChange func()
	OnTunnelsChange  func()
	OnSessionEnd     func(*app.Session)
	// Logger receives the app's events; the fakes log only warnings to it.
	// Nil means slog.Default().
	Logger *slog.Logger
}

// World is a running demo: the app's use cases wired to fakes. Its fields
// are ready to use; Close stops everything.
type World struct {
	// Dir is the demo's private temporary directory (configuration, SSH
	// keys, known_hosts, logs); Close removes it.
	Dir string

	Auth            *auth.Manager // demo OAuth server, in-memory token store
	Accounts        *app.Accounts // signed in as Account
	Compute         *app.Compute
	ResourceManager *app.ResourceManager
	Projects        *app.ProjectStore // holds the demo projects
	Explorer        *app.Explorer     // not loaded yet: call Refresh
	Dialer          *tunnel.Dialer    // to the fake relay, with the active account's token
	Tunnels         *app.Tunnels
	Launcher        *platform.Launcher // configuration in Dir
	Connector       *app.Connector
	// SSH are the settings that log in to the demo SSH server without
	// publishing a key: the current OS user, the demo key, a known_hosts
	// file trusting the server as every VM.
	SSH app.SSHParams

	// Saved connections, settings and credentials, in Dir and memory only:
	// Store is Dir/config/connections.json, Credentials a memory keyring,
	// SSHKeys generates into Dir/config/ssh. SSHPublisher and
	// WindowsCredentials talk to the fake Compute and OS Login APIs, whose
	// published keys the demo SSH server accepts and whose Windows agent
	// answers. Start saves the demo's settings (ssh.username, the login
	// name, on projects without OS Login) and a few sample profiles.
	Store              *app.ConfigStore
	Credentials        *app.Credentials
	Profiles           *app.Profiles
	SSHKeys            *app.SSHKeys
	SSHPublisher       *app.SSHPublisher
	WindowsCredentials *app.WindowsCredentialGenerator
	// SSHServer says which server Linux VMs reach: "sshd" or "built-in".
	SSHServer string

	log    *slog.Logger
	oauth  *authtest.Server
	gce    *gcetest.Server
	relay  *relaytest.Server
	sshd   *systemSSHServer
	ssh    *builtinSSH
	web    *webServer
	rdp    *rdpShadow
	stop   context.CancelFunc // ends the RDP server's start
	tokens oauth2.TokenSource
	// apiToken is the fake APIs' per-run bearer token: only this process
	// and the sshd's AuthorizedKeysCommand (through a 0600 file in Dir)
	// know it.
	apiToken secret

	closeOnce sync.Once
}

// Start builds the demo world. ctx bounds only the start.
func Start(ctx context.Context, cfg Config) (w *World, err error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	quiet := slog.New(warnOnly{log.Handler()})
	dir, err := os.MkdirTemp("", "iapdesk-demo-")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	w = &World{Dir: dir, log: log}
	world := w // a failed return sets w to nil before this runs
	defer func() {
		if err != nil {
			world.Close()
			w = nil
		}
	}()
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	configDir := filepath.Join(dir, "config")

	// Every fake listens on loopback, where any local user can connect: each
	// wants a secret only this process holds. The fake APIs want a bearer
	// token; the OAuth server hands out tokens only to its client, whose ID
	// and secret are this run's, and has no metadata server (which gives
	// any caller a token); the relay wants a token from that OAuth server.
	if w.apiToken, err = newSecret(); err != nil {
		return nil, err
	}
	clientID, err := newSecret()
	if err != nil {
		return nil, err
	}
	clientSecret, err := newSecret()
	if err != nil {
		return nil, err
	}

	// Google sign-in: the fake OAuth server approves at once, and a
	// browser without a human (authtest.Visit) follows its redirect.
	w.oauth = authtest.NewUnstartedServer()
	w.oauth.ClientID = "iapdesk-demo-" + string(clientID) + ".apps.googleusercontent.com"
	w.oauth.ClientSecret = "GOCSPX-" + string(clientSecret)
	w.oauth.SetMetadataServer(false)
	w.oauth.SetEmail(Account)
	w.oauth.Start()
	if w.Auth, err = auth.New(auth.Config{
		ClientID: w.oauth.ClientID, ClientSecret: w.oauth.ClientSecret, Endpoints: w.oauth.Endpoints(),
		ConfigDir: configDir, Store: authtest.NewMemStore(), Logger: quiet,
	}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	creds := credentials{w.Auth}
	if w.Accounts, err = app.NewAccounts(app.AccountsConfig{
		SignIn: w.Auth, Directory: w.Auth, Credentials: creds, Tokens: w.Auth,
		OpenURL: func(ctx context.Context, url string) error { _, _, err := authtest.Visit(ctx, url); return err },
		Logger:  log,
	}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if _, err := w.Accounts.SignIn(ctx, Account); err != nil {
		return nil, fmt.Errorf("demo: sign in: %w", err)
	}
	w.tokens = activeTokens{creds}

	// Compute Engine, Resource Manager and OS Login, whose POSIX account
	// for the demo account is the OS user: the only one the demo SSH
	// server can log in.
	login, err := loginName()
	if err != nil {
		return nil, err
	}
	projects := gcetest.Demo()
	if w.gce, err = gcetest.NewServer(gcetest.Config{Projects: projects, OperationDelay: operationDelay, Logger: quiet,
		OSLoginUsers: []gcetest.OSLoginUser{{Email: Account, Username: login}},
		// The app's clients send AccessToken (ComputeOptions); the headless
		// commands send the demo account's OAuth token (HeadlessConfig).
		AccessToken: string(w.apiToken),
		CheckToken:  func(tok string) bool { _, ok := w.oauth.CheckAccessToken(tok); return ok },
	}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	tokenFile := filepath.Join(dir, "api-token")
	if err := atomicfile.Write(tokenFile, []byte(w.apiToken)); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if w.Compute, err = app.NewCompute(ctx, app.ComputeConfig{Options: w.gce.ComputeOptions(), Logger: log}); err != nil {
		return nil, err
	}
	if w.ResourceManager, err = app.NewResourceManager(ctx, app.ResourceManagerConfig{Options: w.gce.ResourceManagerOptions()}); err != nil {
		return nil, err
	}
	if w.Projects, err = app.NewProjectStore(app.ProjectStoreConfig{Dir: configDir}); err != nil {
		return nil, err
	}
	infos := make([]app.ProjectInfo, 0, len(projects))
	vms := map[string]gcetest.OS{}
	var linux []app.InstanceRef
	for _, p := range projects {
		infos = append(infos, app.ProjectInfo{ID: p.ID, Name: p.Name})
		for _, in := range p.Instances {
			vms[vmKey(p.ID, in.Zone, in.Name)] = in.OS
			if in.OS == gcetest.Linux {
				linux = append(linux, app.InstanceRef{Project: p.ID, Zone: in.Zone, Name: in.Name})
			}
		}
	}
	if err := w.Projects.Add(ctx, infos...); err != nil {
		return nil, err
	}
	loader, err := app.NewLoader(app.LoaderConfig{Lister: w.Compute, Logger: log})
	if err != nil {
		return nil, err
	}
	if w.Explorer, err = app.NewExplorer(app.ExplorerConfig{
		Projects: w.Projects, Loader: loader, Power: w.Compute, Serial: w.Compute,
		OnChange: cfg.OnExplorerChange, Logger: log,
	}); err != nil {
		return nil, err
	}

	// What the VMs' ports reach.
	sshDir := filepath.Join(dir, "ssh")
	keys, err := newSSHKeys(sshDir)
	if err != nil {
		return nil, fmt.Errorf("demo: ssh keys: %w", err)
	}
	sshDial, err := w.startSSH(ctx, cfg.SSHServer, sshdConfig{dir: sshDir, keys: keys, vms: linux, login: login, gceURL: w.gce.URL, tokenFile: tokenFile})
	if err != nil {
		return nil, err
	}
	w.web = startWebServer()
	var rdpCtx context.Context
	rdpCtx, w.stop = context.WithCancel(context.Background())
	display := cfg.Display
	if display == "" {
		display = os.Getenv("DISPLAY")
	}
	if cfg.NoRDP {
		display = ""
	}
	w.rdp = &rdpShadow{display: display, home: filepath.Join(dir, "rdp"), log: log, ctx: rdpCtx}
	rt := &router{gce: w.gce, vms: vms, ssh: sshDial, web: w.web, rdp: w.rdp}

	// The relay, and the app's tunnels and connector on top of it.
	w.relay = relaytest.NewServer(relaytest.Config{
		CheckToken: func(tok string) bool { _, ok := w.oauth.CheckAccessToken(tok); return ok },
		Dial:       rt.dial,
		Logger:     quiet,
	})
	w.Dialer = &tunnel.Dialer{TokenSource: w.tokens, URL: w.relay.URL, UserAgent: app.Build().UserAgent(), Logger: log}
	if w.Tunnels, err = app.NewTunnels(app.TunnelsConfig{
		Dialer: w.Dialer, AllowPeer: platform.PeerIsSameUser, OnChange: cfg.OnTunnelsChange, Logger: log,
	}); err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	if w.Launcher, err = platform.New(platform.Config{Logger: log, ConfigDir: configDir, TempDir: tmp}); err != nil {
		return nil, err
	}
	exe, _ := os.Executable()
	if w.Connector, err = app.NewConnector(app.ConnectorConfig{
		Tunnels: w.Tunnels, Launcher: w.Launcher, Executable: exe, OnSessionEnd: cfg.OnSessionEnd, Logger: log,
	}); err != nil {
		return nil, err
	}
	w.SSH = app.SSHParams{Username: login, KeyFile: keys.userKey, KnownHostsFile: keys.knownHosts, StrictHostKeyChecking: "yes"}
	if err := w.startProfiles(ctx, configDir, login, projects); err != nil {
		return nil, err
	}
	log.Info("demo started", slog.String("dir", dir), slog.String("ssh_server", w.SSHServer), slog.String("relay", w.relay.URL))
	return w, nil
}

// operationDelay is how long start, stop and reset take in the demo: long
// enough to see the progress indicator.
const operationDelay = 1500 * time.Millisecond

// startSSH starts the SSH server kind asks for and returns how the relay
// connects to a Linux VM's port 22 on it.
func (w *World) startSSH(ctx context.Context, kind string, c sshdConfig) (func(context.Context, app.InstanceRef) (net.Conn, error), error) {
	if kind == SSHAuto || kind == SSHSystem {
		s, err := startSystemSSHD(ctx, c)
		if err == nil {
			w.sshd, w.SSHServer = s, "sshd"
			return s.dial, nil
		}
		if kind == SSHSystem {
			return nil, fmt.Errorf("demo: %w", err)
		}
		w.log.Info("using the built-in ssh server", slog.Any("reason", err))
	} else if kind != SSHBuiltin {
		return nil, fmt.Errorf("demo: ssh server %q: want %q, %q or empty", kind, SSHSystem, SSHBuiltin)
	}
	w.ssh, w.SSHServer = startBuiltinSSH(c.keys, c.login, w.gce, w.log), "built-in"
	return w.ssh.dial, nil
}

// loginName is the current OS user's login name: the demo SSH server lets
// only that user in, with the demo key.
func loginName() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("demo: current user: %w", err)
	}
	return u.Username, nil
}

// Instance finds a demo VM by name, in any project.
func (w *World) Instance(ctx context.Context, name string) (app.Instance, error) {
	ps, err := w.Projects.Projects(ctx)
	if err != nil {
		return app.Instance{}, err
	}
	for _, p := range ps {
		l, err := w.Compute.ListInstances(ctx, p.ID)
		if err != nil {
			continue // the project with the API disabled
		}
		for _, in := range l.Instances {
			if in.Name == name {
				return in, nil
			}
		}
	}
	return app.Instance{}, fmt.Errorf("demo vm %q: %w", name, app.ErrInstanceNotFound)
}

// HeadlessConfig points the headless commands (`iapdesk ssh --demo`) at the
// demo's relay and Compute API, with the demo account's token.
func (w *World) HeadlessConfig() app.HeadlessConfig {
	return app.HeadlessConfig{
		URLOverride:     w.relay.URL,
		ComputeEndpoint: w.gce.URL + "/compute/v1/",
		Tokens:          w.tokens,
		Logger:          w.log,
	}
}

// Close closes the tunnels, stops the servers and daemons and removes Dir;
// it returns when all of it has stopped. Clients the user launched
// (terminals, RDP clients) are left alone: they lose their connection.
func (w *World) Close() {
	w.closeOnce.Do(func() {
		if w.Tunnels != nil {
			w.Tunnels.Shutdown()
		}
		if w.relay != nil {
			w.relay.Close()
		}
		if w.stop != nil {
			w.stop()
		}
		w.rdp.close()
		if w.sshd != nil {
			w.sshd.close()
		}
		if w.ssh != nil {
			w.ssh.close()
		}
		if w.web != nil {
			w.web.close()
		}
		if w.gce != nil {
			w.gce.Close()
		}
		if w.oauth != nil {
			w.oauth.Close()
		}
		if err := os.RemoveAll(w.Dir); err != nil {
			w.log.Warn("demo directory not removed", slog.String("dir", w.Dir), slog.Any("error", err))
		}
	})
}
