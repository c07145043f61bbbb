package views

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/auth"
)

// start asks for the services; without credentials the sign-in screen
// comes up.
func (w *Window) start() {
	w.showProgress("Connecting to Google Cloud…")
	w.job("Starting", func(ctx context.Context) {
		svc, err := w.cfg.Start(ctx)
		w.do(func() {
			switch {
			case w.ctx.Err() != nil:
				// Closing: not shown, but closed by the shutdown that
				// follows App.Run (this runs before the quit it queued).
				w.mu.Lock()
				w.closable = svc
				w.mu.Unlock()
			case err == nil:
				w.setServices(svc)
			case app.NeedsSignIn(err) && w.cfg.Accounts != nil:
				w.showSignIn(err)
			default:
				w.showStartError(err)
			}
		})
	})
}

// restart drops the services (closing their tunnels) and starts again:
// after an account switch or a sign-out.
func (w *Window) restart() {
	old := w.svc
	w.svc = nil
	w.mu.Lock()
	w.closable = nil
	w.mu.Unlock()
	w.tree.show(app.NewInventory(nil, time.Time{}), app.TreeState{}, false)
	w.tunnels.set(nil)
	w.profiles.set(nil)
	w.status.setTunnels(0)
	w.status.setCredentials(auth.Description{})
	w.showProgress("Switching account…")
	w.job("Closing tunnels", func(context.Context) {
		if old != nil && old.Close != nil {
			old.Close()
		}
		w.do(w.start)
	})
}

func (w *Window) setServices(svc *Services) {
	w.svc = svc
	w.mu.Lock()
	w.closable = svc
	w.mu.Unlock()
	w.status.setCredentials(svc.Credentials)
	w.body.Objects = []fyne.CanvasObject{w.explore}
	w.body.Refresh()
	w.restoreExplorer(svc)
	w.tunnelsChanged()
	w.refresh()
	w.reloadProfiles()
	if !w.ticking && w.cfg.TickInterval > 0 {
		w.ticking = true
		w.loops.Go(w.tick)
	}
}

func (w *Window) showSignIn(reason error) {
	w.signin.reason(reason)
	w.status.setCredentials(auth.Description{})
	w.body.Objects = []fyne.CanvasObject{w.signin.root}
	w.body.Refresh()
}

func (w *Window) showProgress(text string) {
	bar := widget.NewProgressBarInfinite()
	w.body.Objects = []fyne.CanvasObject{container.NewCenter(container.NewVBox(widget.NewLabel(text), bar))}
	w.body.Refresh()
}

func (w *Window) showStartError(err error) {
	retry := widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), w.start)
	retry.Importance = widget.HighImportance
	box := container.NewVBox(userErrorView(err, w.copyText), container.NewCenter(retry))
	w.body.Objects = []fyne.CanvasObject{container.NewCenter(container.NewGridWrap(fyne.NewSize(520, 360), box))}
	w.body.Refresh()
}
