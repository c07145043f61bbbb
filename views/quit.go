package views

import (
	"fmt"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// SessionLister lists the live sessions: the clients the connector started
// and whatever else registered with it (an embedded terminal, a file
// transfer). *app.Connector implements it; the window finds it on
// Services.Connector, and a connector without it has none to list.
type SessionLister interface {
	Sessions() []app.SessionInfo
}

var _ SessionLister = (*app.Connector)(nil)

// quit is the window's close button and File → Quit: while sessions or
// tunnels are open it first asks, listing them, with "Quit" and "Cancel";
// otherwise it closes at once. (The end of ShowAndRun's ctx, a signal,
// closes without asking: requestClose.)
func (w *Window) quit() {
	if w.closing || w.quitting != nil || w.keepInTray() {
		return
	}
	live := w.liveItems()
	if len(live) == 0 {
		w.requestClose()
		return
	}
	list := container.NewVBox()
	for _, l := range live {
		list.Add(widget.NewLabel("•  " + l))
	}
	intro := widget.NewLabel("Quitting closes the tunnels; the programs using them lose their connection.")
	intro.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(intro, list)
	w.log.Info("asking before quitting", slog.Int("open", len(live)))
	title := "Quit iapdesk?"
	d := dialog.NewCustomConfirm(title, "Quit", "Cancel", fitWidth(body, dialogWidth, w.maxDialogHeight()), func(ok bool) {
		w.quitting = nil
		if ok {
			w.requestClose()
		}
	}, w.win)
	d.SetConfirmImportance(widget.DangerImportance)
	w.quitting = d
	d.Show()
}

// liveItems names the open sessions and tunnels, for the quit dialog.
func (w *Window) liveItems() []string {
	svc := w.svc
	if svc == nil {
		return nil
	}
	var out []string
	if l, ok := svc.Connector.(SessionLister); ok {
		for _, s := range l.Sessions() {
			out = append(out, fmt.Sprintf("%s (since %s)", s, s.Since.Format("15:04")))
		}
	}
	for _, t := range svc.Tunnels.List() {
		addr := t.LocalAddr
		if addr == "" {
			addr = "opening"
		}
		out = append(out, fmt.Sprintf("Tunnel to %s port %d (%s)", t.Key.Ref.Name, t.Key.Port, addr))
	}
	return out
}
