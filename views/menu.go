package views

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/app/settings"
)

// showNodeMenu opens n's context menu at an absolute position.
func (w *Window) showNodeMenu(n app.Node, at fyne.Position) {
	var m *fyne.Menu
	switch n.Kind {
	case app.NodeInstance:
		m = w.instanceMenu(*n.Instance)
	case app.NodeProject:
		m = w.projectMenu(n.Project)
	case app.NodeZone:
		items := []*fyne.MenuItem{w.refreshProjectItem(n.Project.ID)}
		if w.hasProfiles() {
			scope := settings.ZoneScope(n.Project.ID, n.Zone.Name)
			items = append(items, w.settingsItem(settingsLevel{scope: scope}))
		}
		m = fyne.NewMenu("", items...)
	default:
		return
	}
	widget.ShowPopUpMenuAtPosition(m, w.win.Canvas(), at)
}

// connectLabel names the default connection of a VM.
func connectLabel(inst app.Instance) string {
	if inst.OS == app.OSWindows {
		return "Connect (RDP)"
	}
	return "Connect (SSH)"
}

// hasProfiles reports whether saved connections and settings are
// available.
func (w *Window) hasProfiles() bool { return w.svc != nil && w.svc.Profiles != nil }

// settingsItem is "Settings…" for a level.
func (w *Window) settingsItem(l settingsLevel) *fyne.MenuItem {
	return fyne.NewMenuItemWithIcon("Settings…", theme.SettingsIcon(), func() { w.showSettings(l) })
}

// instanceMenu: Connect, Connect to port…, Generate Windows credentials…
// (Windows), Save as profile…, Settings…, Copy internal IP, Start, Stop,
// Reset, Show serial port output, Properties.
func (w *Window) instanceMenu(inst app.Instance) *fyne.Menu {
	running := inst.Running()
	item := func(label string, icon fyne.Resource, enabled bool, action func()) *fyne.MenuItem {
		it := fyne.NewMenuItemWithIcon(label, icon, action)
		it.Disabled = !enabled
		return it
	}
	ref := inst.InstanceRef
	items := []*fyne.MenuItem{
		item(connectLabel(inst), theme.LoginIcon(), running, func() { w.connect(inst, app.ProtocolAuto, 0, nil) }),
		item("Connect to port…", theme.MailForwardIcon(), running, func() { w.showPortDialog(inst) }),
	}
	if inst.OS == app.OSWindows && w.svc != nil && w.svc.WindowsCredentials != nil {
		items = append(items, item("Generate Windows credentials…", theme.AccountIcon(), running, func() {
			w.showGenerateCredentials(ref, "")
		}))
	}
	if w.hasProfiles() {
		items = append(items, fyne.NewMenuItemSeparator(),
			item("Save as profile…", theme.DocumentSaveIcon(), true, func() { w.saveAsProfile(inst) }),
			w.settingsItem(settingsLevel{scope: ref.Scope()}))
	}
	return fyne.NewMenu("", append(items,
		fyne.NewMenuItemSeparator(),
		item("Copy internal IP", theme.ContentCopyIcon(), inst.InternalIP != "", func() {
			w.cfg.App.Clipboard().SetContent(inst.InternalIP)
		}),
		fyne.NewMenuItemSeparator(),
		item("Start", theme.MediaPlayIcon(), !running, func() {
			w.run("Starting "+inst.Name, func(ctx context.Context) error { return w.svc.Explorer.Start(ctx, ref) })
		}),
		item("Stop", theme.MediaStopIcon(), running, func() {
			w.confirm("Stop "+inst.Name+"?", "The VM shuts down; connections to it end.", "Stop VM", func() {
				w.run("Stopping "+inst.Name, func(ctx context.Context) error { return w.svc.Explorer.Stop(ctx, ref) })
			})
		}),
		item("Reset", theme.MediaReplayIcon(), running, func() {
			w.confirm("Reset "+inst.Name+"?", "A reset is like pressing the reset button: unsaved work on the VM is lost.", "Reset VM", func() {
				w.run("Resetting "+inst.Name, func(ctx context.Context) error { return w.svc.Explorer.Reset(ctx, ref) })
			})
		}),
		fyne.NewMenuItemSeparator(),
		item("Show serial port output", theme.FileTextIcon(), true, func() { w.showSerial(inst) }),
		item("Properties", theme.InfoIcon(), true, func() { w.showProperties(inst) }),
	)...)
}

// projectMenu: Refresh, Settings…, Remove.
func (w *Window) projectMenu(p *app.Project) *fyne.Menu {
	id, label := p.ID, p.Label()
	remove := fyne.NewMenuItemWithIcon("Remove", theme.DeleteIcon(), func() {
		w.confirm("Remove "+label+"?", "The project leaves the explorer; nothing changes in Google Cloud.", "Remove project", func() {
			w.run("Removing "+id, func(ctx context.Context) error { return w.svc.Explorer.RemoveProject(ctx, id) })
		})
	})
	items := []*fyne.MenuItem{w.refreshProjectItem(id)}
	if w.hasProfiles() {
		items = append(items, w.settingsItem(settingsLevel{scope: settings.ProjectScope(id)}))
	}
	return fyne.NewMenu("", append(items, fyne.NewMenuItemSeparator(), remove)...)
}

func (w *Window) refreshProjectItem(id string) *fyne.MenuItem {
	return fyne.NewMenuItemWithIcon("Refresh", theme.ViewRefreshIcon(), func() {
		w.run("Loading "+id, func(ctx context.Context) error { return w.svc.Explorer.RefreshProject(ctx, id) })
	})
}

// showProperties lists a VM's properties (app.Instance.Properties).
func (w *Window) showProperties(inst app.Instance) {
	d := dialog.NewCustom(fmt.Sprintf("Properties of %s", inst.Name), "Close", propertiesView(inst), w.win)
	d.Resize(fyne.NewSize(480, 420))
	d.Show()
}
