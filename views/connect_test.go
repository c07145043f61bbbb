package views

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/app/settings"
	"iapdesk/platform"
)

// TestCredentialsDialogSavesToKeyring: an RDP connect without a saved
// password asks for one in the window's dialog (app's connect policy calls
// the window back); with "Save the password" ticked it goes to the keyring
// under the VM (or the profile) and the user name and domain to its
// settings, so the next connect asks nothing. Unticked, nothing is kept;
// Cancel connects nothing and shows no error.
func TestCredentialsDialogSavesToKeyring(t *testing.T) {
	tests := []struct {
		name    string
		profile bool
		save    bool
	}{
		{"vm, saved", false, true},
		{"vm, not saved", false, false},
		{"profile, saved", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tw := newSavedWorld(t)
			ctx := context.Background()
			inst := tw.instance(t, windowsVM)
			connect := func() { tw.w.connect(inst, app.ProtocolAuto, 0, nil) }
			key := app.InstanceSecret(windowsVM)
			var profileID string
			if tc.profile {
				p, err := tw.profiles.Add(ctx, app.Profile{Name: "IIS", Protocol: app.ProfileRDP,
					Target: app.ProfileTarget{Project: windowsVM.Project, Zone: windowsVM.Zone, Instance: windowsVM.Name}})
				if err != nil {
					t.Fatal(err)
				}
				profileID, key = p.ID, app.ProfileSecret(p.ID)
				connect = func() { tw.w.connectProfile(p) }
			}
			connect()
			tw.idle()
			dlg := tw.topOverlay(t)
			var entries []*widget.Entry
			for _, o := range objects(dlg) {
				if e, ok := o.(*widget.Entry); ok {
					entries = append(entries, e)
				}
			}
			if len(entries) != 3 {
				t.Fatalf("credentials dialog has %d entries, want user, domain, password", len(entries))
			}
			entries[0].SetText("admin")
			entries[1].SetText("CORP")
			entries[2].SetText("s3cret")
			label := "Save the password in the keyring for this VM"
			if tc.profile {
				label = "Save the password in the keyring for this saved connection"
			}
			check(t, dlg, label).SetChecked(tc.save)
			test.Tap(button(t, dlg, "Connect"))
			tw.idle()

			reqs := tw.conn.requests()
			if len(reqs) != 1 || reqs[0].RDP.Username != "admin" || reqs[0].RDP.Domain != "CORP" || reqs[0].RDP.Password != platform.Password("s3cret") {
				t.Fatalf("requests = %d, the last with %q %q, want 1 with the typed credentials", len(reqs), reqs[len(reqs)-1].RDP.Username, reqs[len(reqs)-1].RDP.Domain)
			}
			v, err := tw.secrets.Get(ctx, string(key))
			if tc.save && (err != nil || v != "s3cret") {
				t.Errorf("keyring %s = %v, want the password", key, err)
			}
			if !tc.save && err == nil {
				t.Errorf("keyring %s holds a password, want none when not saved", key)
			}

			// Connect again: saved credentials need no dialog; without
			// them the dialog comes back, and Cancel connects nothing.
			connect()
			tw.idle()
			if !tc.save {
				test.Tap(button(t, tw.topOverlay(t), "Cancel"))
				tw.idle()
				if n := len(tw.conn.requests()); n != 1 {
					t.Errorf("after Cancel, requests = %d, want still 1", n)
				}
				if o := tw.w.win.Canvas().Overlays().Top(); o != nil {
					t.Errorf("after Cancel, an overlay is shown: %q", texts(o))
				}
				return
			}
			reqs = tw.conn.requests()
			last := reqs[len(reqs)-1]
			if len(reqs) != 2 || last.RDP.Username != "admin" || last.RDP.Domain != "CORP" || last.RDP.Password != "s3cret" {
				t.Errorf("second connect: %d requests, the last %q %q password set %v; want the saved credentials", len(reqs), last.RDP.Username, last.RDP.Domain, last.RDP.Password != "")
			}
			if profileID != "" {
				p, err := tw.profiles.Get(ctx, profileID)
				if err != nil || p.Settings.RDP.Username.Value() != "admin" {
					t.Errorf("profile user name = %q (%v), want admin", p.Settings.RDP.Username.Value(), err)
				}
			}
		})
	}
}

// TestConnectUsesSettings: a plain Connect builds its request from the
// inherited settings (keep open and the local port from the project, RDP
// options from the VM) and the VM's saved password.
func TestConnectUsesSettings(t *testing.T) {
	tw := newSavedWorld(t)
	ctx := context.Background()
	project := settings.Settings{Tunnel: settings.TunnelSettings{KeepOpen: settings.Some(true), LocalPort: settings.Some(13389)}}
	vm := settings.Settings{RDP: settings.RDPSettings{Username: settings.Some("admin"), FullScreen: settings.Some(true)}}
	for scope, s := range map[settings.Scope]settings.Settings{settings.ProjectScope(windowsVM.Project): project, windowsVM.Scope(): vm} {
		if err := tw.profiles.SaveSettings(ctx, scope, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.creds.SetRDPPassword(ctx, app.InstanceSecret(windowsVM), "pw"); err != nil {
		t.Fatal(err)
	}
	tw.w.connect(tw.instance(t, windowsVM), app.ProtocolAuto, 0, nil)
	tw.idle()
	reqs := tw.conn.requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d, want 1 (no credentials dialog)", len(reqs))
	}
	r := reqs[0]
	if !r.KeepOpen || r.LocalPort != 13389 || r.RDP.Username != "admin" || r.RDP.Password != "pw" || !r.RDP.Options.FullScreen || r.Protocol != app.ProtocolRDP {
		t.Errorf("request = keep %v port %d user %q password set %v full screen %v %v, want the saved settings",
			r.KeepOpen, r.LocalPort, r.RDP.Username, r.RDP.Password != "", r.RDP.Options.FullScreen, r.Protocol)
	}
}

// TestSSHConnectPublishesKey: an SSH connect generates iapdesk's key in the
// config directory, publishes it for the signed-in account (the fake VM
// then accepts it) and connects as the derived user with the default
// known_hosts.
func TestSSHConnectPublishesKey(t *testing.T) {
	tw := newSavedWorld(t)
	tw.expand(linuxVM)
	test.DoubleTap(tw.row(t, app.InstanceNode(linuxVM)))
	tw.idle()
	reqs := tw.conn.requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d, want 1", len(reqs))
	}
	r := reqs[0].SSH
	wantUser := app.POSIXUsername(account)
	if r.Username != wantUser || !strings.HasPrefix(r.KeyFile, tw.dir) || r.KnownHostsFile != "/test/known_hosts" || r.StrictHostKeyChecking != "yes" {
		t.Errorf("ssh params = %+v, want user %q, a key in %s and the default known_hosts", r, wantUser, tw.dir)
	}
	keys, err := tw.gce.AuthorizedKeys(linuxVM.Project, linuxVM.Zone, linuxVM.Name, wantUser)
	if err != nil {
		t.Fatal(err)
	}
	key, ok, err := tw.keys.Load(app.SSHKeyEd25519)
	if err != nil || !ok {
		t.Fatalf("no ed25519 key after connecting: %v", err)
	}
	if !slices.ContainsFunc(keys, func(k string) bool {
		return strings.HasPrefix(k, strings.Join(strings.Fields(key.AuthorizedKey())[:2], " "))
	}) {
		t.Errorf("the VM accepts %q for %s, want iapdesk's key among them", keys, wantUser)
	}
}
