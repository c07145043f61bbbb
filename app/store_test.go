package app_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"iapdesk/app"
	"iapdesk/app/settings"
)

func newConfigStore(t *testing.T, dir string) *app.ConfigStore {
	t.Helper()
	s, err := app.NewConfigStore(app.ConfigStoreConfig{Dir: dir})
	if err != nil {
		t.Fatalf("NewConfigStore: %v", err)
	}
	return s
}

func sampleProfile(name string) app.Profile {
	return app.Profile{Name: name, Protocol: app.ProfileRDP,
		Target: app.ProfileTarget{Project: "acme-prod-web", Zone: "us-central1-a", Instance: "iis-prod-01"}}
}

// addProfile appends a profile with a fixed ID in one Update.
func storeAddProfile(ctx context.Context, s *app.ConfigStore, name string) error {
	_, err := s.Update(ctx, func(d *app.ConnectionsFile) error {
		p := sampleProfile(name)
		p.ID = strings.ReplaceAll(name, " ", "-")
		d.Profiles = append(d.Profiles, p)
		return nil
	})
	return err
}

func TestConfigStoreMissingFileIsEmpty(t *testing.T) {
	s := newConfigStore(t, filepath.Join(t.TempDir(), "not-yet"))
	doc, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if doc.SchemaVersion != app.SchemaVersion || len(doc.Profiles) != 0 || doc.Revision != 0 {
		t.Errorf("Load() = %+v, want an empty schema %d document", doc, app.SchemaVersion)
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load created %s (err %v); it must not write", s.Path(), err)
	}
}

func TestConfigStoreWriteIsAtomicAndPrivate(t *testing.T) {
	dir := t.TempDir()
	s := newConfigStore(t, dir)
	ctx := context.Background()
	for i := range 3 {
		if err := storeAddProfile(ctx, s, fmt.Sprintf("p%d", i)); err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
	}
	doc, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Revision != 3 || len(doc.Profiles) != 3 {
		t.Errorf("after 3 updates: revision %d, %d profiles; want 3 and 3", doc.Revision, len(doc.Profiles))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"connections.json", "connections.json.bak", "connections.lock"}
	if !slices.Equal(names, want) {
		t.Errorf("files in config dir = %q, want %q (no temp files left)", names, want)
	}
	if runtime.GOOS != "windows" {
		for _, n := range []string{"connections.json", "connections.json.bak"} {
			fi, err := os.Stat(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s mode = %v, want 0600", n, fi.Mode().Perm())
			}
		}
	}
	bak, err := os.ReadFile(filepath.Join(dir, "connections.json.bak"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bak), `"revision": 2`) {
		t.Errorf("backup holds %s, want revision 2 (the version before the last save)", bak)
	}
}

func TestConfigStoreUpdateErrorSavesNothing(t *testing.T) {
	s := newConfigStore(t, t.TempDir())
	ctx := context.Background()
	if err := storeAddProfile(ctx, s, "kept"); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	_, err := s.Update(ctx, func(d *app.ConnectionsFile) error {
		d.Profiles = nil
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want %v", err, boom)
	}
	doc, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Profiles) != 1 || doc.Revision != 1 {
		t.Errorf("after a failed update: %d profiles, revision %d; want 1 and 1", len(doc.Profiles), doc.Revision)
	}
}

