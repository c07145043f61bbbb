package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// nodeRow is one tree row: icon, label, and a note (a VM's IP or status, a
// project's error). It handles the clicks the tree leaves alone: right-click
// opens the context menu, double-click connects. Rows are reused for other
// nodes as the tree scrolls.
type nodeRow struct {
	widget.BaseWidget
	tree  *explorerTree
	node  app.Node
	icon  *widget.Icon
	label *widget.Label
	note  secondaryText
}

var (
	_ fyne.Tappable          = (*nodeRow)(nil)
	_ fyne.SecondaryTappable = (*nodeRow)(nil)
	_ fyne.DoubleTappable    = (*nodeRow)(nil)
)

func newNodeRow(t *explorerTree) *nodeRow {
	r := &nodeRow{tree: t, icon: widget.NewIcon(nil), label: widget.NewLabel(""), note: newSecondaryText(false)}
	r.label.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer lays the row out: icon, label, note.
func (r *nodeRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, r.icon, r.note, r.label))
}

// set shows n.
func (r *nodeRow) set(n app.Node) {
	if old := r.tree.rows[r.node.ID]; old == r {
		delete(r.tree.rows, r.node.ID)
	}
	r.node = n
	r.tree.rows[n.ID] = r
	r.icon.SetResource(nodeIcon(n))
	r.label.SetText(n.Label)
	note, colour := nodeNote(n)
	seg := r.note.Segments[0].(*widget.TextSegment)
	if seg.Style.ColorName != colour {
		seg.Style.ColorName = colour
		r.note.Refresh()
	}
	r.note.SetText(note)
}

// nodeNote is the short text after a node's label, and its colour:
// secondary text, legible on a selected row too; a project's error in the
// error colour.
func nodeNote(n app.Node) (string, fyne.ThemeColorName) {
	switch n.Kind {
	case app.NodeProject:
		if n.Err != nil {
			return n.Err.What, theme.ColorNameError
		}
	case app.NodeInstance:
		if !n.Instance.Running() {
			return n.Instance.Status, colorNameSecondary
		}
		return n.Instance.InternalIP, colorNameSecondary
	}
	return "", colorNameSecondary
}

// Tapped selects the row's node, as the tree's own rows do.
func (r *nodeRow) Tapped(*fyne.PointEvent) {
	r.tree.Select(string(r.node.ID))
	r.tree.focus()
}

// DoubleTapped connects to a VM, or opens or closes a branch.
func (r *nodeRow) DoubleTapped(*fyne.PointEvent) {
	r.tree.Select(string(r.node.ID))
	r.tree.activate(r.node)
}

// TappedSecondary selects the node and opens its context menu.
func (r *nodeRow) TappedSecondary(ev *fyne.PointEvent) {
	r.tree.Select(string(r.node.ID))
	r.tree.act.menu(r.node, ev.AbsolutePosition)
}
