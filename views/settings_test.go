package views

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"iapdesk/app"
	"iapdesk/app/settings"
)

// TestSettingsDialogSourcesAndReset: a VM's settings dialog shows each
// value with where it comes from (the project, the default), a value typed
// there is "set here" with Reset enabled, Reset takes the inherited value
// back, and Save writes only what is set at the VM's level.
func TestSettingsDialogSourcesAndReset(t *testing.T) {
	tw := newSavedWorld(t)
	ctx := context.Background()
	project := settings.Settings{RDP: settings.RDPSettings{Username: settings.Some("proj-admin")}}
	if err := tw.profiles.SaveSettings(ctx, settings.ProjectScope(windowsVM.Project), project); err != nil {
		t.Fatal(err)
	}
	tw.expand(windowsVM)
	test.TapSecondary(tw.row(t, app.InstanceNode(windowsVM)))
	tw.tapMenuItem(t, tw.w.instanceMenu(tw.instance(t, windowsVM)), "Settings…")
	tw.idle()
	ed := tw.w.openSettings
	if ed == nil || ed.level != settings.SourceInstance {
		t.Fatalf("Settings… opened %+v, want the VM level", ed)
	}
	user, full := ed.rows["rdp.username"], ed.rows["rdp.fullScreen"]
	tests := []struct {
		name       string
		row        *settingRow
		wantSource string
		wantReset  bool
	}{
		{"inherited", user, "inherited from project " + windowsVM.Project, false},
		{"default", full, "default", false},
	}
	for _, tc := range tests {
		if tc.row.source.Text != tc.wantSource || tc.row.reset.Disabled() == tc.wantReset {
			t.Errorf("%s: source %q reset enabled %v, want %q %v", tc.name, tc.row.source.Text, !tc.row.reset.Disabled(), tc.wantSource, tc.wantReset)
		}
	}
	if user.entry.Text != "proj-admin" {
		t.Errorf("rdp.username shows %q, want the project's proj-admin", user.entry.Text)
	}

	user.entry.SetText("vm-admin")
	full.check.SetChecked(true)
	for key, r := range map[string]*settingRow{"rdp.username": user, "rdp.fullScreen": full} {
		if r.source.Text != "set here" || r.reset.Disabled() {
			t.Errorf("after editing %s: source %q reset enabled %v, want set here and enabled", key, r.source.Text, !r.reset.Disabled())
		}
	}
	test.Tap(user.reset)
	if user.entry.Text != "proj-admin" || user.source.Text != "inherited from project "+windowsVM.Project || !user.reset.Disabled() {
		t.Errorf("after Reset: %q from %q (reset enabled %v), want proj-admin inherited again", user.entry.Text, user.source.Text, !user.reset.Disabled())
	}

	test.Tap(button(t, tw.topOverlay(t), "Save"))
	tw.idle()
	layers, err := tw.profiles.Layers(ctx, windowsVM, "")
	if err != nil {
		t.Fatal(err)
	}
	vm := levelSettings(layers, settings.SourceInstance)
	if vm.RDP.Username.IsSet() || !vm.RDP.FullScreen.Value() {
		t.Errorf("saved VM level: username set %v, full screen %v; want the username inherited and full screen on", vm.RDP.Username.IsSet(), vm.RDP.FullScreen.Value())
	}
	if got := settings.Resolve(layers...).Settings.RDP.Username.Value(); got != "proj-admin" {
		t.Errorf("effective username = %q, want proj-admin", got)
	}
}

// TestSettingsDialogLevels: project and zone menus open their level, a
// profile's menu opens the profile level over its VM's, and an invalid
// value typed is not saved.
func TestSettingsDialogLevels(t *testing.T) {
	tw := newSavedWorld(t)
	ctx := context.Background()
	p, err := tw.profiles.Add(ctx, app.Profile{Name: "Web", Protocol: app.ProfileSSH,
		Target: app.ProfileTarget{Project: linuxVM.Project, Zone: linuxVM.Zone, Instance: linuxVM.Name}})
	if err != nil {
		t.Fatal(err)
	}
	zone := settings.Settings{Tunnel: settings.TunnelSettings{LocalPort: settings.Some(2200)}}
	if err := tw.profiles.SaveSettings(ctx, settings.ZoneScope(linuxVM.Project, linuxVM.Zone), zone); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		level      settingsLevel
		wantLevel  settings.Source
		wantPort   string
		wantSource string
	}{
		{"project", settingsLevel{scope: settings.ProjectScope(linuxVM.Project)}, settings.SourceProject, "", "default"}, // 0: "any free port"
		{"zone", settingsLevel{scope: settings.ZoneScope(linuxVM.Project, linuxVM.Zone)}, settings.SourceZone, "2200", "set here"},
		{"profile", settingsLevel{profile: p}, settings.SourceProfile, "2200", "inherited from zone " + linuxVM.Zone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tw.w.showSettings(tc.level)
			tw.idle()
			ed := tw.w.openSettings
			r := ed.rows["tunnel.localPort"]
			if ed.level != tc.wantLevel || r.entry.Text != tc.wantPort || r.source.Text != tc.wantSource {
				t.Errorf("%s: level %v shows local port %q from %q, want %v %q %q", tc.name, ed.level, r.entry.Text, r.source.Text, tc.wantLevel, tc.wantPort, tc.wantSource)
			}
			// 0 shows what it means, not a bare 0.
			if r.entry.PlaceHolder != "any free port" {
				t.Errorf("%s: local port placeholder = %q, want %q", tc.name, r.entry.PlaceHolder, "any free port")
			}
			if got := ed.rows["rdp.colorDepth"].choice.Selected; got != "automatic" {
				t.Errorf("%s: colour depth shows %q, want %q", tc.name, got, "automatic")
			}
			test.Tap(button(t, tw.topOverlay(t), "Cancel"))
		})
	}

	// An out-of-range port typed at the profile level is refused by the
	// entry and never reaches the settings.
	tw.w.showSettings(settingsLevel{profile: p})
	tw.idle()
	r := tw.w.openSettings.rows["tunnel.localPort"]
	r.entry.SetText("70000")
	if !strings.Contains(r.source.Text, "outside 0..65535") {
		t.Errorf("after typing local port 70000 the row says %q, want app's range error", r.source.Text)
	}
	test.Tap(button(t, tw.topOverlay(t), "Save"))
	tw.idle()
	saved, err := tw.profiles.Get(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Settings.Tunnel.LocalPort.IsSet() {
		t.Errorf("after an invalid local port, the profile sets %d, want it unset", saved.Settings.Tunnel.LocalPort.Value())
	}
}