// TestConfigStoreMigratesV1 reads the committed schema 1 fixture.
func TestConfigStoreMigratesV1(t *testing.T) {
	dir := t.TempDir()
	v1, err := os.ReadFile(filepath.Join("testdata", "connections-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, app.ConfigFileName), v1, 0o600); err != nil {
		t.Fatal(err)
	}
	s := newConfigStore(t, dir)
	ctx := context.Background()
	doc, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("Load(v1) = %v", err)
	}
	if doc.SchemaVersion != 2 {
		t.Errorf("SchemaVersion = %d, want 2", doc.SchemaVersion)
	}
	byID := map[string]app.Profile{}
	for _, p := range doc.Profiles {
		byID[p.ID] = p
	}
	sql, ssh, port := byID["a1b2c3"], byID["d4e5f6"], byID["0a0b0c"]
	checks := []struct {
		what      string
		got, want any
	}{
		{"sql protocol", sql.Protocol, app.ProfileRDP},
		{"sql target", sql.Target, app.ProfileTarget{Project: "acme-prod-web", Zone: "us-central1-a", Instance: "sql-prod-01"}},
		{"sql remote port (the default is left out)", sql.RemotePort, 0},
		{"sql rdp username", sql.Settings.RDP.Username, settings.Some("dba")},
		{"sql rdp domain", sql.Settings.RDP.Domain, settings.Some("ACME")},
		{"sql full screen", sql.Settings.RDP.FullScreen, settings.Some(true)},
		{"sql local port", sql.Settings.Tunnel.LocalPort, settings.Some(13389)},
		{"sql ssh username", sql.Settings.SSH.Username, settings.Optional[string]{}},
		{"bastion protocol", ssh.Protocol, app.ProfileSSH},
		{"bastion port", ssh.RemotePort, 2222},
		{"bastion ssh username", ssh.Settings.SSH.Username, settings.Some("alice")},
		{"bastion rdp username", ssh.Settings.RDP.Username, settings.Optional[string]{}},
		{"grafana protocol (v1 tunnel)", port.Protocol, app.ProfilePort},
		{"grafana port", port.RemotePort, 3000},
		{"grafana keep open", port.Settings.Tunnel.KeepOpen, settings.Some(true)},
		{"dc-01 username moved to its VM level",
			doc.Settings.Get(app.InstanceRef{Project: "acme-corp-it", Zone: "europe-west1-b", Name: "dc-01"}.Scope()).RDP.Username, settings.Some("itadmin")},
		{"iis-prod-01 username moved to its VM level",
			doc.Settings.Get(app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "iis-prod-01"}.Scope()).RDP.Username, settings.Some("webadmin")},
		{"instance levels (the bad path dropped)", len(doc.Settings.Instances), 2},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("migrated %s = %v, want %v", c.what, c.got, c.want)
		}
	}
	for _, p := range doc.Profiles {
		if err := p.Validate(); err != nil {
			t.Errorf("migrated profile %s: Validate() = %v", p.Name, err)
		}
	}

	// The first save writes schema 2 and keeps the v1 file for a downgrade.
	if err := storeAddProfile(ctx, s, "after migration"); err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(filepath.Join(dir, "connections.v1.json"))
	if err != nil {
		t.Fatalf("v1 copy: %v", err)
	}
	if string(kept) != string(v1) {
		t.Errorf("connections.v1.json differs from the v1 file")
	}
	raw, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"schemaVersion": 2`) || strings.Contains(string(raw), "rdpUsernames") {
		t.Errorf("saved file is not schema 2:\n%s", raw)
	}
	doc2, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc2.Profiles) != 4 || doc2.Revision != 1 {
		t.Errorf("after saving the migrated document: %d profiles, revision %d; want 4 and 1", len(doc2.Profiles), doc2.Revision)
	}
}

// otherFiles are files of the config dir that a corrupt connections file
// must leave alone.
var otherFiles = map[string]string{
	"accounts.json":  `{"accounts":["alice@example.com"]}`,
	"projects.json":  `{"version":1,"projects":[{"id":"acme-prod-web"}]}`,
	"ssh/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\n…\n",
}

func writeOtherFiles(t *testing.T, dir string) {
	t.Helper()
	for name, content := range otherFiles {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func checkOtherFiles(t *testing.T, dir string) {
	t.Helper()
	for name, content := range otherFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != content {
			t.Errorf("%s = %q, %v; want it untouched (%q)", name, b, err, content)
		}
	}
}

func corruptFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, app.ConfigFileName+".corrupt-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestConfigStoreCorruptFile(t *testing.T) {
	const garbage = "{\n  \"schemaVersion\": 2,\n  \"profiles\": [ {\"id\": \"x\", \n" // truncated
	tests := []struct {
		name       string
		backup     bool
		wantNames  []string
		wantInFix  string
		wantAfter  int // profiles after one more Update
		wantRevAft uint64
	}{
		{"no backup: start empty", false, nil, "start empty", 1, 1},
		{"backup restored", true, []string{"before"}, "restored from the backup", 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeOtherFiles(t, dir)
			s := newConfigStore(t, dir)
			ctx := context.Background()
			if tc.backup {
				// Two saves: the backup then holds a good revision 1.
				if err := storeAddProfile(ctx, s, "before"); err != nil {
					t.Fatal(err)
				}
				if err := storeAddProfile(ctx, s, "lost"); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(s.Path(), []byte(garbage), 0o600); err != nil {
				t.Fatal(err)
			}

			doc, err := s.Load(ctx)
			if !errors.Is(err, app.ErrConfigCorrupt) {
				t.Fatalf("Load(corrupt) = %v, want ErrConfigCorrupt", err)
			}
			var ue *app.UserError
			if !errors.As(err, &ue) {
				t.Fatalf("Load(corrupt) error %T is not a *UserError", err)
			}
			aside := corruptFiles(t, dir)
			if len(aside) != 1 {
				t.Fatalf("moved-aside files = %q, want one", aside)
			}
			if !strings.Contains(ue.Why, aside[0]) || !strings.Contains(ue.Why, "line 4") || !strings.Contains(ue.Fix, tc.wantInFix) {
				t.Errorf("UserError = {Why: %q, Fix: %q}; want the moved-aside path, the line (4) and %q", ue.Why, ue.Fix, tc.wantInFix)
			}
			if b, err := os.ReadFile(aside[0]); err != nil || string(b) != garbage {
				t.Errorf("moved-aside content = %q, %v; want the corrupt bytes", b, err)
			}
			var names []string
			for _, p := range doc.Profiles {
				names = append(names, p.Name)
			}
			if !slices.Equal(names, tc.wantNames) {
				t.Errorf("recovered profiles = %q, want %q", names, tc.wantNames)
			}
			checkOtherFiles(t, dir)

			// The store keeps working; the next read is clean.
			if err := storeAddProfile(ctx, s, "after"); err != nil {
				t.Fatalf("Update after recovery = %v", err)
			}
			doc, err = s.Load(ctx)
			if err != nil {
				t.Fatalf("Load after recovery = %v", err)
			}
			if len(doc.Profiles) != tc.wantAfter || doc.Revision != tc.wantRevAft {
				t.Errorf("after recovery and one update: %d profiles, revision %d; want %d, %d", len(doc.Profiles), doc.Revision, tc.wantAfter, tc.wantRevAft)
			}
			checkOtherFiles(t, dir)
		})
	}
}

// TestConfigStoreCorruptDuringUpdate: an Update that finds the file damaged
// saves its change on the recovered document and reports the recovery.
func TestConfigStoreCorruptDuringUpdate(t *testing.T) {
	dir := t.TempDir()
	s := newConfigStore(t, dir)
	if err := os.WriteFile(s.Path(), []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := storeAddProfile(context.Background(), s, "saved anyway")
	if !errors.Is(err, app.ErrConfigCorrupt) {
		t.Fatalf("Update(corrupt) = %v, want the ErrConfigCorrupt notice", err)
	}
	doc, err := s.Load(context.Background())
	if err != nil || len(doc.Profiles) != 1 || doc.Profiles[0].Name != "saved anyway" {
		t.Errorf("Load after Update(corrupt) = %+v, %v; want the one saved profile", doc.Profiles, err)
	}
	if n := len(corruptFiles(t, dir)); n != 1 {
		t.Errorf("%d moved-aside files, want 1", n)
	}
}

func TestConfigStoreTooNew(t *testing.T) {
	dir := t.TempDir()
	s := newConfigStore(t, dir)
	future := `{"schemaVersion": 99, "revision": 7, "profiles": [], "hologram": true}`
	if err := os.WriteFile(s.Path(), []byte(future), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Load(ctx); !errors.Is(err, app.ErrConfigTooNew) {
		t.Errorf("Load(schema 99) = %v, want ErrConfigTooNew", err)
	}
	if err := storeAddProfile(ctx, s, "x"); !errors.Is(err, app.ErrConfigTooNew) {
		t.Errorf("Update(schema 99) = %v, want ErrConfigTooNew", err)
	}
	if b, _ := os.ReadFile(s.Path()); string(b) != future {
		t.Errorf("file changed to %q; a newer file must be left alone", b)
	}
	if n := len(corruptFiles(t, dir)); n != 0 {
		t.Errorf("%d moved-aside files; a newer file is not corrupt", n)
	}
}
