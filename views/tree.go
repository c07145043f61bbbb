package views

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// treeActions are what the tree asks of the window.
type treeActions struct {
	selected func(n app.Node)                   // a node was selected
	activate func(n app.Node)                   // double-click or Enter
	menu     func(n app.Node, at fyne.Position) // right-click, at an absolute position
	expanded func(id app.NodeID, open bool)     // the user opened or closed a branch
	refresh  func()                             // F5
}

// explorerTree is the project tree: a widget.Tree whose data callbacks read
// an immutable app.Inventory snapshot (ChildUIDs → Children, IsBranch →
// IsBranch, UpdateNode → the node's label and icon). It adds Enter and F5,
// and rows with context menus. UI thread only.
type explorerTree struct {
	widget.Tree
	inv       *app.Inventory
	act       treeActions
	selected  app.NodeID
	filtering bool                    // all branches are open while a filter is on
	rows      map[app.NodeID]*nodeRow // the row showing each visible node
	// toSearch moves the keyboard focus to the search box, typing the rune
	// into it unless it is 0 (keyboard.go).
	toSearch func(r rune)
	shift    bool // Shift is held (Shift+F10)
}

func newExplorerTree(act treeActions) *explorerTree {
	t := &explorerTree{inv: app.NewInventory(nil, time.Time{}), act: act, rows: map[app.NodeID]*nodeRow{}}
	t.ChildUIDs = func(uid widget.TreeNodeID) []widget.TreeNodeID {
		ids := t.inv.Children(app.NodeID(uid))
		out := make([]widget.TreeNodeID, len(ids))
		for i, id := range ids {
			out[i] = string(id)
		}
		return out
	}
	t.IsBranch = func(uid widget.TreeNodeID) bool { return t.inv.IsBranch(app.NodeID(uid)) }
	t.CreateNode = func(bool) fyne.CanvasObject { return newNodeRow(t) }
	t.UpdateNode = func(uid widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
		n, _ := t.inv.Node(app.NodeID(uid))
		o.(*nodeRow).set(n)
	}
	t.OnSelected = func(uid widget.TreeNodeID) {
		t.selected = app.NodeID(uid)
		if n, ok := t.inv.Node(t.selected); ok {
			act.selected(n)
		}
	}
	t.OnUnselected = func(uid widget.TreeNodeID) {
		if t.selected == app.NodeID(uid) {
			t.selected = app.RootNode
		}
	}
	t.OnBranchOpened = func(uid widget.TreeNodeID) {
		if !t.filtering {
			act.expanded(app.NodeID(uid), true)
		}
	}
	t.OnBranchClosed = func(uid widget.TreeNodeID) {
		if !t.filtering {
			act.expanded(app.NodeID(uid), false)
		}
	}
	t.ExtendBaseWidget(t)
	return t
}

// show replaces the snapshot and restores expansion and selection. While a
// filter is on every branch is open, so the matches are visible; when it
// goes off, the user's own expansion comes back.
func (t *explorerTree) show(inv *app.Inventory, st app.TreeState, filtering bool) {
	t.inv = inv
	switch {
	case filtering:
		t.filtering = true
		t.OpenAllBranches()
	case t.filtering:
		t.filtering = false
		t.CloseAllBranches()
		fallthrough
	default:
		for id := range st.Expanded {
			if inv.IsBranch(id) && !t.IsBranchOpen(string(id)) {
				t.OpenBranch(string(id))
			}
		}
	}
	if _, ok := inv.Node(st.Selected); ok && st.Selected != app.RootNode {
		if st.Selected != t.selected {
			t.Select(string(st.Selected))
		}
	} else if t.selected != app.RootNode {
		t.UnselectAll()
	}
	t.Refresh()
}

// node returns the selected node.
func (t *explorerTree) node() (app.Node, bool) {
	if t.selected == app.RootNode {
		return app.Node{}, false
	}
	return t.inv.Node(t.selected)
}

// TypedKey: the arrows move the selection (and open and close branches),
// Enter connects to the selected VM (or opens a branch), the Menu key and
// Shift+F10 open the context menu, Escape goes to the search box, F5
// refreshes (keyboard.go).
func (t *explorerTree) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if n, ok := t.node(); ok {
			t.activate(n)
		}
	case fyne.KeyDown:
		t.moveSelection(1)
	case fyne.KeyUp:
		t.moveSelection(-1)
	case fyne.KeyRight:
		t.right()
	case fyne.KeyLeft:
		t.left()
	case desktop.KeyMenu:
		t.openMenu()
	case fyne.KeyF10:
		if t.shift {
			t.openMenu()
		}
	case fyne.KeyEscape:
		if t.toSearch != nil {
			t.toSearch(0)
		}
	case fyne.KeyF5:
		t.act.refresh()
	default:
		t.Tree.TypedKey(ev)
	}
}

// activate connects to a VM, or toggles a branch.
func (t *explorerTree) activate(n app.Node) {
	if n.Kind == app.NodeInstance {
		t.act.activate(n)
		return
	}
	t.ToggleBranch(string(n.ID))
}

// rowFor returns the row showing id, if it is visible.
func (t *explorerTree) rowFor(id app.NodeID) *nodeRow {
	r := t.rows[id]
	if r == nil || r.node.ID != id || !r.Visible() {
		return nil
	}
	return r
}

// focus gives the tree the keyboard focus.
func (t *explorerTree) focus() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(t); c != nil {
		c.Focus(t)
	}
}
