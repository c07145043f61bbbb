package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"

	"iapdesk/app"
)

// mainMenu: File (Add project, Open iap-rdp link, Quit), View (Refresh, Find), Help (About).
// The menu's shortcuts work wherever the focus is.
func (w *Window) mainMenu() *fyne.MainMenu {
	add := fyne.NewMenuItemWithIcon("Add project…", theme.ContentAddIcon(), w.unlessTerminal(fyne.KeyN, w.showAddProject))
	add.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	link := fyne.NewMenuItemWithIcon("Open iap-rdp link…", theme.LoginIcon(), w.showOpenLink)
	quit := fyne.NewMenuItem("Quit", w.quit)
	quit.IsQuit = true
	refresh := fyne.NewMenuItemWithIcon("Refresh (F5)", theme.ViewRefreshIcon(), w.unlessTerminal(fyne.KeyR, w.refresh))
	refresh.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault}
	find := fyne.NewMenuItemWithIcon("Find", theme.SearchIcon(), w.unlessTerminal(fyne.KeyF, w.focusSearch))
	find.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}
	about := fyne.NewMenuItemWithIcon("About iapdesk", theme.InfoIcon(), func() {
		dialog.ShowInformation("About iapdesk", app.Build().String()+"\n\nRDP, SSH and port tunnels to Compute Engine VMs through Identity-Aware Proxy.", w.win)
	})
	file := []*fyne.MenuItem{add, link}
	if w.cfg.Preferences != nil {
		file = append(file, fyne.NewMenuItemWithIcon("Access and network…", theme.SettingsIcon(), w.showAccessSettings))
	}
	file = append(file, w.fileMenuItems()...)
	file = append(file, fyne.NewMenuItemSeparator(), quit)
	return fyne.NewMainMenu(
		fyne.NewMenu("File", file...),
		fyne.NewMenu("View", refresh, find),
		fyne.NewMenu("Help", about),
	)
}

// focusSearch moves the keyboard focus to the search box (Ctrl+F).
func (w *Window) focusSearch() {
	w.win.Canvas().Focus(w.toolbar.search)
}
