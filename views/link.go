package views

import (
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// connectLink opens an iap-rdp:/// link: the VM's saved settings overridden
// by the link's, and the password saved for the VM (app.Connector).
// Parameters the link could not apply are logged as warnings. UI thread.
func (w *Window) connectLink(u app.IAPRDPURL) {
	for _, s := range u.Ignored {
		w.log.Warn("iap-rdp link parameter ignored", slog.String("instance", u.Instance.Name), slog.String("parameter", s))
	}
	svc := w.svc
	if svc == nil {
		return
	}
	w.log.Info("opening iap-rdp link", slog.String("instance", u.Instance.String()))
	req := app.Request{Instance: app.Instance{InstanceRef: u.Instance}, Protocol: app.ProtocolRDP, Port: u.Port, Overrides: u.Settings}
	if in, ok := svc.Explorer.Unfiltered().Instance(u.Instance); ok {
		req.Instance = *in
		w.reveal(u.Instance)
	}
	w.dial("Connecting to "+u.Instance.Name, req)
}

// openPendingLink connects to the link iapdesk was started with
// (Config.Link), once: after the first load of the projects, so that the
// VM's state and OS are known when it is in a listed project.
func (w *Window) openPendingLink() {
	if w.cfg.Link == nil || w.linkOpened {
		return
	}
	w.linkOpened = true
	w.connectLink(*w.cfg.Link)
}

// showOpenLink is File → "Open iap-rdp link…": a malformed link is
// explained in a dialog, a good one connects.
func (w *Window) showOpenLink() {
	if w.svc == nil {
		return
	}
	e := widget.NewEntry()
	e.SetPlaceHolder("iap-rdp:///PROJECT/ZONE/VM?username=…")
	d := dialog.NewForm("Open an iap-rdp link", "Open", "Cancel", []*widget.FormItem{widget.NewFormItem("Link", e)}, func(ok bool) {
		if !ok {
			return
		}
		u, err := app.ParseIAPRDPURL(e.Text)
		if err != nil {
			w.showError(err)
			return
		}
		w.connectLink(u)
	}, w.win)
	e.OnSubmitted = func(string) { d.Submit() }
	d.Resize(fyne.NewSize(560, 160))
	d.Show()
	w.win.Canvas().Focus(e)
}

// reveal shows a loaded VM in the tree: the Projects tab in front, a
// filter that hides it cleared, its project and zone open, and the VM
// selected and scrolled to.
func (w *Window) reveal(ref app.InstanceRef) {
	svc := w.svc
	if svc == nil {
		return
	}
	if _, ok := svc.Explorer.Inventory().Instance(ref); !ok {
		w.clearFilter()
		w.explorerChanged() // the tree shows all VMs before the selection
	}
	w.showTab(tabProjects)
	w.tree.OpenBranch(string(app.ProjectNode(ref.Project)))
	w.tree.OpenBranch(string(app.ZoneNode(ref.Project, ref.Zone)))
	w.tree.selectNode(app.InstanceNode(ref))
}
