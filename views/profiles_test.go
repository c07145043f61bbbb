package views

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// savedProfiles lists what app has saved.
func (tw *testWorld) savedProfiles(t *testing.T) []app.Profile {
	t.Helper()
	list, err := tw.profiles.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func names(list []app.Profile) []string {
	var out []string
	for _, p := range list {
		out = append(out, p.Name)
	}
	return out
}

// check finds a check box by its text under o.
func check(t *testing.T, o fyne.CanvasObject, text string) *widget.Check {
	t.Helper()
	for _, c := range objects(o) {
		if ch, ok := c.(*widget.Check); ok && ch.Text == text {
			return ch
		}
	}
	t.Fatalf("no check box %q", text)
	return nil
}

// TestSavedConnectionsActions: Save as profile… on a VM, then New, Edit,
// Duplicate, Delete and Connect in the Saved connections tab all reach app
// (the store holds what the list shows).
func TestSavedConnectionsActions(t *testing.T) {
	tw := newSavedWorld(t)

	// Save as profile… from the VM's menu, pre-filled with the VM.
	menu := tw.w.instanceMenu(tw.instance(t, windowsVM))
	tw.expand(windowsVM)
	test.TapSecondary(tw.row(t, app.InstanceNode(windowsVM)))
	tw.tapMenuItem(t, menu, "Save as profile…")
	pd := tw.w.openProfile
	if pd == nil || pd.name.Text != windowsVM.Name || pd.instance.Text != windowsVM.Name || pd.chosenProtocol() != app.ProfileRDP {
		t.Fatalf("Save as profile… opened %+v, want a dialog pre-filled with %s over RDP", pd, windowsVM.Name)
	}
	pd.name.SetText("IIS prod")
	test.Tap(button(t, tw.topOverlay(t), "Save"))
	tw.idle()
	if got := names(tw.savedProfiles(t)); !slices.Equal(got, []string{"IIS prod"}) {
		t.Fatalf("after Save as profile…, saved = %q, want [IIS prod]", got)
	}

	// New: an SSH profile with a settings row changed.
	test.Tap(button(t, tw.w.profiles.root, "New"))
	pd = tw.w.openProfile
	pd.name.SetText("Web 1")
	pd.project.SetText(linuxVM.Project)
	pd.zone.SetText(linuxVM.Zone)
	pd.instance.SetText(linuxVM.Name)
	pd.protocol.SetSelected("SSH")
	pd.port.SetText("2222")
	pd.settings.rows["ssh.username"].entry.SetText("deploy")
	test.Tap(button(t, tw.topOverlay(t), "Save"))
	tw.idle()
	list := tw.savedProfiles(t)
	if got := names(list); !slices.Equal(got, []string{"IIS prod", "Web 1"}) {
		t.Fatalf("after New, saved = %q, want [IIS prod Web 1]", got)
	}
	web := list[1]
	if web.Target.Instance != linuxVM.Name || web.Protocol != app.ProfileSSH || web.RemotePort != 2222 || web.Settings.SSH.Username.Value() != "deploy" {
		t.Errorf("New saved %+v, want %s over SSH port 2222 as deploy", web, linuxVM.Name)
	}
	if got := len(tw.w.profiles.items); got != 2 {
		t.Errorf("the list shows %d profiles, want 2", got)
	}

	// Duplicate the selected one (New selected it).
	test.Tap(tw.w.profiles.dup)
	tw.idle()
	if got := names(tw.savedProfiles(t)); !slices.Equal(got, []string{"IIS prod", "Web 1", "Web 1 (copy)"}) {
		t.Fatalf("after Duplicate, saved = %q", got)
	}

	// Edit the copy: rename it.
	if cur, _ := tw.w.profiles.current(); cur.Name != "Web 1 (copy)" {
		t.Fatalf("after Duplicate the selection is %q, want the copy", cur.Name)
	}
	test.Tap(tw.w.profiles.edit)
	tw.w.openProfile.name.SetText("Web 1 staging")
	test.Tap(button(t, tw.topOverlay(t), "Save"))
	tw.idle()
	if got := names(tw.savedProfiles(t)); !slices.Equal(got, []string{"IIS prod", "Web 1", "Web 1 staging"}) {
		t.Fatalf("after Edit, saved = %q", got)
	}

	// Delete it, after the confirmation.
	test.Tap(tw.w.profiles.del)
	test.Tap(button(t, tw.topOverlay(t), "Delete"))
	tw.idle()
	if got := names(tw.savedProfiles(t)); !slices.Equal(got, []string{"IIS prod", "Web 1"}) {
		t.Fatalf("after Delete, saved = %q", got)
	}

	// Connect with the SSH profile: its port, its user name, the key
	// published for it.
	tw.w.profiles.selectID(web.ID)
	test.Tap(tw.w.profiles.connect)
	tw.idle()
	reqs := tw.conn.requests()
	if len(reqs) != 1 {
		t.Fatalf("connect requests = %d, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Instance.InstanceRef != linuxVM || r.Protocol != app.ProtocolSSH || r.Port != 2222 || r.SSH.Username != "deploy" ||
		!strings.HasPrefix(r.SSH.KeyFile, tw.dir) {
		t.Errorf("Connect sent %v %v port %d user %q key %q, want %v SSH 2222 deploy and a key in %s",
			r.Instance.InstanceRef, r.Protocol, r.Port, r.SSH.Username, r.SSH.KeyFile, linuxVM, tw.dir)
	}
}

// TestImportProfiles: a good export file adds its profiles; a bad one
// (a password member, not JSON) shows app's explanation and adds nothing.
func TestImportProfiles(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		wantAdded int
		wantText  string // in the dialog that follows
	}{
		{"export file", mustRead(t, filepath.Join("..", "app", "testdata", "profiles-export.json")), 3, "Imported 3 saved connections."},
		{"password member", []byte(`{"format":"iapdesk-profiles","version":1,"profiles":[{"name":"x","target":{"project":"p-1","zone":"z","instance":"vm"},"protocol":"rdp","password":"hunter2"}]}`),
			0, "Cannot import the profiles"},
		{"not json", []byte("hello"), 0, "Cannot import the profiles"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tw := newSavedWorld(t)
			path := filepath.Join(t.TempDir(), "in.json")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			tw.w.importProfiles(f)
			tw.idle()
			if got := len(tw.savedProfiles(t)); got != tc.wantAdded {
				t.Errorf("import %s: %d profiles saved, want %d", tc.name, got, tc.wantAdded)
			}
			if got := strings.Join(texts(tw.topOverlay(t)), "\n"); !strings.Contains(got, tc.wantText) {
				t.Errorf("import %s: dialog says %q, want %q", tc.name, got, tc.wantText)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// nopCloser is a buffer that export can close.
type nopCloser struct{ bytes.Buffer }

func (*nopCloser) Close() error { return nil }

// TestExportHasNoSecrets: Export writes an importable file without the
// profile's saved password.
func TestExportHasNoSecrets(t *testing.T) {
	tw := newSavedWorld(t)
	ctx := context.Background()
	p, err := tw.profiles.Add(ctx, app.Profile{Name: "SQL", Protocol: app.ProfileRDP,
		Target: app.ProfileTarget{Project: windowsVM.Project, Zone: windowsVM.Zone, Instance: windowsVM.Name}})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "s3cret-Pa55"
	if err := tw.creds.SetRDPPassword(ctx, app.ProfileSecret(p.ID), secret); err != nil {
		t.Fatal(err)
	}
	var out nopCloser
	tw.w.exportProfiles(&out)
	tw.idle()
	if strings.Contains(out.String(), secret) {
		t.Errorf("export contains the password:\n%s", out.String())
	}
	list, err := app.ParseProfiles(out.Bytes())
	if err != nil || len(list) != 1 || list[0].Name != "SQL" {
		t.Errorf("ParseProfiles(export) = %v, %v; want the one profile", list, err)
	}
}
