package demo

import (
	"context"
	"fmt"
	"strings"

	"iapdesk/app"
	"iapdesk/app/gcetest"
	"iapdesk/auth/authtest"
)

// Sample profiles Start saves, by name.
const (
	ProfileWebSSH      = "Web shop (SSH)"
	ProfileIISRDP      = "Legacy portal (RDP)"
	ProfilePostgres    = "Warehouse Postgres (tunnel)"
	profileIISUser     = "portal-admin"
	profileIISPassword = "demo-password" // any password opens the demo's RDP server
)

// PostgresVM is the target of ProfilePostgres.
var PostgresVM = app.InstanceRef{Project: "acme-data-platform", Zone: "us-central1-a", Name: "postgres-01"}

// startProfiles builds the saved connections, settings and credentials of
// the demo in configDir and memory, then saves its settings and samples.
func (w *World) startProfiles(ctx context.Context, configDir, login string, projects []gcetest.Project) error {
	var err error
	if w.Store, err = app.NewConfigStore(app.ConfigStoreConfig{Dir: configDir, Logger: w.log}); err != nil {
		return err
	}
	// Never the OS keyring: the demo's passwords stay in this process.
	if w.Credentials, err = app.NewCredentials(authtest.NewMemStore()); err != nil {
		return err
	}
	if w.Profiles, err = app.NewProfiles(app.ProfilesConfig{Store: w.Store, Credentials: w.Credentials}); err != nil {
		return err
	}
	if w.SSHKeys, err = app.NewSSHKeys(app.SSHKeysConfig{Dir: configDir, Credentials: w.Credentials, Comment: "iapdesk-demo"}); err != nil {
		return err
	}
	if w.SSHPublisher, err = app.NewSSHPublisher(ctx, app.SSHPublisherConfig{
		ComputeOptions: w.gce.ComputeOptions(), OSLoginOptions: w.gce.OSLoginOptions(), Logger: w.log,
	}); err != nil {
		return err
	}
	if w.WindowsCredentials, err = app.NewWindowsCredentialGenerator(ctx, app.WindowsCredentialsConfig{
		Options: w.gce.ComputeOptions(), Logger: w.log,
	}); err != nil {
		return err
	}

	// Keys published through metadata are for the ssh.username setting,
	// else for a name derived from the account; the demo SSH server can
	// only log in the OS user, so the projects say so. OS Login projects
	// need nothing: OS Login's account for the demo account is that user.
	for _, p := range projects {
		if oslogin(p) {
			continue
		}
		s := app.Settings{SSH: app.SSHSettings{Username: app.Some(login)}}
		if err := w.Profiles.SaveSettings(ctx, app.ProjectScope(p.ID), s); err != nil {
			return fmt.Errorf("demo: save the settings of %s: %w", p.ID, err)
		}
	}
	samples := []app.Profile{
		{Name: ProfileWebSSH, Target: target(LinuxVM), Protocol: app.ProfileSSH},
		{Name: ProfileIISRDP, Target: target(WindowsVM), Protocol: app.ProfileRDP,
			Settings: app.Settings{RDP: app.RDPSettings{Username: app.Some(profileIISUser), DynamicResolution: app.Some(true)}}},
		{Name: ProfilePostgres, Target: target(PostgresVM), Protocol: app.ProfilePort, RemotePort: 5432,
			Settings: app.Settings{Tunnel: app.TunnelSettings{LocalPort: app.Some(15432), KeepOpen: app.Some(true)}}},
	}
	for _, p := range samples {
		saved, err := w.Profiles.Add(ctx, p)
		if err != nil {
			return fmt.Errorf("demo: save profile %q: %w", p.Name, err)
		}
		if p.Protocol == app.ProfileRDP {
			// A saved password, so this profile connects without asking.
			if err := w.Credentials.SetRDPPassword(ctx, app.ProfileSecret(saved.ID), profileIISPassword); err != nil {
				return fmt.Errorf("demo: save the password of %q: %w", p.Name, err)
			}
		}
	}
	return nil
}

func target(ref app.InstanceRef) app.Target {
	return app.Target{Project: ref.Project, Zone: ref.Zone, Instance: ref.Name}
}

// oslogin reports whether a demo project enables OS Login.
func oslogin(p gcetest.Project) bool {
	for _, m := range p.Metadata {
		if m.Key == "enable-oslogin" && strings.EqualFold(m.Value, "true") {
			return true
		}
	}
	return false
}
