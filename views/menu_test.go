package views

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/platform"
	"iapdesk/tunnel"
)

var (
	stoppedVM = app.InstanceRef{Project: "acme-corp-it", Zone: "europe-west1-c", Name: "rdsh-03"}
	windowsVM = app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "iis-prod-01"}
	linuxVM   = app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "web-prod-01"}
)

func (tw *testWorld) instance(t *testing.T, ref app.InstanceRef) app.Instance {
	t.Helper()
	in, ok := tw.explorer.Inventory().Instance(ref)
	if !ok {
		t.Fatalf("%s is not in the inventory", ref)
	}
	return *in
}

// TestContextMenuStartReachesCompute: right-click → Start on a stopped VM
// starts it through app (the fake Compute API sees it RUNNING) and the
// reloaded tree shows it running.
func TestContextMenuStartReachesCompute(t *testing.T) {
	tw := newTestWorld(t)
	tw.expand(stoppedVM)
	row := tw.row(t, app.InstanceNode(stoppedVM))
	test.TapSecondary(row)
	menu := tw.w.instanceMenu(tw.instance(t, stoppedVM))
	tw.tapMenuItem(t, menu, "Start")
	tw.idle()
	if st, err := tw.gce.InstanceStatus(stoppedVM.Project, stoppedVM.Zone, stoppedVM.Name); err != nil || st != "RUNNING" {
		t.Fatalf("after Start, the fake says %s is %q (%v), want RUNNING", stoppedVM.Name, st, err)
	}
	row = tw.row(t, app.InstanceNode(stoppedVM))
	if row.icon.Resource != iconWindows || row.note.Text() == "TERMINATED" {
		t.Errorf("after Start, row shows icon %s and note %q, want it running", row.icon.Resource.Name(), row.note.Text())
	}
}

// TestInstanceMenuItems: which actions a running and a stopped VM offer.
func TestInstanceMenuItems(t *testing.T) {
	tw := newTestWorld(t)
	tests := []struct {
		ref          app.InstanceRef
		connect      string
		enabled      []string
		disabled     []string
		wantProtocol app.Protocol
	}{
		{windowsVM, "Connect (RDP)", []string{"Connect (RDP)", "Connect to port…", "Stop", "Reset", "Properties"}, []string{"Start"}, app.ProtocolRDP},
		{linuxVM, "Connect (SSH)", []string{"Connect (SSH)", "Stop"}, []string{"Start"}, app.ProtocolSSH},
		{stoppedVM, "Connect (RDP)", []string{"Start", "Show serial port output"}, []string{"Connect (RDP)", "Connect to port…", "Stop", "Reset"}, app.ProtocolRDP},
	}
	for _, tc := range tests {
		t.Run(tc.ref.Name, func(t *testing.T) {
			m := tw.w.instanceMenu(tw.instance(t, tc.ref))
			state := map[string]bool{}
			for _, it := range m.Items {
				if !it.IsSeparator {
					state[it.Label] = !it.Disabled
				}
			}
			for _, l := range tc.enabled {
				if on, ok := state[l]; !ok || !on {
					t.Errorf("menu of %s: %q present=%v enabled=%v, want enabled", tc.ref.Name, l, ok, on)
				}
			}
			for _, l := range tc.disabled {
				if state[l] {
					t.Errorf("menu of %s: %q enabled, want disabled", tc.ref.Name, l)
				}
			}
		})
	}
}

// TestDoubleClickAndEnterConnect: both connect to the VM with the default
// protocol (app picks RDP or SSH).
func TestDoubleClickAndEnterConnect(t *testing.T) {
	tw := newTestWorld(t)
	tw.expand(linuxVM)
	test.DoubleTap(tw.row(t, app.InstanceNode(linuxVM)))
	tw.idle()
	test.Tap(tw.row(t, app.InstanceNode(windowsVM)))
	tw.w.tree.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	tw.idle()
	reqs := tw.conn.requests()
	if len(reqs) != 2 {
		t.Fatalf("connect requests = %d, want 2", len(reqs))
	}
	for i, want := range []app.InstanceRef{linuxVM, windowsVM} {
		r := reqs[i]
		if r.Instance.InstanceRef != want || r.Protocol != app.ProtocolAuto || r.Instance.Status != "RUNNING" {
			t.Errorf("request %d = %v %v (status %q), want %v auto, the VM as the tree shows it", i, r.Instance.InstanceRef, r.Protocol, r.Instance.Status, want)
		}
	}
}

