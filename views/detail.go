package views

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// detailPane shows the selected node: a VM's properties and connect
// buttons, a project's error, a zone's VM count; while the Saved
// connections tab is in front it holds that tab's pane instead (use). UI
// thread only.
type detailPane struct {
	w    *Window
	box  *fyne.Container
	own  fyne.CanvasObject // the node's details
	root *fyne.Container   // own, or the pane use put in its place
}

func newDetailPane(w *Window) *detailPane {
	d := &detailPane{w: w, box: container.NewVBox()}
	d.own = container.NewVScroll(container.NewPadded(d.box))
	d.root = container.NewStack(d.own)
	d.show(app.Node{})
	return d
}

// use shows o in the pane's place (nil: the node's details again).
func (d *detailPane) use(o fyne.CanvasObject) {
	if o == nil {
		o = d.own
	}
	if len(d.root.Objects) == 1 && d.root.Objects[0] == o {
		return
	}
	d.root.Objects = []fyne.CanvasObject{o}
	d.root.Refresh()
}

// showing is what the pane shows: the node's details or another pane.
func (d *detailPane) showing() fyne.CanvasObject { return d.root.Objects[0] }

func heading(text string, icon fyne.Resource) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Truncation = fyne.TextTruncateEllipsis
	if icon == nil {
		return l
	}
	return container.NewBorder(nil, nil, widget.NewIcon(icon), nil, l)
}

// show replaces the pane's content with n's.
func (d *detailPane) show(n app.Node) {
	d.box.RemoveAll()
	switch n.Kind {
	case app.NodeInstance:
		inst := *n.Instance
		connect := widget.NewButtonWithIcon(connectLabel(inst), theme.LoginIcon(), func() {
			d.w.connect(inst, app.ProtocolAuto, 0, nil)
		})
		connect.Importance = widget.HighImportance
		port := widget.NewButtonWithIcon("Connect to port…", theme.MailForwardIcon(), func() { d.w.showPortDialog(inst) })
		if !inst.Running() {
			connect.Disable()
			port.Disable()
		}
		d.box.Add(heading(inst.Name, nodeIcon(n)))
		d.box.Add(container.NewHBox(connect, port))
		d.box.Add(propertiesView(inst))
	case app.NodeProject:
		p := n.Project
		d.box.Add(heading(p.Label(), nodeIcon(n)))
		if p.Err != nil {
			d.box.Add(userErrorView(p.Err, d.w.copyText))
			break
		}
		d.box.Add(widget.NewLabel(countVMs(p.InstanceCount())))
		if len(p.Unreachable) > 0 {
			l := widget.NewLabel("Zones Google could not answer for (the list may be incomplete): " + strings.Join(p.Unreachable, ", "))
			l.Wrapping = fyne.TextWrapWord
			l.Importance = widget.WarningImportance
			d.box.Add(l)
		}
	case app.NodeZone:
		d.box.Add(heading(n.Zone.Name, nodeIcon(n)))
		d.box.Add(widget.NewLabel(countVMs(len(n.Zone.Instances)) + " in " + n.Project.Label()))
	default:
		hint := widget.NewLabel("Select a VM to see its properties. Double-click or press Enter to connect; right-click for more.")
		hint.Wrapping = fyne.TextWrapWord
		d.box.Add(hint)
	}
	d.box.Refresh()
}

func countVMs(n int) string {
	if n == 1 {
		return "1 VM"
	}
	return fmt.Sprintf("%d VMs", n)
}

// propertiesView is a two-column grid of app.Instance.Properties.
func propertiesView(inst app.Instance) fyne.CanvasObject {
	g := container.New(layout.NewFormLayout())
	for _, p := range inst.Properties() {
		k := widget.NewLabelWithStyle(p.Name, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		v := widget.NewLabel(p.Value)
		v.Selectable = true
		v.Truncation = fyne.TextTruncateEllipsis
		g.Add(k)
		g.Add(v)
	}
	return g
}
