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

	"iapdesk/app"
	"iapdesk/app/desk"
	"iapdesk/app/gcetest"
	"iapdesk/auth"
	"iapdesk/auth/authtest"
	"iapdesk/platform/atomicfile"
	"iapdesk/platform/proxy"
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
	// Events are the app objects' change callbacks (desk.Events), for the
	// services Start opens and those Desk opens later.
	Events desk.Events
	// Logger receives the app's events; the fakes log only warnings to it.
	// Nil means slog.Default().
	Logger *slog.Logger
}

// World is a running demo: iapdesk's composition root (Desk) pointed at
// fakes of Google's services, signed in as Account, and the services Start
// opened on it (the embedded Services: tunnels, connector, explorer, saved
// connections, …), ready to use. Close stops everything.
type World struct {
	// Dir is the demo's private temporary directory (configuration, SSH
	// keys, known_hosts, logs); Close removes it.
	Dir string

	// Desk builds the app on the fakes: its Accounts are the demo's, and
	// each Open makes services as Start's (the window opens its own).
	Desk *desk.Desk
	*desk.Services
	// SSH are the settings that log in to the demo SSH server without
	// publishing a key: the current OS user, the demo key, a known_hosts
	// file trusting the server as every VM. The connector's defaults take
	// known_hosts and host key checking from it.
	SSH app.SSHParams
	// SSHServer says which server Linux VMs reach: "sshd" or "built-in".
	SSHServer string

	log   *slog.Logger
	oauth *authtest.Server
	gce   *gcetest.Server
	relay *relaytest.Server
	sshd  *systemSSHServer
	ssh   *builtinSSH
	web   *webServer
	pg    *postgresServer
	rdp   *rdpShadow
	stop  context.CancelFunc // ends the RDP server's start
	// apiToken is the fake APIs' per-run bearer token: only this process
	// and the sshd's AuthorizedKeysCommand (through a 0600 file in Dir)
	// know it.
	apiToken secret

	// mu guards stalled and closed.
	mu      sync.Mutex
	stalled []net.Conn // StallTunnel's connections
	closed  bool

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
	authCfg := auth.Config{
		ClientID: w.oauth.ClientID, ClientSecret: w.oauth.ClientSecret, Endpoints: w.oauth.Endpoints(),
		ConfigDir: configDir, Store: authtest.NewMemStore(), Logger: quiet,
	}

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
		// The app's API clients send AccessToken (the fake's HTTP client,
		// desk.Options.API); the demo account's OAuth token is good too.
		AccessToken: string(w.apiToken),
		CheckToken:  func(tok string) bool { _, ok := w.oauth.CheckAccessToken(tok); return ok },
	}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	tokenFile := filepath.Join(dir, "api-token")
	if err := atomicfile.Write(tokenFile, []byte(w.apiToken)); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	vms := map[string]gcetest.OS{}
	var linux []app.InstanceRef
	for _, p := range projects {
		for _, in := range p.Instances {
			vms[vmKey(p.ID, in.Zone, in.Name)] = in.OS
			if in.OS == gcetest.Linux {
				linux = append(linux, app.InstanceRef{Project: p.ID, Zone: in.Zone, Name: in.Name})
			}
		}
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
	w.pg = startPostgresServer()
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
	rt := &router{gce: w.gce, vms: vms, ssh: sshDial, web: w.web, pg: w.pg, rdp: w.rdp}

	// The relay, then the app on top of the fakes: the composition root
	// with the fakes' endpoints, the demo's directory and a memory keyring.
	w.relay = relaytest.NewServer(relaytest.Config{
		CheckToken: func(tok string) bool { _, ok := w.oauth.CheckAccessToken(tok); return ok },
		Dial:       rt.dial,
		Logger:     quiet,
	})
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	w.SSH = app.SSHParams{Username: login, KeyFile: keys.userKey, KnownHostsFile: keys.knownHosts, StrictHostKeyChecking: "yes"}
	events := cfg.Events
	events.SignInURL = nil // the demo's browser (authtest.Visit) needs no address shown
	if w.Desk, err = desk.New(desk.Options{
		Auth: authCfg, AccountsOnly: true,
		OpenURL:   func(ctx context.Context, url string) error { _, _, err := authtest.Visit(ctx, url); return err },
		ConfigDir: configDir, TempDir: tmp,
		// Never the OS keyring: the demo's passwords stay in this process.
		Secrets: authtest.NewMemStore(),
		// The app's API clients send the fakes' bearer token (the fake's
		// HTTP client); the relay wants the demo account's OAuth token.
		HTTPClient: w.gce.HTTPClient(), ComputeURL: w.gce.URL + "/compute/v1/",
		OSLoginURL: w.gce.URL + "/", ResourceManagerURL: w.gce.URL + "/",
		RelayURL: w.relay.URL,
		// The demo's relay wants no device certificate and is on
		// loopback: neither the user's certificate nor their proxy.
		DeviceCertificate: auth.DeviceCertificateConfig{Mode: auth.CertificateOff},
		Proxy:             &proxy.Settings{Mode: proxy.ModeDirect},
		// Published keys log in as the OS user (the ssh.username setting or
		// OS Login); the demo server is every VM in known_hosts.
		SSH:           app.SSHParams{Username: login, KnownHostsFile: keys.knownHosts, StrictHostKeyChecking: "yes"},
		SSHKeyComment: "iapdesk-demo",
		Events:        events,
		Logger:        log,
	}); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if _, err := w.Desk.Accounts().SignIn(ctx, Account); err != nil {
		return nil, fmt.Errorf("demo: sign in: %w", err)
	}
	if w.Services, err = w.Desk.Open(ctx); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	infos := make([]app.ProjectInfo, 0, len(projects))
	for _, p := range projects {
		infos = append(infos, app.ProjectInfo{ID: p.ID, Name: p.Name})
	}
	if err := w.Projects.Add(ctx, infos...); err != nil {
		return nil, err
	}
	if err := w.startProfiles(ctx, login, projects); err != nil {
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

// Close closes the tunnels, stops the servers and daemons and removes Dir;
// it returns when all of it has stopped. Clients the user launched
// (terminals, RDP clients) are left alone: they lose their connection.
func (w *World) Close() {
	w.closeOnce.Do(func() {
		w.closeStalled()
		if w.Services != nil {
			w.Services.Close()
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
		if w.pg != nil {
			w.pg.close()
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
