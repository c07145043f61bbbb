package demo

import (
	"context"
	"fmt"
	"strings"

	"iapdesk/app"
	"iapdesk/app/gcetest"
	"iapdesk/app/settings"
)

// Sample profiles Start saves, by name.
const (
	ProfileWebSSH   = "Web shop (SSH)"
	ProfileIISRDP   = "Legacy portal (RDP)"
	ProfilePostgres = "Warehouse Postgres (tunnel)"
	profileIISUser  = "portal-admin"
)

// The demo's Windows logins: every project with Windows VMs sets RDPUser as
// their rdp.username, and the RDP server accepts any password (iapdesk rdp
// --demo uses RDPPassword).
const (
	RDPUser     = "demo-admin"
	RDPPassword = "demo-password"
)

// PostgresVM is the target of ProfilePostgres.
var PostgresVM = app.InstanceRef{Project: "acme-data-platform", Zone: "us-central1-a", Name: "postgres-01"}

// startProfiles saves the demo's settings and sample profiles.
func (w *World) startProfiles(ctx context.Context, login string, projects []gcetest.Project) error {
	// Keys published through metadata are for the ssh.username setting,
	// else for a name derived from the account; the demo SSH server can
	// only log in the OS user, so the projects say so. OS Login projects
	// need nothing: OS Login's account for the demo account is that user.
	for _, p := range projects {
		var s settings.Settings
		if !oslogin(p) {
			s.SSH.Username = settings.Some(login)
		}
		if hasWindows(p) {
			// The demo's RDP server shares this X display: a window of
			// its own size, scaled, shows it rather than a full-screen
			// mirror of itself.
			s.RDP.Username = settings.Some(RDPUser)
			s.RDP.Width, s.RDP.Height = settings.Some(demoRDPWidth), settings.Some(demoRDPHeight)
			s.RDP.ScaleToWindow = settings.Some(true)
		}
		if s.IsEmpty() {
			continue
		}
		if err := w.Profiles.SaveSettings(ctx, settings.ProjectScope(p.ID), s); err != nil {
			return fmt.Errorf("demo: save the settings of %s: %w", p.ID, err)
		}
	}
	samples := []app.Profile{
		{Name: ProfileWebSSH, Target: target(LinuxVM), Protocol: app.ProfileSSH},
		{Name: ProfileIISRDP, Target: target(WindowsVM), Protocol: app.ProfileRDP,
			Settings: settings.Settings{RDP: settings.RDPSettings{Username: settings.Some(profileIISUser), DynamicResolution: settings.Some(true)}}},
		{Name: ProfilePostgres, Target: target(PostgresVM), Protocol: app.ProfilePort, RemotePort: 5432,
			Settings: settings.Settings{Tunnel: settings.TunnelSettings{LocalPort: settings.Some(15432), KeepOpen: settings.Some(true)}}},
	}
	for _, p := range samples {
		saved, err := w.Profiles.Add(ctx, p)
		if err != nil {
			return fmt.Errorf("demo: save profile %q: %w", p.Name, err)
		}
		if p.Protocol == app.ProfileRDP {
			// A saved password, so this profile connects without asking.
			if err := w.Passwords.SetRDPPassword(ctx, app.ProfileSecret(saved.ID), RDPPassword); err != nil {
				return fmt.Errorf("demo: save the password of %q: %w", p.Name, err)
			}
		}
	}
	return nil
}

func target(ref app.InstanceRef) app.ProfileTarget {
	return app.ProfileTarget{Project: ref.Project, Zone: ref.Zone, Instance: ref.Name}
}

// The size of the demo's RDP windows.
const (
	demoRDPWidth  = 1024
	demoRDPHeight = 640
)

// hasWindows reports whether a demo project has Windows VMs.
func hasWindows(p gcetest.Project) bool {
	for _, in := range p.Instances {
		if in.OS == gcetest.Windows {
			return true
		}
	}
	return false
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
