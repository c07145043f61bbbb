package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/app/settings"
	"iapdesk/platform/atomicfile"
)

// goodDoc is a valid schema 2 file; the tests below break one field of it.
const goodDoc = `{
  "schemaVersion": 2,
  "revision": 4,
  "profiles": [
    {"id": "p-1", "name": "SQL prod", "protocol": "rdp",
     "target": {"project": "acme-prod-web", "zone": "us-central1-a", "instance": "sql-prod-01"},
     "settings": {"rdp": {"username": "dba", "width": 1920, "height": 1080}}}
  ],
  "settings": {
    "projects": {"acme-prod-web": {"ssh": {"username": "alice"}}},
    "zones": {"acme-prod-web/us-central1-a": {"tunnel": {"keepOpen": true}}},
    "instances": {"acme-prod-web/us-central1-a/sql-prod-01": {"rdp": {"domain": "ACME"}}}
  }
}
`

// TestConfigStoreLoadValidates: loading connections.json refuses what an
// import refuses: the file is treated as corrupt (moved aside, the user
// told which entry is wrong) instead of handing a width of 99999999999 or
// a project of "../../etc" to the RDP client or the API.
func TestConfigStoreLoadValidates(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"huge width", `"width": 1920`, `"width": 99999999999`, "width"},
		{"negative height", `"height": 1080`, `"height": -5`, "height"},
		{"NUL in user name", `"username": "dba"`, `"username": "d\u0000ba"`, "control"},
		{"newline in user name", `"username": "alice"`, `"username": "ali\nce"`, "control"},
		{"path as project", `"project": "acme-prod-web"`, `"project": "../../etc"`, "project"},
		{"path as project key", `"projects": {"acme-prod-web"`, `"projects": {"../../etc"`, "project"},
		{"zone key with extra part", `"acme-prod-web/us-central1-a": {"tunnel"`, `"acme-prod-web/us-central1-a/x/y": {"tunnel"`, "parts"},
		{"bad instance key", `"acme-prod-web/us-central1-a/sql-prod-01"`, `"acme-prod-web/us-central1-a/SQL 01"`, "instance"},
		{"escape in name", `"name": "SQL prod"`, `"name": "SQL\u001b]0;pwn\u0007"`, "control"},
		{"bad protocol", `"protocol": "rdp"`, `"protocol": "telnet"`, "protocol"},
		{"duplicate id", `"profiles": [`, `"profiles": [{"id": "p-1", "name": "twin", "protocol": "ssh", "target": {"project": "acme-prod-web", "zone": "us-central1-a", "instance": "vm-2"}},`, "both have id"},
		{"no id", `"id": "p-1", `, ``, "no id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(goodDoc, tc.old, tc.new, 1)
			if bad == goodDoc {
				t.Fatalf("test case does not change the document: %q not found", tc.old)
			}
			dir := t.TempDir()
			s := newConfigStore(t, dir)
			if err := os.WriteFile(s.Path(), []byte(bad), 0o600); err != nil {
				t.Fatal(err)
			}
			doc, err := s.Load(context.Background())
			var ue *app.UserError
			if !errors.Is(err, app.ErrConfigCorrupt) || !errors.As(err, &ue) || !strings.Contains(ue.Why, tc.want) {
				t.Fatalf("Load(%s) = %v, want ErrConfigCorrupt whose Why mentions %q", tc.name, err, tc.want)
			}
			if len(doc.Profiles) != 0 || len(doc.Settings.Projects) != 0 {
				t.Errorf("Load(%s) returned %+v, want the empty recovered document", tc.name, doc)
			}
			if n := len(corruptFiles(t, dir)); n != 1 {
				t.Errorf("%d moved-aside files, want 1 (the user's file kept)", n)
			}
		})
	}

	s := newConfigStore(t, t.TempDir())
	if err := os.WriteFile(s.Path(), []byte(goodDoc), 0o600); err != nil {
		t.Fatal(err)
	}
	if doc, err := s.Load(context.Background()); err != nil || len(doc.Profiles) != 1 {
		t.Fatalf("Load(good) = %d profiles, %v; want 1, nil", len(doc.Profiles), err)
	}
}

