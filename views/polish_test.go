package views

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// TestQuitAsksFirst: quitting with live sessions or tunnels asks first,
// listing them, with "Quit" and "Cancel"; Cancel keeps the window, Quit
// closes it; with nothing open the window closes at once.
func TestQuitAsksFirst(t *testing.T) {
	tw := newTestWorld(t)
	since := time.Date(2026, 11, 30, 10, 42, 0, 0, time.Local)
	tw.conn.sessions = []app.SessionInfo{{Kind: "Remote Desktop", Target: windowsVM.Name, Since: since}}
	tw.tunnels.list = []app.TunnelInfo{{Key: app.TunnelKey{Ref: linuxVM, Port: 22}, LocalAddr: "127.0.0.1:40001"}}
	tw.w.quit()
	dlg := tw.topOverlay(t)
	got := strings.Join(texts(dlg), "\n")
	for _, want := range []string{"Quit iapdesk?", "Remote Desktop to iis-prod-01 (since 10:42)", "Tunnel to web-prod-01 port 22 (127.0.0.1:40001)"} {
		if !strings.Contains(got, want) {
			t.Errorf("quit dialog = %q, want %q in it", got, want)
		}
	}
	test.Tap(button(t, dlg, "Cancel"))
	if tw.w.closing {
		t.Fatal("Cancel closed the window")
	}
	tw.w.quit()
	test.Tap(button(t, tw.topOverlay(t), "Quit"))
	if !tw.w.closing {
		t.Error("Quit did not close the window")
	}

	idle := newTestWorld(t)
	idle.w.quit()
	if !idle.w.closing {
		t.Error("with nothing open, quit asked instead of closing")
	}
}

// TestQuitKeys: the questions asked before closing answer to the
// keyboard, as Fyne's dialogs do not: Escape stays, Enter quits; with a
// tray, the first close's question takes the same keys (Escape keeps
// iapdesk in the tray). A second close while one is shown asks nothing
// more.
func TestQuitKeys(t *testing.T) {
	press := func(tw *testWorld, k fyne.KeyName) {
		tw.w.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k})
		tw.idle()
	}
	tunnel := []app.TunnelInfo{{Key: app.TunnelKey{Ref: linuxVM, Port: 22}, LocalAddr: "127.0.0.1:40001"}}

	tw := newTestWorld(t)
	tw.tunnels.list = tunnel
	tw.w.quit()
	first := tw.topOverlay(t)
	tw.w.quit()
	if again := tw.topOverlay(t); again != first {
		t.Error("a second close while the question is shown asked again")
	}
	press(tw, fyne.KeyEscape)
	if tw.w.closing || tw.w.quitting != nil {
		t.Fatalf("Escape: closing %v, question still open %v; want neither", tw.w.closing, tw.w.quitting != nil)
	}
	tw.w.quit()
	press(tw, fyne.KeyReturn)
	if !tw.w.closing {
		t.Error("Enter in the quit question did not close the window")
	}

	for _, tc := range []struct {
		key       fyne.KeyName
		wantClose bool
		wantKept  app.CloseChoice
	}{
		{fyne.KeyEscape, false, app.CloseToTray},
		{fyne.KeyReturn, true, app.CloseQuits},
	} {
		store := &memChoice{}
		tw := newTestWorldWith(t, Config{}, func(tw *testWorld) { tw.svc.Tray = store })
		tw.w.extras.tray = &fakeTray{}
		tw.tunnels.list = tunnel
		tw.w.tunnelsChanged()
		tw.idle()
		tw.w.quit()
		if got := strings.Join(texts(tw.topOverlay(t)), "\n"); !strings.Contains(got, "Keep iapdesk running?") {
			t.Fatalf("first close with a tray asked %q, want the tray question", got)
		}
		press(tw, tc.key)
		if c, _ := store.Load(context.Background()); tw.w.closing != tc.wantClose || c != tc.wantKept {
			t.Errorf("%s in the tray question: closing %v, kept %q; want %v, %q", tc.key, tw.w.closing, c, tc.wantClose, tc.wantKept)
		}
	}
}

