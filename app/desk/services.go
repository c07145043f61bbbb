package desk

import (
	"context"
	"log/slog"
	"os"

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
	Launcher           *platform.Launcher
	Connector          *app.Connector // the one connect policy
	Profiles           *app.Profiles  // saved connections and settings
	Passwords          *app.Credentials
	SSHKeys            *app.SSHKeys
	WindowsCredentials *gce.WindowsCredentialGenerator
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
	o, log := d.opts, d.log
	api := gce.API{TokenSource: ts, HTTPClient: o.HTTPClient, ComputeURL: o.ComputeURL, OSLoginURL: o.OSLoginURL,
		ResourceManagerURL: o.ResourceManagerURL, UserAgent: app.Build().UserAgent()}
	s := &Services{Credentials: desc, Dialer: d.dialer(ts)}
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
	return s, nil
}

// Close shuts the tunnels down and returns when they are closed. Clients
// the user launched (terminals, RDP clients) are left running, without
// their tunnels; Connector.Wait waits until they have exited.
func (s *Services) Close() {
	if s.Tunnels != nil {
		s.Tunnels.Shutdown()
	}
}
