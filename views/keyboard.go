package views

import (
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"iapdesk/app"
)

// The explorer without a mouse: Ctrl+F (or typing in the tree) goes to the
// search box; there Down or Tab goes to the first match in the tree,
// Enter connects to the selected VM (or selects the first match), Escape
// clears the search. In the tree the arrows move the selection (Right and
// Left open and close branches), Enter connects, the Menu key or
// Shift+F10 opens the selected node's context menu, and Escape, or Up on
// the first row, goes back to the search box.

// wireKeyboard connects the search box and the tree. New calls it.
func (w *Window) wireKeyboard() {
	w.toolbar.search.onDown = w.focusFirstMatch
	w.toolbar.search.onTab = w.focusFirstMatch
	w.toolbar.search.onEnter = w.searchEnter
	w.tree.toSearch = w.focusSearchWith
}

// visibleNodes lists the nodes the tree shows, top to bottom: the open
// branches' children.
func (t *explorerTree) visibleNodes() []app.NodeID {
	var out []app.NodeID
	var walk func(id app.NodeID)
	walk = func(id app.NodeID) {
		for _, c := range t.inv.Children(id) {
			out = append(out, c)
			if t.inv.IsBranch(c) && t.IsBranchOpen(string(c)) {
				walk(c)
			}
		}
	}
	walk(app.RootNode)
	return out
}

// firstVM is the first VM of the (filtered) inventory; it opens the
// branches above it.
func (t *explorerTree) firstVM() (app.NodeID, bool) {
	for _, p := range t.inv.Children(app.RootNode) {
		for _, z := range t.inv.Children(p) {
			for _, vm := range t.inv.Children(z) {
				t.OpenBranch(string(p))
				t.OpenBranch(string(z))
				return vm, true
			}
		}
	}
	return "", false
}

// selectNode selects id and scrolls it into view.
func (t *explorerTree) selectNode(id app.NodeID) {
	t.Select(string(id))
	t.ScrollTo(string(id))
}

// focusFirstMatch moves from the search box to the tree: to the selected
// node if the filter kept it, else to the first VM that matches.
func (w *Window) focusFirstMatch() {
	if _, ok := w.tree.node(); !ok {
		if id, ok := w.tree.firstVM(); ok {
			w.tree.selectNode(id)
		}
	}
	w.showTab(tabProjects)
	w.tree.focus()
}

// searchEnter is Enter in the search box: connect to the selected VM, or
// move to the first match when none is selected.
func (w *Window) searchEnter() {
	if n, ok := w.tree.node(); ok && n.Kind == app.NodeInstance {
		w.tree.activate(n)
		return
	}
	w.focusFirstMatch()
}

// focusSearchWith gives the search box the focus, typing r into it first
// when it is not 0 (typing in the tree searches).
func (w *Window) focusSearchWith(r rune) {
	w.focusSearch()
	if r != 0 {
		w.toolbar.search.TypedRune(r)
	}
}

// moveSelection selects the node delta rows away from the selected one
// (the first row when none is); Up on the first row leaves for the search
// box.
func (t *explorerTree) moveSelection(delta int) {
	nodes := t.visibleNodes()
	if len(nodes) == 0 {
		return
	}
	i := -1
	for j, id := range nodes {
		if id == t.selected {
			i = j
		}
	}
	next := i + delta
	switch {
	case i < 0:
		next = 0
	case next < 0:
		if t.toSearch != nil {
			t.toSearch(0)
		}
		return
	case next >= len(nodes):
		next = len(nodes) - 1
	}
	t.selectNode(nodes[next])
}

// right opens the selected branch, or moves into it when it is open.
func (t *explorerTree) right() {
	n, ok := t.node()
	if !ok || !t.inv.IsBranch(n.ID) {
		return
	}
	if !t.IsBranchOpen(string(n.ID)) {
		t.OpenBranch(string(n.ID))
		return
	}
	if kids := t.inv.Children(n.ID); len(kids) > 0 {
		t.selectNode(kids[0])
	}
}

// left closes the selected branch, or moves to its parent.
func (t *explorerTree) left() {
	n, ok := t.node()
	if !ok {
		return
	}
	if t.inv.IsBranch(n.ID) && t.IsBranchOpen(string(n.ID)) {
		t.CloseBranch(string(n.ID))
		return
	}
	switch n.Kind {
	case app.NodeInstance:
		t.selectNode(app.ZoneNode(n.Instance.Project, n.Instance.Zone))
	case app.NodeZone:
		t.selectNode(app.ProjectNode(n.Project.ID))
	}
}

// openMenu opens the selected node's context menu beside its row.
func (t *explorerTree) openMenu() {
	n, ok := t.node()
	if !ok {
		return
	}
	at := fyne.NewPos(0, 0)
	if r := t.rowFor(n.ID); r != nil {
		if d := fyne.CurrentApp().Driver(); d != nil {
			at = d.AbsolutePositionForObject(r).AddXY(r.Size().Width*0.3, r.Size().Height*0.6)
		}
	}
	t.act.menu(n, at)
}

// TypedRune starts a search with what is typed in the tree.
func (t *explorerTree) TypedRune(r rune) {
	if t.toSearch != nil && unicode.IsPrint(r) && r != ' ' {
		t.toSearch(r)
		return
	}
	t.Tree.TypedRune(r)
}

// KeyDown tracks Shift, for Shift+F10.
func (t *explorerTree) KeyDown(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
		t.shift = true
	}
}

// KeyUp tracks Shift.
func (t *explorerTree) KeyUp(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
		t.shift = false
	}
}

var _ desktop.Keyable = (*explorerTree)(nil)

// searchKeys are what the search box does with the keys it does not type.
type searchKeys struct {
	onDown, onTab, onEnter func()
}

// AcceptsTab makes Tab reach TypedKey, which moves to the tree rather than
// to the next button.
func (e *searchEntry) AcceptsTab() bool { return e.onTab != nil }

// KeyDown tracks Shift, for Shift+Tab.
func (e *searchEntry) KeyDown(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(ev)
}

// KeyUp tracks Shift.
func (e *searchEntry) KeyUp(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(ev)
}

// searchKey handles the search box's own keys; false leaves ev to the
// entry.
func (e *searchEntry) searchKey(ev *fyne.KeyEvent) bool {
	call := func(f func()) bool {
		if f == nil {
			return false
		}
		f()
		return true
	}
	switch ev.Name {
	case fyne.KeyDown:
		return call(e.onDown)
	case fyne.KeyReturn, fyne.KeyEnter:
		return call(e.onEnter)
	case fyne.KeyTab:
		if e.shift {
			if c := fyne.CurrentApp().Driver().CanvasForObject(e); c != nil {
				c.FocusPrevious()
			}
			return true
		}
		return call(e.onTab)
	}
	return false
}

var _ fyne.Tabbable = (*searchEntry)(nil)
