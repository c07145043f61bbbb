package app_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/app/settings"
	"iapdesk/auth/authtest"
	"iapdesk/platform"
)

type profilesEnv struct {
	store   *app.ConfigStore
	secrets *authtest.MemStore
	creds   *app.Credentials
	ps      *app.Profiles
}

func newProfilesEnv(t *testing.T) *profilesEnv {
	t.Helper()
	e := &profilesEnv{store: newConfigStore(t, t.TempDir()), secrets: authtest.NewMemStore()}
	var err error
	if e.creds, err = app.NewCredentials(e.secrets); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	if e.ps, err = app.NewProfiles(app.ProfilesConfig{Store: e.store, Credentials: e.creds, Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *profilesEnv) add(t *testing.T, p app.Profile) app.Profile {
	t.Helper()
	got, err := e.ps.Add(context.Background(), p)
	if err != nil {
		t.Fatalf("Add(%s) = %v", p.Name, err)
	}
	return got
}

func TestProfilesLifecycle(t *testing.T) {
	e := newProfilesEnv(t)
	ctx := context.Background()
	sql := sampleProfile("SQL prod")
	sql.Settings.RDP.Username = settings.Some("dba")
	sql = e.add(t, sql)
	if sql.ID == "" || sql.Created.IsZero() {
		t.Errorf("Add() = %+v, want an ID and timestamps", sql)
	}
	bastion := e.add(t, app.Profile{Name: "bastion", Protocol: app.ProfileSSH,
		Target: app.ProfileTarget{Project: "acme-prod-web", Zone: "us-central1-a", Instance: "bastion-prod"}})
	if err := e.creds.SetRDPPassword(ctx, app.ProfileSecret(sql.ID), "s3cret!"); err != nil {
		t.Fatal(err)
	}

	list, err := e.ps.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := profileNames(list); !slices.Equal(got, []string{"bastion", "SQL prod"}) {
		t.Errorf("List() = %q, want sorted by name case-insensitively", got)
	}

	sql.Settings.RDP.FullScreen = settings.Some(true)
	if err := e.ps.Update(ctx, sql); err != nil {
		t.Fatalf("Update = %v", err)
	}
	got, err := e.ps.Get(ctx, sql.ID)
	if err != nil || !got.Settings.RDP.FullScreen.Value() {
		t.Errorf("Get after Update = %+v, %v; want full screen", got, err)
	}

	dup, err := e.ps.Duplicate(ctx, sql.ID)
	if err != nil {
		t.Fatalf("Duplicate = %v", err)
	}
	if dup.ID == sql.ID || dup.Name != "SQL prod (copy)" || dup.Settings != got.Settings || dup.Target != sql.Target {
		t.Errorf("Duplicate() = %+v, want a copy named \"SQL prod (copy)\" with a new ID", dup)
	}
	if pw, ok, err := e.creds.RDPPassword(ctx, app.ProfileSecret(dup.ID)); err != nil || !ok || pw != "s3cret!" {
		t.Errorf("duplicate's password = %v, %v; want the original's copied", ok, err)
	}
	dup2, err := e.ps.Duplicate(ctx, sql.ID)
	if err != nil || dup2.Name != "SQL prod (copy) 2" {
		t.Errorf("second Duplicate() name = %q, %v; want \"SQL prod (copy) 2\"", dup2.Name, err)
	}

	if err := e.ps.Delete(ctx, sql.ID); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	if _, ok, _ := e.creds.RDPPassword(ctx, app.ProfileSecret(sql.ID)); ok {
		t.Errorf("Delete left the profile's password in the keyring")
	}
	if _, err := e.ps.Get(ctx, sql.ID); !errors.Is(err, app.ErrProfileNotFound) {
		t.Errorf("Get(deleted) = %v, want ErrProfileNotFound", err)
	}
	if err := e.ps.Update(ctx, sql); !errors.Is(err, app.ErrProfileNotFound) {
		t.Errorf("Update(deleted) = %v, want ErrProfileNotFound", err)
	}
	if err := e.ps.Delete(ctx, sql.ID); !errors.Is(err, app.ErrProfileNotFound) {
		t.Errorf("Delete(deleted) = %v, want ErrProfileNotFound", err)
	}
	list, _ = e.ps.List(ctx)
	if got := profileNames(list); !slices.Equal(got, []string{"bastion", "SQL prod (copy)", "SQL prod (copy) 2"}) {
		t.Errorf("List() after delete = %q", got)
	}
	_ = bastion
}

func profileNames(list []app.Profile) []string {
	var out []string
	for _, p := range list {
		out = append(out, p.Name)
	}
	return out
}

func TestProfileValidate(t *testing.T) {
	vm := app.ProfileTarget{Project: "acme-prod-web", Zone: "us-central1-a", Instance: "vm-1"}
	onprem := app.ProfileTarget{Project: "acme-prod-web", Region: "us-central1", Network: "default", Host: "10.1.2.3", DestGroup: "dc"}
	tests := []struct {
		name    string
		p       app.Profile
		wantErr string // "" for valid
	}{
		{"rdp vm", app.Profile{Name: "a", Target: vm, Protocol: app.ProfileRDP}, ""},
		{"on-prem ssh", app.Profile{Name: "a", Target: onprem, Protocol: app.ProfileSSH}, ""},
		{"port needs a port", app.Profile{Name: "a", Target: vm, Protocol: app.ProfilePort}, "needs remotePort"},
		{"port", app.Profile{Name: "a", Target: vm, Protocol: app.ProfilePort, RemotePort: 5432}, ""},
		{"empty name", app.Profile{Name: " ", Target: vm, Protocol: app.ProfileRDP}, "name is empty"},
		{"control char in name", app.Profile{Name: "a\x07", Target: vm, Protocol: app.ProfileRDP}, "control"},
		{"bad protocol", app.Profile{Name: "a", Target: vm, Protocol: "vnc"}, `protocol "vnc"`},
		{"bad port", app.Profile{Name: "a", Target: vm, Protocol: app.ProfileRDP, RemotePort: 70000}, "remotePort 70000"},
		{"bad project", app.Profile{Name: "a", Target: app.ProfileTarget{Project: "X", Zone: "z", Instance: "i"}, Protocol: app.ProfileRDP}, "project"},
		{"bad zone", app.Profile{Name: "a", Target: app.ProfileTarget{Project: "acme-prod-web", Zone: "Z!", Instance: "i"}, Protocol: app.ProfileRDP}, "zone"},
		{"vm and host", app.Profile{Name: "a", Target: app.ProfileTarget{Project: "acme-prod-web", Zone: "z", Instance: "i", Host: "h"}, Protocol: app.ProfileRDP}, "both"},
		{"bad host", app.Profile{Name: "a", Target: app.ProfileTarget{Project: "acme-prod-web", Region: "r", Network: "n", DestGroup: "g", Host: "a b"}, Protocol: app.ProfileRDP}, "host"},
		{"bad setting", app.Profile{Name: "a", Target: vm, Protocol: app.ProfileRDP,
			Settings: settings.Settings{RDP: settings.RDPSettings{Audio: settings.Some(platform.Audio(9))}}}, "rdp.audio"},
		{"bad id", app.Profile{ID: "a/b", Name: "a", Target: vm, Protocol: app.ProfileRDP}, "id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, app.ErrInvalidProfile)):
				t.Errorf("Validate() = %v, want ErrInvalidProfile mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestProfilesExportImport(t *testing.T) {
	src := newProfilesEnv(t)
	ctx := context.Background()
	a := sampleProfile("SQL prod")
	a.Settings.RDP.Username = settings.Some("dba")
	a.Settings.Tunnel.LocalPort = settings.Some(13389)
	a = src.add(t, a)
	b := src.add(t, app.Profile{Name: "db tunnel", Protocol: app.ProfilePort, RemotePort: 5432,
		Target: app.ProfileTarget{Project: "acme-prod-web", Region: "us-central1", Network: "default", Host: "db.corp.example", DestGroup: "onprem"}})
	const password = "Do-Not-Export-7"
	if err := src.creds.SetRDPPassword(ctx, app.ProfileSecret(a.ID), password); err != nil {
		t.Fatal(err)
	}
	data, err := src.ps.Export(ctx)
	if err != nil {
		t.Fatalf("Export = %v", err)
	}
	if strings.Contains(string(data), password) || strings.Contains(strings.ToLower(string(data)), "password") {
		t.Fatalf("export contains a password:\n%s", data)
	}
	if src.secrets.Gets() != 0 {
		t.Errorf("Export read the keyring %d times; it must not touch secrets", src.secrets.Gets())
	}
	one, err := src.ps.Export(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if list, err := app.ParseProfiles(one); err != nil || len(list) != 1 || list[0].Name != "db tunnel" {
		t.Errorf("Export(one) parsed = %+v, %v", list, err)
	}

	dst := newProfilesEnv(t)
	existing := dst.add(t, sampleProfile("SQL prod"))
	imported, err := dst.ps.Import(ctx, data)
	if err != nil {
		t.Fatalf("Import = %v", err)
	}
	if got := profileNames(imported); !slices.Equal(got, []string{"db tunnel", "SQL prod 2"}) {
		t.Errorf("imported names = %q, want the clash renamed", got)
	}
	for _, p := range imported {
		if p.ID == a.ID || p.ID == b.ID || p.ID == existing.ID {
			t.Errorf("imported %s kept ID %s; imports get new IDs", p.Name, p.ID)
		}
	}
	got, err := dst.ps.Get(ctx, imported[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Settings != a.Settings || got.Target != a.Target || got.Protocol != a.Protocol {
		t.Errorf("imported profile = %+v, want the exported one's settings and target %+v", got, a)
	}
	if n := len(dst.secrets.Snapshot()); n != 0 {
		t.Errorf("Import stored %d secrets, want none", n)
	}
}

func TestParseProfilesRejects(t *testing.T) {
	good := `{"format":"iapdesk-profiles","version":1,"profiles":[{"id":"p-1","name":"a","protocol":"rdp",` +
		`"target":{"project":"acme-prod-web","zone":"us-central1-a","instance":"vm-1"}}]}`
	if _, err := app.ParseProfiles([]byte(good)); err != nil {
		t.Fatalf("ParseProfiles(good) = %v", err)
	}
	tests := []struct {
		name, data, want string
	}{
		{"not json", `{"format":`, "not valid JSON"},
		{"wrong format", `{"format":"rdcman","version":1,"profiles":[]}`, "not an iapdesk profiles file"},
		{"newer version", `{"format":"iapdesk-profiles","version":2,"profiles":[]}`, "newer iapdesk"},
		{"password member", strings.Replace(good, `"protocol":"rdp"`, `"protocol":"rdp","settings":{"rdp":{"password":"x"}}`, 1), `unknown field "password"`},
		{"trailing data", good + `{}`, "after the JSON object"},
		{"invalid profile", strings.Replace(good, `"vm-1"`, `"VM 1"`, 1), "profile 1"},
		{"wrong type", strings.Replace(good, `"protocol":"rdp"`, `"protocol":"rdp","remotePort":"3389"`, 1), "not valid JSON"},
		{"too big", `{"format":"iapdesk-profiles","version":1,"profiles":[]}` + strings.Repeat(" ", 4<<20), "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := app.ParseProfiles([]byte(tc.data))
			if !errors.Is(err, app.ErrInvalidImport) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseProfiles(%.60q) = %v, want ErrInvalidImport mentioning %q", tc.data, err, tc.want)
			}
		})
	}
	e := newProfilesEnv(t)
	if _, err := e.ps.Import(context.Background(), []byte(`{}`)); !errors.Is(err, app.ErrInvalidImport) {
		t.Errorf("Import({}) = %v, want ErrInvalidImport", err)
	}
	if list, _ := e.ps.List(context.Background()); len(list) != 0 {
		t.Errorf("failed Import saved %d profiles", len(list))
	}
}

// TestProfilesExampleFile parses the example of docs/saved-connections.md.
func TestProfilesExampleFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "profiles-export.json"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := app.ParseProfiles(b)
	if err != nil {
		t.Fatalf("ParseProfiles(testdata/profiles-export.json) = %v", err)
	}
	if len(list) != 3 {
		t.Errorf("example has %d profiles, want 3", len(list))
	}
}

func TestProfilesSaveWindowsCredentials(t *testing.T) {
	e := newProfilesEnv(t)
	ctx := context.Background()
	ref := app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "iis-prod-01"}
	wc := app.WindowsCredentials{Instance: ref, Username: "carol", Password: "Gen3rated!"}
	if err := e.ps.SaveWindowsCredentials(ctx, "", wc); err != nil {
		t.Fatal(err)
	}
	layers, err := e.ps.Layers(ctx, ref, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := settings.Resolve(layers...); r.Settings.RDP.Username.Value() != "carol" || r.Source("rdp.username") != settings.SourceInstance {
		t.Errorf("after SaveWindowsCredentials: username %q from %v, want carol from the VM", r.Settings.RDP.Username.Value(), r.Source("rdp.username"))
	}
	if pw, ok, _ := e.creds.RDPPassword(ctx, app.InstanceSecret(ref)); !ok || pw != wc.Password {
		t.Errorf("VM password saved = %v, want the generated one", ok)
	}
	p := e.add(t, sampleProfile("IIS"))
	if err := e.ps.SaveWindowsCredentials(ctx, p.ID, wc); err != nil {
		t.Fatal(err)
	}
	got, _ := e.ps.Get(ctx, p.ID)
	if got.Settings.RDP.Username.Value() != "carol" {
		t.Errorf("profile username = %q, want carol", got.Settings.RDP.Username.Value())
	}
	if _, ok, _ := e.creds.RDPPassword(ctx, app.ProfileSecret(p.ID)); !ok {
		t.Errorf("profile password not saved")
	}
}
