package views

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/auth"
)

// TestSignOutShowsSignIn: Sign out in the account menu closes the services
// (and their tunnels) and, with no credentials left, brings up the sign-in
// screen; signing in again restores the explorer.
func TestSignOutShowsSignIn(t *testing.T) {
	a := test.NewTempApp(t)
	accts := &fakeAccounts{}
	hub := &Hub{}
	ex, _, _ := newExplorer(t, hub)
	var closed atomic.Int32
	start := func(context.Context) (*Services, error) {
		if accts.signedOut() {
			return nil, fmt.Errorf("resolve: %w", auth.ErrNoCredentials)
		}
		return &Services{Explorer: ex, Tunnels: &fakeTunnels{}, Connector: &fakeConnector{},
			Credentials: auth.Description{Kind: auth.SourceAccount, Account: "user@example.com"},
			Close:       func() { closed.Add(1) }}, nil
	}
	w, loop := newWindow(t, Config{App: a, Accounts: accts, Hub: hub, Start: start})
	w.start()
	settle(t, w, loop)
	if got := w.status.account.Text; got != "user@example.com" {
		t.Errorf("status bar account = %q, want user@example.com", got)
	}

	test.Tap(w.status.account)
	settle(t, w, loop)
	pm, ok := w.win.Canvas().Overlays().Top().(*widget.PopUpMenu)
	if !ok {
		for _, o := range objects(w.win.Canvas().Overlays().Top()) {
			if p, ok := o.(*widget.PopUpMenu); ok {
				pm = p
			}
		}
	}
	if pm == nil {
		t.Fatalf("the account button opened %T, want a menu", w.win.Canvas().Overlays().Top())
	}
	test.Tap(pm.Items[len(pm.Items)-1].(fyne.Tappable)) // Sign out
	settle(t, w, loop)
	if accts.signOuts != 1 || closed.Load() != 1 {
		t.Errorf("after Sign out: %d sign-outs, services closed %d times; want 1 and 1", accts.signOuts, closed.Load())
	}
	if w.body.Objects[0] != w.signin.root {
		t.Fatalf("after Sign out the window shows %v, want the sign-in screen", w.body.Objects)
	}
	test.Tap(w.signin.button)
	settle(t, w, loop)
	if w.body.Objects[0] != w.explore || w.status.account.Text != "user@example.com" {
		t.Errorf("after signing in again the window shows %v (account %q), want the explorer", w.body.Objects, w.status.account.Text)
	}
}

// TestAddProject: the Add project dialog searches Resource Manager (the
// fake) and adds the ticked project to the tree.
func TestAddProject(t *testing.T) {
	tw := newTestWorld(t)
	const id = "acme-dev-sandbox"
	if err := tw.explorer.RemoveProject(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	tw.idle()
	if slices.Contains(tw.w.tree.ChildUIDs(""), string(app.ProjectNode(id))) {
		t.Fatalf("%s still in the tree after RemoveProject", id)
	}
	tw.w.showAddProject()
	tw.idle()
	dlg := tw.topOverlay(t)
	var check *widget.Check
	for _, o := range objects(dlg) {
		if c, ok := o.(*widget.Check); ok && c.Text == "Acme Dev Sandbox ("+id+")" {
			check = c
		}
	}
	if check == nil {
		t.Fatalf("the search shows no %s; texts: %v", id, texts(dlg))
	}
	test.Tap(check)
	test.Tap(button(t, dlg, "Add"))
	tw.idle()
	if !slices.Contains(tw.w.tree.ChildUIDs(""), string(app.ProjectNode(id))) {
		t.Errorf("after Add, the tree roots are %v, want %s among them", tw.w.tree.ChildUIDs(""), id)
	}
}

// TestAddProjectByInvalidID: a typed ID that cannot be a project ID is
// refused with app's explanation.
func TestAddProjectByInvalidID(t *testing.T) {
	tw := newTestWorld(t)
	tw.svc.Projects = nil // no search: add by ID only
	tw.w.showAddProject()
	dlg := tw.topOverlay(t)
	var query *widget.Entry
	for _, o := range objects(dlg) {
		if e, ok := o.(*widget.Entry); ok {
			query = e
		}
	}
	test.Type(query, "Not A Project")
	test.Tap(button(t, dlg, "Add"))
	tw.idle()
	want := app.ValidateProjectID("Not A Project").(*app.UserError)
	if got := texts(tw.topOverlay(t)); !slices.Contains(got, want.What) || !slices.Contains(got, want.Fix) {
		t.Errorf("error dialog texts = %q, want %q and %q", got, want.What, want.Fix)
	}
}

// TestKeys: F5 in the tree reloads; Ctrl+F (the menu's Find) focuses the
// search box.
func TestKeys(t *testing.T) {
	tw := newTestWorld(t)
	if err := tw.gce.AddInstance("acme-dev-sandbox", gcetestInstance("new-vm-01", "us-central1-a")); err != nil {
		t.Fatal(err)
	}
	tw.w.tree.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF5})
	tw.idle()
	ref := app.InstanceRef{Project: "acme-dev-sandbox", Zone: "us-central1-a", Name: "new-vm-01"}
	if _, ok := tw.w.tree.inv.Node(app.InstanceNode(ref)); !ok {
		t.Errorf("after F5 the tree lacks %s, which the API now serves", ref)
	}
	tw.w.focusSearch()
	if got := tw.w.win.Canvas().Focused(); got != tw.w.toolbar.search {
		t.Errorf("after Find the focus is on %T, want the search box", got)
	}
}

// TestAddProjectSearchAnywhere: the search matches a word anywhere in a
// project's name, whatever its case ("legacy", "ERP" find "Acme Legacy
// ERP"); a project already in the explorer is shown as added and cannot be
// added twice: typing its ID says so, in the dialog.
func TestAddProjectSearchAnywhere(t *testing.T) {
	tw := newTestWorld(t)
	tw.w.showAddProject()
	tw.idle()
	dlg := tw.topOverlay(t)
	query := entryIn(t, dlg)
	for _, q := range []string{"legacy", "ERP"} {
		query.SetText(q)
		test.Tap(button(t, dlg, "Search"))
		tw.idle()
		var found *widget.Check
		for _, o := range objects(dlg) {
			if c, ok := o.(*widget.Check); ok && strings.HasPrefix(c.Text, "Acme Legacy ERP (acme-legacy-erp)") {
				found = c
			}
		}
		if found == nil {
			t.Fatalf("search %q: no Acme Legacy ERP among %q", q, texts(dlg))
		}
		if !strings.HasSuffix(found.Text, "already added") || !found.Checked || !found.Disabled() {
			t.Errorf("search %q: %q (checked %v, disabled %v), want it shown as already added", q, found.Text, found.Checked, found.Disabled())
		}
	}
	query.SetText("acme-prod-web")
	test.Tap(button(t, dlg, "Search"))
	tw.idle()
	before := len(tw.explorer.Unfiltered().Projects)
	test.Tap(button(t, dlg, "Add"))
	tw.idle()
	if tw.topOverlay(t) != dlg {
		t.Fatal("adding a project already added closed the dialog")
	}
	if got := strings.Join(texts(dlg), "\n"); !strings.Contains(got, "Project acme-prod-web is already in the explorer.") {
		t.Errorf("dialog says %q, want that the project is already added", got)
	}
	if n := len(tw.explorer.Unfiltered().Projects); n != before {
		t.Errorf("the explorer has %d projects, want %d", n, before)
	}
}