// TestNoMatchNote: a filter that matches no VM hides every project and
// says so, naming the search; "Clear filter" brings every VM back.
func TestNoMatchNote(t *testing.T) {
	tw := newTestWorld(t)
	tw.w.toolbar.search.SetText("no-such-vm-anywhere")
	tw.idle()
	if roots := tw.w.tree.ChildUIDs(""); len(roots) != 0 {
		t.Errorf("tree roots = %v, want none: nothing matches", roots)
	}
	if !tw.w.noMatch.root.Visible() || tw.w.noMatch.text.Text != "No VM matches “no-such-vm-anywhere”" {
		t.Errorf("note visible %v, %q; want it naming the search", tw.w.noMatch.root.Visible(), tw.w.noMatch.text.Text)
	}
	test.Tap(tw.w.noMatch.clear)
	tw.idle()
	if f := tw.explorer.Filter(); !f.IsZero() || tw.w.toolbar.search.Text != "" {
		t.Errorf("after Clear filter: filter %+v, search %q; want both empty", f, tw.w.toolbar.search.Text)
	}
	if tw.w.noMatch.root.Visible() || len(tw.w.tree.ChildUIDs("")) == 0 {
		t.Error("after Clear filter the note is still shown or the tree is empty")
	}
	// A filter that matches keeps only the projects with a match.
	tw.w.toolbar.search.SetText("jupyter")
	tw.idle()
	if roots := tw.w.tree.ChildUIDs(""); !slices.Equal(roots, []string{string(app.ProjectNode("acme-data-platform"))}) {
		t.Errorf("tree roots for jupyter = %v, want acme-data-platform only", roots)
	}
}

// TestExplorerKeyboard: the explorer without a mouse. In the search box,
// Down goes to the first match in the tree and Tab too, Enter connects to
// the selected VM, Escape clears; in the tree the arrows move the
// selection, the Menu key opens the context menu, Escape and Up on the
// first row go back to the search box, and typing searches.
func TestExplorerKeyboard(t *testing.T) {
	tw := newTestWorld(t)
	c := tw.w.win.Canvas()
	search := tw.w.toolbar.search
	tw.w.focusSearch()
	test.Type(search, "web-prod-0")
	tw.idle()
	first := app.InstanceNode(app.InstanceRef{Project: "acme-prod-web", Zone: "europe-west1-b", Name: "web-prod-05"})
	search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if n, ok := tw.w.tree.node(); !ok || n.ID != first || c.Focused() != tw.w.tree {
		t.Fatalf("after Down: selected %v, focus %T; want %s selected in the focused tree", n.ID, c.Focused(), first)
	}
	tw.w.tree.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	second, _ := tw.w.tree.node()
	if second.Kind != app.NodeInstance || second.ID == first {
		t.Errorf("Down in the tree selected %v, want the next VM", second.ID)
	}
	tw.w.tree.TypedKey(&fyne.KeyEvent{Name: desktop.KeyMenu})
	if _, ok := tw.topOverlay(t).(*widget.PopUpMenu); !ok && !slices.ContainsFunc(objects(tw.topOverlay(t)), func(o fyne.CanvasObject) bool {
		_, ok := o.(*widget.PopUpMenu)
		return ok
	}) {
		t.Errorf("the Menu key showed %T, want the context menu", tw.topOverlay(t))
	}
	c.Overlays().Top().Hide()
	c.Overlays().Remove(c.Overlays().Top())

	tw.w.tree.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if c.Focused() != search {
		t.Errorf("Escape in the tree left the focus on %T, want the search box", c.Focused())
	}
	search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	tw.idle()
	if reqs := tw.conn.requests(); len(reqs) != 1 || app.InstanceNode(reqs[0].Instance.InstanceRef) != second.ID {
		t.Errorf("Enter in the search box connected %+v, want the selected VM %s", reqs, second.ID)
	}
	search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
	if c.Focused() != tw.w.tree {
		t.Errorf("Tab in the search box moved the focus to %T, want the tree", c.Focused())
	}
	tw.w.tree.TypedRune('x')
	if c.Focused() != search || search.Text != "web-prod-0x" {
		t.Errorf("typing in the tree: focus %T, search %q; want the search box with the letter added", c.Focused(), search.Text)
	}
	search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	tw.idle()
	if search.Text != "" || !tw.explorer.Filter().IsZero() {
		t.Errorf("Escape left the search %q, want it cleared", search.Text)
	}
	// Up on the first row leaves the tree for the search box.
	tw.w.tree.selectNode(app.NodeID(tw.w.tree.ChildUIDs("")[0]))
	tw.w.tree.focus()
	tw.w.tree.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if c.Focused() != search {
		t.Errorf("Up on the first row left the focus on %T, want the search box", c.Focused())
	}
}

