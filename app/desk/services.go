package desk

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"iapdesk/app"
	"iapdesk/app/gce"
	"iapdesk/auth"
	"iapdesk/platform"
	"iapdesk/tunnel"
)

// Services are the app objects built on one set of credentials. Close
// releases them.
type Services struct {
	// Credentials says whose credentials they use.
	Credentials auth.Description

	Compute            *gce.Compute         // VMs: list, read, power, serial port
	ProjectSearch      *gce.ResourceManager // the projects the user can add
	Projects           *app.ProjectStore    // the projects the explorer shows
	Explorer           *app.Explorer        // not loaded yet: call Refresh
	Dialer             *tunnel.Dialer       // the IAP relay, with the credentials' tokens
	Tunnels            *app.Tunnels
	Gateway            *app.Gateway   // `iapdesk gateway`: not serving until Serve
	SSHConfig          *app.SSHConfig // `iapdesk ssh-config`: ~/.ssh/iapdesk.config; nil without ~ or iapdesk's path
	Tray               *app.TrayPrefs // what closing the window does while tunnels are open
	Launcher           *platform.Launcher
	Connector          *app.Connector // the one connect policy
	Profiles           *app.Profiles  // saved connections and settings
	Passwords          *app.Credentials
	SSHKeys            *app.SSHKeys
	WindowsCredentials *gce.WindowsCredentialGenerator
	// Network says how Google is reached (the device certificate, the
	// proxy), for the status bar and Settings.
	Network NetworkStatus
	net     *network // released by Close
	// SSHClients are the embedded SSH connections: terminal tabs, SFTP
	// panes, `iapdesk scp`; through Connector's policy.
	SSHClients *app.SSHClients

	// stopResume ends the watch for wakes and network changes
	// (app.ResumeOnChange over Tunnels); resumed is closed when it has.
	stopResume context.CancelFunc
	resumed    chan struct{}
}