// TestRDPCredentialsDialog: when app's connect policy needs credentials,
// the window asks for them (titled with app's reason) and the connection
// goes on with them.
func TestRDPCredentialsDialog(t *testing.T) {
	tw := newSavedWorld(t)
	tw.w.connect(tw.instance(t, windowsVM), app.ProtocolAuto, 0, nil)
	tw.idle()
	dlg := tw.topOverlay(t)
	if got := strings.Join(texts(dlg), "\n"); !strings.Contains(got, "Credentials needed for iis-prod-01") {
		t.Errorf("dialog texts = %q, want app's title", got)
	}
	var entries []*widget.Entry
	for _, o := range objects(dlg) {
		if e, ok := o.(*widget.Entry); ok {
			entries = append(entries, e)
		}
	}
	if len(entries) != 3 || !entries[2].Password {
		t.Fatalf("dialog entries = %d (last password=%v), want user, domain, password", len(entries), len(entries) == 3 && entries[2].Password)
	}
	test.Type(entries[0], "admin")
	test.Type(entries[1], "CORP")
	test.Type(entries[2], "s3cret")
	test.Tap(button(t, dlg, "Connect"))
	tw.idle()
	reqs := tw.conn.requests()
	if len(reqs) != 1 {
		t.Fatalf("connect requests = %d, want 1, with the credentials", len(reqs))
	}
	rdp := reqs[0].RDP
	if rdp.Username != "admin" || rdp.Domain != "CORP" || rdp.Password != platform.Password("s3cret") {
		t.Errorf("second request RDP = %q %q (password set %v), want admin CORP s3cret", rdp.Username, rdp.Domain, rdp.Password != "")
	}
}

// TestPortDialog: "Connect to port…" suggests the app made for the port,
// and "just the tunnel" connects with ProtocolTunnel.
func TestPortDialog(t *testing.T) {
	tests := []struct {
		port      string
		wantProto app.Protocol
		wantApp   string
	}{
		{"5432", app.ProtocolApp, "PostgreSQL (psql)"},
		{"8080", app.ProtocolApp, "Browser (HTTP)"},
		{"9999", app.ProtocolTunnel, ""},
	}
	for _, tc := range tests {
		t.Run(tc.port, func(t *testing.T) {
			tw := newTestWorld(t)
			tw.w.showPortDialog(tw.instance(t, linuxVM))
			dlg := tw.topOverlay(t)
			var port *widget.Entry
			for _, o := range objects(dlg) {
				if e, ok := o.(*widget.Entry); ok {
					port = e
				}
			}
			test.Type(port, tc.port)
			test.Tap(button(t, dlg, "Connect"))
			tw.idle()
			reqs := tw.conn.requests()
			if len(reqs) != 1 {
				t.Fatalf("requests = %d, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Protocol != tc.wantProto || r.App.Name != tc.wantApp || r.Port != mustPort(t, tc.port) {
				t.Errorf("port %s: request %v app %q port %d, want %v %q", tc.port, r.Protocol, r.App.Name, r.Port, tc.wantProto, tc.wantApp)
			}
			if tc.wantProto == app.ProtocolTunnel {
				if got := tw.w.cfg.App.Clipboard().Content(); got != "127.0.0.1:40000" {
					t.Errorf("clipboard = %q, want the tunnel's address", got)
				}
			}
		})
	}
}

func mustPort(t *testing.T, s string) int {
	t.Helper()
	p, err := parsePort(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConnectErrorShowsUserError: a failed connect shows app's What, Why,
// Fix and, under Details, what the raw error adds (the relay's close code).
func TestConnectErrorShowsUserError(t *testing.T) {
	tw := newTestWorld(t)
	raw := &tunnel.CloseError{Code: tunnel.CodeFailedToConnect,
		Target: tunnel.Target{Project: windowsVM.Project, Zone: windowsVM.Zone, Instance: windowsVM.Name, Port: 3389}}
	ue := app.ConnectError(windowsVM, 3389, raw)
	tw.conn.errs = []error{ue}
	tw.w.connect(tw.instance(t, windowsVM), app.ProtocolAuto, 0, nil)
	tw.idle()
	got := texts(tw.topOverlay(t))
	for _, want := range []string{ue.What, capitalise(ue.Why), ue.Fix, "relay closed the tunnel to acme-prod-web/us-central1-a/iis-prod-01:3389 with code 4003 (FAILED_TO_CONNECT_TO_BACKEND)"} {
		if !slices.Contains(got, want) {
			t.Errorf("error dialog texts = %q, want %q among them", got, want)
		}
	}
}

// TestProjectMenuRemove: right-click → Remove on a project removes it from
// the explorer (after the confirmation).
func TestProjectMenuRemove(t *testing.T) {
	tw := newTestWorld(t)
	id := app.ProjectNode("acme-dev-sandbox")
	test.TapSecondary(tw.row(t, id))
	p, _ := tw.explorer.Inventory().Project("acme-dev-sandbox")
	tw.tapMenuItem(t, tw.w.projectMenu(p), "Remove")
	test.Tap(button(t, tw.topOverlay(t), "Remove project"))
	tw.idle()
	if slices.Contains(tw.w.tree.ChildUIDs(""), string(id)) {
		t.Errorf("after Remove, the tree still lists %s", id)
	}
	if _, ok := tw.explorer.Unfiltered().Project("acme-dev-sandbox"); ok {
		t.Errorf("after Remove, the explorer still has acme-dev-sandbox")
	}
}