// memState is a WindowStateStore in memory.
type memState struct {
	mu    sync.Mutex // guards st and saved
	st    app.WindowState
	saved int
}

func (m *memState) Load(context.Context) (app.WindowState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st, nil
}

func (m *memState) Save(_ context.Context, st app.WindowState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st, m.saved = st, m.saved+1
	return nil
}

func (m *memState) get() (app.WindowState, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st, m.saved
}

// TestWindowStateRestored: the split positions, the tab, the filter and
// the expanded projects of the last run come back; quitting saves how the
// window is left.
func TestWindowStateRestored(t *testing.T) {
	project := app.ProjectNode("acme-corp-it")
	store := &memState{st: app.WindowState{Width: 1000, Height: 700, Split: 0.4, TunnelsSplit: 0.6, Tab: tabProfiles,
		Filter: app.Filter{Text: "dc-", RunningOnly: true}, Expanded: []app.NodeID{project}}}
	tw := newTestWorldWith(t, Config{State: store}, nil)
	w := tw.w
	if w.split.Offset != 0.4 || w.vsplit.Offset != 0.6 || w.tabs.SelectedIndex() != tabProfiles {
		t.Errorf("split %v, tunnels split %v, tab %d; want 0.4, 0.6 and Saved connections", w.split.Offset, w.vsplit.Offset, w.tabs.SelectedIndex())
	}
	if f := tw.explorer.Filter(); f.Text != "dc-" || !f.RunningOnly || w.toolbar.search.Text != "dc-" || !w.toolbar.running.Checked {
		t.Errorf("filter %+v, search box %q, running only %v; want the saved filter in the explorer and the toolbar", f, w.toolbar.search.Text, w.toolbar.running.Checked)
	}
	if !tw.explorer.TreeState().Expanded[project] {
		t.Errorf("expanded = %v, want %s", tw.explorer.TreeState().Expanded, project)
	}

	w.toolbar.search.SetText("web")
	w.showTab(tabProjects)
	w.split.Offset = 0.5
	w.requestClose()
	w.closer.Wait()
	st, n := store.get()
	if n != 1 || st.Filter.Text != "web" || st.Tab != tabProjects || st.Split != 0.5 || !slices.Contains(st.Expanded, project) || st.Width <= 0 {
		t.Errorf("saved %+v (%d saves), want the window as left: filter web, Projects tab, split 0.5, %s expanded", st, n, project)
	}
}

