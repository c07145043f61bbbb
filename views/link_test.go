package views

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"iapdesk/app"
)

// TestStartupLinkConnects: a window started with an iap-rdp link connects
// to its VM once the projects have loaded, with the link's settings over
// the saved ones and the VM's saved password.
func TestStartupLinkConnects(t *testing.T) {
	u, err := app.ParseIAPRDPURL("iap-rdp:///" + windowsVM.Project + "/" + windowsVM.Zone + "/" + windowsVM.Name + "?username=alice&DesktopSize=1&NetworkLevelAuthentication=0")
	if err != nil {
		t.Fatal(err)
	}
	tw := newTestWorldWith(t, Config{Link: &u}, func(tw *testWorld) {
		withSaved(t, tw)
		if err := tw.creds.SetRDPPassword(context.Background(), app.InstanceSecret(windowsVM), "pw"); err != nil {
			t.Fatal(err)
		}
	})
	reqs := tw.conn.requests()
	if len(reqs) != 1 {
		t.Fatalf("requests after start = %d, want the link's", len(reqs))
	}
	r := reqs[0]
	if r.Instance.InstanceRef != windowsVM || r.Protocol != app.ProtocolRDP || r.RDP.Username != "alice" || r.RDP.Password != "pw" ||
		!r.RDP.Options.FullScreen || r.Instance.Status != "RUNNING" {
		t.Errorf("link request = %v %v %q (password set %v, full screen %v, status %q), want %v RDP alice, the saved password, full screen, RUNNING",
			r.Instance.InstanceRef, r.Protocol, r.RDP.Username, r.RDP.Password != "", r.RDP.Options.FullScreen, r.Instance.Status, windowsVM)
	}
	tw.w.refresh()
	tw.idle()
	if n := len(tw.conn.requests()); n != 1 {
		t.Errorf("after a second load, requests = %d, want the link opened once", n)
	}
}

// TestOpenLinkDialog: File → Open iap-rdp link… explains a malformed link
// with app's message and connects with a good one.
func TestOpenLinkDialog(t *testing.T) {
	tests := []struct {
		link     string
		wantReqs int
		wantText string
	}{
		{"iap-rdp://host/p/z/vm", 0, "Cannot open the iap-rdp link"},
		// A good link connects: the policy asks for bob's password first.
		{"iap-rdp:///" + windowsVM.Project + "/" + windowsVM.Zone + "/" + windowsVM.Name + "?username=bob", 0, "Credentials needed for " + windowsVM.Name},
	}
	for _, tc := range tests {
		t.Run(tc.link, func(t *testing.T) {
			tw := newSavedWorld(t)
			tw.w.showOpenLink()
			dlg := tw.topOverlay(t)
			entryIn(t, dlg).SetText(tc.link)
			test.Tap(button(t, dlg, "Open"))
			tw.idle()
			if n := len(tw.conn.requests()); n != tc.wantReqs {
				t.Errorf("Open %q: %d requests, want %d", tc.link, n, tc.wantReqs)
			}
			if got := strings.Join(texts(tw.topOverlay(t)), "\n"); !strings.Contains(got, tc.wantText) {
				t.Errorf("Open %q: dialog says %q, want %q", tc.link, got, tc.wantText)
			}
		})
	}
}

// TestLinkRevealsVM: opening an iap-rdp link selects its VM in the tree
// and reveals it: the Projects tab in front, its project and zone open, a
// filter that hid it cleared.
func TestLinkRevealsVM(t *testing.T) {
	tw := newSavedWorld(t)
	tw.w.showTab(tabProfiles)
	tw.w.toolbar.search.SetText("web-prod") // hides the Windows VM
	tw.idle()
	if _, ok := tw.explorer.Inventory().Instance(windowsVM); ok {
		t.Fatal("the filter did not hide the VM")
	}
	u, err := app.ParseIAPRDPURL("iap-rdp:///" + windowsVM.Project + "/" + windowsVM.Zone + "/" + windowsVM.Name)
	if err != nil {
		t.Fatal(err)
	}
	tw.w.connectLink(u)
	tw.idle()
	id := app.InstanceNode(windowsVM)
	if n, ok := tw.w.tree.node(); !ok || n.ID != id {
		t.Errorf("selected node = %v, want %s", n.ID, id)
	}
	if tw.w.tabs.SelectedIndex() != tabProjects {
		t.Error("the Projects tab is not in front")
	}
	if f := tw.explorer.Filter(); !f.IsZero() {
		t.Errorf("filter = %+v, want it cleared", f)
	}
	for _, b := range []app.NodeID{app.ProjectNode(windowsVM.Project), app.ZoneNode(windowsVM.Project, windowsVM.Zone)} {
		if !tw.w.tree.IsBranchOpen(string(b)) {
			t.Errorf("branch %s is closed, want it open", b)
		}
	}
	tw.row(t, id) // visible
}
