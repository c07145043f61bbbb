package views

import (
	"context"
	"fmt"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// trayHost is the desktop's system tray: Fyne's desktop.App (on Linux a
// StatusNotifierItem through fyne.io/systray).
type trayHost interface {
	SetSystemTrayMenu(menu *fyne.Menu)
	SetSystemTrayIcon(icon fyne.Resource)
}

// maxTrayProfiles bounds the saved connections the tray menu lists.
const maxTrayProfiles = 15

// setupTray puts iapdesk in the system tray, where the desktop has one.
func (w *Window) setupTray() {
	w.extras.states = map[app.TunnelKey]app.TunnelState{}
	t, ok := w.cfg.App.(trayHost)
	if !ok || w.cfg.NoTray {
		return
	}
	w.extras.tray = t
	t.SetSystemTrayIcon(iconApp)
	w.updateTray()
}

// updateTray rebuilds the tray menu from what the window shows.
func (w *Window) updateTray() {
	if w.extras.tray != nil {
		w.extras.tray.SetSystemTrayMenu(w.trayMenu())
	}
}

// trayMenu lists the open tunnels (each item closes its tunnel), the
// saved connections (each connects), the gateway when it runs, Show
// window and Quit: the same app-level lists the window shows
// (Tunnels.List, Profiles.List).
func (w *Window) trayMenu() *fyne.Menu {
	var items []*fyne.MenuItem
	for _, t := range w.tunnels.rows {
		key := t.Key
		label := fmt.Sprintf("Close tunnel to %s port %d", key.Ref.Name, key.Port)
		if t.LocalPort > 0 {
			label += fmt.Sprintf(" (localhost:%d)", t.LocalPort)
		}
		items = append(items, fyne.NewMenuItem(label, func() { w.closeTunnel(key) }))
	}
	if len(items) == 0 {
		none := fyne.NewMenuItem("No open tunnels", nil)
		none.Disabled = true
		items = append(items, none)
	}
	if addr := w.extras.gatewayAddr; addr != "" {
		gw := fyne.NewMenuItem("Gateway on "+addr, nil)
		gw.Disabled = true
		items = append(items, gw)
	}
	if profiles := w.profiles.items; len(profiles) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
		for i, p := range profiles {
			if i == maxTrayProfiles {
				break
			}
			items = append(items, fyne.NewMenuItem("Connect "+p.Name, func() { w.connectProfile(p) }))
		}
	}
	show := fyne.NewMenuItem("Show window", w.showWindow)
	quit := fyne.NewMenuItem("Quit", func() {
		w.showWindow()
		w.quit() // asks first while tunnels or sessions are open
	})
	quit.IsQuit = true // Fyne adds no Quit of its own
	items = append(items, fyne.NewMenuItemSeparator(), show, quit)
	return fyne.NewMenu("iapdesk", items...)
}

// showWindow brings the window back from the tray.
func (w *Window) showWindow() {
	w.win.Show()
	w.win.RequestFocus()
}

// trayChanged follows the tunnels: the tray menu, and a notification when
// one drops and resumes, or fails.
func (w *Window) trayChanged(rows []app.TunnelInfo) {
	for _, n := range tunnelNotifications(w.extras.states, rows) {
		w.cfg.App.SendNotification(n)
	}
	cur := make(map[app.TunnelKey]app.TunnelState, len(rows))
	for _, r := range rows {
		cur[r.Key] = r.State
	}
	w.extras.states = cur
	w.loadCloseChoice()
	w.updateTray()
}