// TestProfileDetailPane: the Saved connections tab has its own detail
// pane: selecting a profile shows its target, protocol, port and the
// settings it connects with, each with where it comes from, and
// Connect/Edit; the Projects tab's pane (a project's error) is not shown.
func TestProfileDetailPane(t *testing.T) {
	tw := newSavedWorld(t)
	ctx := context.Background()
	tw.w.selected(tw.nodeOf(t, app.ProjectNode("acme-legacy-erp"))) // a project with an error
	p, err := tw.profiles.Add(ctx, app.Profile{Name: "Portal", Protocol: app.ProfileRDP,
		Target: app.ProfileTarget{Project: windowsVM.Project, Zone: windowsVM.Zone, Instance: windowsVM.Name}})
	if err != nil {
		t.Fatal(err)
	}
	tw.w.reloadProfiles()
	tw.idle()
	tw.w.showTab(tabProfiles)
	tw.w.profiles.selectID(p.ID)
	tw.idle()
	if tw.w.detail.showing() != tw.w.profiles.detail.root {
		t.Fatal("the Saved connections tab shows another detail pane")
	}
	got := strings.Join(texts(tw.w.profiles.detail.root), "\n")
	for _, want := range []string{"Portal", "VM iis-prod-01 in zone us-central1-a, project acme-prod-web", "Remote Desktop (RDP)",
		"3389 (the protocol's default)", "Colour depth", "automatic", "default"} {
		if !strings.Contains(got, want) {
			t.Errorf("detail pane = %q, want %q in it", got, want)
		}
	}
	if strings.Contains(got, "Cannot list VMs") {
		t.Error("the profile's pane shows the project's error")
	}
	button(t, tw.w.profiles.detail.root, "Connect")
	button(t, tw.w.profiles.detail.root, "Edit…")
	tw.w.showTab(tabProjects)
	if tw.w.detail.showing() != tw.w.detail.own {
		t.Error("back on Projects, the node's detail pane is not shown")
	}
}

// nodeOf returns the tree's node id.
func (tw *testWorld) nodeOf(t *testing.T, id app.NodeID) app.Node {
	t.Helper()
	n, ok := tw.w.tree.inv.Node(id)
	if !ok {
		t.Fatalf("no node %s", id)
	}
	return n
}

// TestProfileDialogValidates: the profile editor offers the loaded
// projects, zones and VMs; an empty name and a VM that does not exist are
// said inside the dialog, which stays open and saves nothing.
func TestProfileDialogValidates(t *testing.T) {
	tw := newSavedWorld(t)
	tw.w.newProfile(app.Profile{Protocol: app.ProfileRDP})
	pd := tw.w.openProfile
	dlg := tw.topOverlay(t)
	if !slices.Contains(pd.choices[0], windowsVM.Project) {
		t.Errorf("project choices = %v, want the loaded %s", pd.choices[0], windowsVM.Project)
	}
	pd.project.SetText(windowsVM.Project)
	pd.zone.SetText(windowsVM.Zone)
	if !slices.Contains(pd.choices[2], windowsVM.Name) {
		t.Errorf("VM choices = %v, want %s", pd.choices[2], windowsVM.Name)
	}
	pd.instance.SetText("no-such-vm")
	test.Tap(button(t, dlg, "Save"))
	tw.idle()
	if tw.topOverlay(t) != dlg || !pd.problem.Visible() || !strings.Contains(pd.problem.Text, "name") {
		t.Errorf("empty name: problem %q (shown %v); want it said inside the dialog", pd.problem.Text, pd.problem.Visible())
	}
	pd.name.SetText("Ghost")
	test.Tap(button(t, dlg, "Save"))
	tw.idle()
	if tw.topOverlay(t) != dlg || !strings.Contains(pd.problem.Text, "does not exist") {
		t.Errorf("missing VM: problem %q, want it said inside the dialog", pd.problem.Text)
	}
	if got := tw.savedProfiles(t); len(got) != 0 {
		t.Errorf("saved %v, want nothing", names(got))
	}
	pd.instance.SetText(windowsVM.Name)
	test.Tap(button(t, dlg, "Save"))
	tw.idle()
	if got := names(tw.savedProfiles(t)); !slices.Equal(got, []string{"Ghost"}) {
		t.Errorf("after fixing the VM, saved %q, want [Ghost]", got)
	}
}