// Open resolves the credentials (Options.Account's, else an access token
// file, the active account or Application Default Credentials; see
// app.Accounts.TokenSource) and builds the services on them. An error for
// which app.NeedsSignIn is true means nobody is signed in. ctx is used
// only while the clients are built.
func (d *Desk) Open(ctx context.Context) (*Services, error) {
	ts, desc, err := d.credentials(ctx)
	if err != nil {
		return nil, err
	}
	d.log.Info("using credentials", slog.String("source", desc.String()))
	n, err := d.network(ctx)
	if err != nil {
		return nil, err
	}
	o, log := d.opts, d.log
	api := gce.API{TokenSource: ts, HTTPClient: o.HTTPClient, ComputeURL: n.computeURL, OSLoginURL: n.osLoginURL,
		ResourceManagerURL: n.crmURL, UserAgent: app.Build().UserAgent(), Transport: n.apiTransport}
	s := &Services{Credentials: desc, Dialer: d.dialer(ts, n), net: n,
		Network: NetworkStatus{DeviceCertificate: n.certificateDesc, Proxy: n.proxyDescription}}
	if s.Compute, err = gce.NewCompute(ctx, gce.ComputeConfig{API: api, Logger: log}); err != nil {
		return nil, err
	}
	if s.ProjectSearch, err = gce.NewResourceManager(ctx, gce.ResourceManagerConfig{API: api}); err != nil {
		return nil, err
	}
	if s.Projects, err = app.NewProjectStore(app.ProjectStoreConfig{Dir: d.dir}); err != nil {
		return nil, err
	}
	loader, err := app.NewLoader(app.LoaderConfig{Lister: s.Compute, Logger: log})
	if err != nil {
		return nil, err
	}
	if s.Explorer, err = app.NewExplorer(app.ExplorerConfig{Projects: s.Projects, Loader: loader,
		Power: s.Compute, Serial: s.Compute, OnChange: o.Events.ExplorerChanged, Logger: log}); err != nil {
		return nil, err
	}
	if s.Tunnels, err = app.NewTunnels(app.TunnelsConfig{Dialer: s.Dialer, AllowPeer: platform.PeerIsSameUser,
		OnChange: o.Events.TunnelsChanged, Logger: log}); err != nil {
		return nil, err
	}
	if s.Gateway, err = app.NewGateway(app.GatewayConfig{Tunnels: s.Tunnels, Instances: s.Explorer, Reload: s.Explorer.Refresh,
		IdleTimeout: o.GatewayIdleTimeout, AllowPeer: platform.PeerIsSameUser, OnChange: o.Events.TunnelsChanged, Logger: log}); err != nil {
		return nil, err
	}
	if s.Launcher, err = platform.New(platform.Config{Logger: log, ConfigDir: d.dir, TempDir: o.TempDir}); err != nil {
		return nil, err
	}
	if s.Passwords, err = app.NewCredentials(d.secrets); err != nil {
		return nil, err
	}
	store, err := app.NewConfigStore(app.ConfigStoreConfig{Dir: d.dir, Logger: log})
	if err != nil {
		return nil, err
	}
	if s.Profiles, err = app.NewProfiles(app.ProfilesConfig{Store: store, Credentials: s.Passwords}); err != nil {
		return nil, err
	}
	if s.SSHKeys, err = app.NewSSHKeys(app.SSHKeysConfig{Dir: d.dir, Credentials: s.Passwords, Comment: o.SSHKeyComment}); err != nil {
		return nil, err
	}
	publisher, err := gce.NewSSHPublisher(ctx, gce.SSHPublisherConfig{API: api, Logger: log})
	if err != nil {
		return nil, err
	}
	if s.WindowsCredentials, err = gce.NewWindowsCredentialGenerator(ctx, gce.WindowsCredentialsConfig{API: api, Logger: log}); err != nil {
		return nil, err
	}
	sshDefaults := o.SSH
	if sshDefaults.Username == "" {
		sshDefaults.Username = app.LocalUsername()
	}
	exe, _ := os.Executable()
	if s.Connector, err = app.NewConnector(app.ConnectorConfig{
		Tunnels: s.Tunnels, Launcher: s.Launcher, Executable: exe, OnSessionEnd: o.Events.SessionEnded, Logger: log,
		Profiles: s.Profiles, Passwords: s.Passwords, Instances: s.Compute,
		SSHKeys: s.SSHKeys, Publisher: publisher, Account: desc.Account, SSH: sshDefaults,
	}); err != nil {
		return nil, err
	}
	if s.SSHClients, err = app.NewSSHClients(app.SSHClientsConfig{Connector: s.Connector, Dialer: s.Dialer,
		Passwords: s.Passwords, KnownHostsFile: filepath.Join(d.dir, "known_hosts"),
		OnChange: o.Events.TunnelsChanged, Logger: log}); err != nil {
		return nil, err
	}
	if exe != "" {
		if s.SSHConfig, err = app.NewSSHConfig(app.SSHConfigConfig{Connector: s.Connector, Executable: exe,
			KnownHostsFile: filepath.Join(d.dir, "known_hosts"), Logger: log}); err != nil {
			log.Warn("ssh config cannot be written", slog.Any("error", err))
		}
	}
	s.Tray = app.NewTrayPrefs(d.dir)
	s.watchNetwork(d.Watcher(), log)
	return s, nil
}

// Close shuts the tunnels down and returns when they are closed. Clients
// the user launched (terminals, RDP clients) are left running, without
// their tunnels; Connector.Wait waits until they have exited.
func (s *Services) Close() {
	if s.stopResume != nil {
		s.stopResume()
		<-s.resumed
	}
	if s.SSHClients != nil {
		s.SSHClients.Shutdown()
	}
	if s.Tunnels != nil {
		s.Tunnels.Shutdown()
	}
	s.net.close()
}

// NetworkStatus describes how the services reach Google.
type NetworkStatus struct {
	// DeviceCertificate describes the device certificate offered to the
	// relay and the APIs (certificate-based access), "" for none.
	DeviceCertificate string
	// Proxy describes the proxy setting in force, e.g. "system
	// (environment)", "PAC file https://…".
	Proxy string
}