// TestConfigStoreUpdateValidates: an Update that would save what Load
// refuses fails and saves nothing.
func TestConfigStoreUpdateValidates(t *testing.T) {
	s := newConfigStore(t, t.TempDir())
	ctx := context.Background()
	_, err := s.Update(ctx, func(d *app.ConnectionsFile) error {
		p := sampleProfile("evil")
		p.ID = "p-evil"
		p.Target.Project = "../../etc"
		d.Profiles = append(d.Profiles, p)
		return nil
	})
	if !errors.Is(err, app.ErrInvalidProfile) {
		t.Fatalf("Update(invalid profile) = %v, want ErrInvalidProfile", err)
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the invalid document was saved (Stat = %v)", err)
	}
	ps, err := app.NewProfiles(app.ProfilesConfig{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	scope := settings.ZoneScope("acme-prod-web", "../x")
	if err := ps.SaveSettings(ctx, scope, settings.Settings{DisplayName: settings.Some("x")}); !errors.Is(err, settings.ErrInvalidScope) {
		t.Errorf("SaveSettings(%+v) = %v, want ErrInvalidScope", scope, err)
	}
}

// TestConfigStoreRevisionSaturates: the revision counter stops at its
// maximum instead of wrapping to 0, which would look older than any
// revision a view has seen.
func TestConfigStoreRevisionSaturates(t *testing.T) {
	s := newConfigStore(t, t.TempDir())
	ctx := context.Background()
	for _, rev := range []uint64{math.MaxUint64 - 1, math.MaxUint64} {
		doc := strings.Replace(goodDoc, `"revision": 4`, `"revision": `+jsonUint(rev), 1)
		if err := os.WriteFile(s.Path(), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		saved, err := s.Update(ctx, func(*app.ConnectionsFile) error { return nil })
		if err != nil {
			t.Fatalf("Update at revision %d = %v", rev, err)
		}
		if saved.Revision != math.MaxUint64 {
			t.Errorf("Update at revision %d saved revision %d, want %d", rev, saved.Revision, uint64(math.MaxUint64))
		}
	}
}

func jsonUint(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestConfigStoreKeepsUnknownMembers: members this iapdesk does not know
// (a newer iapdesk's, at any depth) survive a load-modify-save; members it
// knows follow the edit (a cleared setting stays cleared, a deleted
// profile or level stays deleted).
func TestConfigStoreKeepsUnknownMembers(t *testing.T) {
	newer := `{
  "schemaVersion": 2,
  "revision": 1,
  "profiles": [
    {"id": "p-1", "name": "SQL prod", "protocol": "rdp", "folder": "Databases",
     "target": {"project": "acme-prod-web", "zone": "us-central1-a", "instance": "sql-prod-01", "interface": "nic1"},
     "settings": {"rdp": {"width": 1920, "smartcard": true}, "vnc": {"quality": 7}}},
    {"id": "p-2", "name": "gone", "protocol": "ssh", "pinned": true,
     "target": {"project": "acme-prod-web", "zone": "us-central1-a", "instance": "vm-2"}}
  ],
  "settings": {
    "projects": {"acme-prod-web": {"ssh": {"username": "alice", "agentForwarding": false}}},
    "zones": {"acme-prod-web/us-central1-a": {"tunnel": {"keepOpen": true, "bandwidth": "low"}}},
    "folders": ["Databases"]
  },
  "theme": {"dark": true}
}
`
	dir := t.TempDir()
	s := newConfigStore(t, dir)
	if err := os.WriteFile(s.Path(), []byte(newer), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err := s.Update(ctx, func(d *app.ConnectionsFile) error {
		p, _ := d.Profile("p-1")
		p.Name = "SQL production"
		p.Settings.RDP.Width = settings.Optional[int]{} // the last known rdp setting
		d.Profiles = d.Profiles[:1]                     // delete p-2
		delete(d.Settings.Zones, "acme-prod-web/us-central1-a")
		return nil
	})
	if err != nil {
		t.Fatalf("Update = %v", err)
	}
	raw, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("saved file is not JSON: %v\n%s", err, raw)
	}
	want := map[string]any{
		"schemaVersion": 2.0,
		"revision":      2.0,
		"profiles": []any{map[string]any{
			"id": "p-1", "name": "SQL production", "protocol": "rdp", "folder": "Databases",
			"target":   map[string]any{"project": "acme-prod-web", "zone": "us-central1-a", "instance": "sql-prod-01", "interface": "nic1"},
			"settings": map[string]any{"rdp": map[string]any{"smartcard": true}, "vnc": map[string]any{"quality": 7.0}},
		}},
		"settings": map[string]any{
			"projects": map[string]any{"acme-prod-web": map[string]any{"ssh": map[string]any{"username": "alice", "agentForwarding": false}}},
			"folders":  []any{"Databases"},
		},
		"theme": map[string]any{"dark": true},
	}
	gotJSON, _ := json.MarshalIndent(got, "", " ")
	wantJSON, _ := json.MarshalIndent(want, "", " ")
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("saved file:\n%s\nwant (as JSON values):\n%s", gotJSON, wantJSON)
	}
	if !strings.HasPrefix(string(raw), "{\n  \"schemaVersion\": 2,") || !strings.HasSuffix(string(raw), "}\n") {
		t.Errorf("saved file is not indented as usual:\n%s", raw)
	}
	// And it reads back, and the next save keeps the members still.
	if _, err := s.Update(ctx, func(*app.ConnectionsFile) error { return nil }); err != nil {
		t.Fatalf("second Update = %v", err)
	}
	again, _ := os.ReadFile(s.Path())
	for _, m := range []string{`"folder"`, `"interface"`, `"smartcard"`, `"vnc"`, `"agentForwarding"`, `"folders"`, `"theme"`} {
		if !strings.Contains(string(again), m) {
			t.Errorf("second save lost %s:\n%s", m, again)
		}
	}
	for _, m := range []string{`"pinned"`, `"bandwidth"`, `"width"`} {
		if strings.Contains(string(again), m) {
			t.Errorf("saved file still has %s, which belonged to what the edit removed:\n%s", m, again)
		}
	}
}

// TestConfigStoreRemovesStaleTemps: saving the connections removes the
// temporary files that killed saves left in the config directory.
func TestConfigStoreRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	s := newConfigStore(t, dir)
	stale := []string{".connections.json-123.tmp", ".connections.json-456.tmp", ".connections.json.bak-789.tmp"}
	old := time.Now().Add(-2 * atomicfile.StaleAge)
	for _, n := range stale {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("{\"schemaVer"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 { // the second save also writes .bak
		if err := storeAddProfile(context.Background(), s, "p"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s still there after saving (Stat = %v)", n, err)
		}
	}
}