// tunnelNotifications are the notifications for the changes from prev
// (each tunnel's last state) to rows: a tunnel that dropped and is
// resuming, one that resumed, one that failed.
func tunnelNotifications(prev map[app.TunnelKey]app.TunnelState, rows []app.TunnelInfo) []*fyne.Notification {
	var out []*fyne.Notification
	for _, r := range rows {
		was, seen := prev[r.Key]
		name := fmt.Sprintf("%s port %d", r.Key.Ref.Name, r.Key.Port)
		switch {
		case r.State == app.TunnelReconnecting && seen && was != app.TunnelReconnecting:
			out = append(out, fyne.NewNotification("Tunnel to "+name+" dropped", "The network went away; iapdesk is resuming the session."))
		case r.State == app.TunnelOK && was == app.TunnelReconnecting:
			out = append(out, fyne.NewNotification("Tunnel to "+name+" resumed", "No data was lost."))
		case r.State == app.TunnelFailed && was != app.TunnelFailed:
			why := "the session could not be resumed"
			if r.Reason != nil {
				why = r.Reason.Why
			}
			out = append(out, fyne.NewNotification("Tunnel to "+name+" failed", why))
		}
	}
	return out
}

// loadCloseChoice reads the kept answer to "keep running in the tray?"
// once, off the UI thread.
func (w *Window) loadCloseChoice() {
	svc := w.svc
	if w.extras.choiceRead || w.extras.tray == nil || svc == nil || svc.Tray == nil {
		return
	}
	w.extras.choiceRead = true
	w.job("", func(ctx context.Context) {
		c, err := svc.Tray.Load(ctx)
		if err != nil {
			w.log.Warn("close choice not read; asking again", slog.Any("error", err))
		}
		w.do(func() { w.setCloseChoice(c, false) })
	})
}

// toggleCloseToTray is File → "Keep running in the tray when closed": it
// changes the answer the first close asked for.
func (w *Window) toggleCloseToTray() {
	c := app.CloseToTray
	if w.extras.closeChoice == app.CloseToTray {
		c = app.CloseQuits
	}
	w.setCloseChoice(c, true)
}

// setCloseChoice makes c the answer to "keep running in the tray?", shown
// in the File menu, and keeps it when save is set.
func (w *Window) setCloseChoice(c app.CloseChoice, save bool) {
	w.extras.closeChoice = c
	if it := w.extras.trayItem; it != nil {
		it.Checked = c == app.CloseToTray
		if m := w.win.MainMenu(); m != nil {
			m.Refresh()
		}
	}
	if svc := w.svc; save && svc != nil && svc.Tray != nil {
		w.run("", func(ctx context.Context) error { return svc.Tray.Save(ctx, c) })
	}
}

// keepInTray is the close button's first step: with tunnels or sessions
// open and a tray to stay in, closing the window hides it and iapdesk
// stays in the tray, if the user chose so; the first time it asks. It
// reports whether it took care of the close.
func (w *Window) keepInTray() bool {
	if w.extras.tray == nil || w.closing || w.svc == nil || len(w.liveItems()) == 0 {
		return false
	}
	switch w.extras.closeChoice {
	case app.CloseToTray:
		w.hideToTray()
		return true
	case app.CloseQuits:
		return false
	}
	msg := widget.NewLabel("Tunnels or sessions are open. Keep iapdesk running in the system tray, " +
		"where they stay open, or quit and close them? iapdesk remembers your answer.")
	msg.Wrapping = fyne.TextWrapWord
	// Quit is the confirm button, as in the quit question: Enter goes on
	// with the close the user asked for, Escape keeps iapdesk running.
	w.log.Info("asking whether to keep running in the tray")
	d := dialog.NewCustomConfirm("Keep iapdesk running?", "Quit", "Keep in tray", fitWidth(msg, dialogWidth, w.maxDialogHeight()),
		func(quit bool) {
			w.quitting = nil
			c := app.CloseToTray
			if quit {
				c = app.CloseQuits
			}
			w.setCloseChoice(c, true)
			if quit {
				w.requestClose()
			} else {
				w.hideToTray()
			}
		}, w.win)
	w.quitting = d
	d.Show()
	return true
}

// hideToTray hides the window; the tray brings it back.
func (w *Window) hideToTray() {
	w.win.Hide()
	w.cfg.App.SendNotification(fyne.NewNotification("iapdesk is still running",
		"Its tunnels stay open. Use the tray icon to show the window or quit."))
}
