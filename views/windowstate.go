package views

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"iapdesk/app"
)

// WindowStateStore keeps the window's state between starts;
// *app.WindowStateStore implements it.
type WindowStateStore interface {
	Load(ctx context.Context) (app.WindowState, error)
	Save(ctx context.Context, st app.WindowState) error
}

var _ WindowStateStore = (*app.WindowStateStore)(nil)

// stateTimeout bounds reading and writing the state file.
const stateTimeout = 5 * time.Second

// loadState reads the state the window was left in; a damaged file is
// logged and the window starts as new. It runs before the window shows.
func (w *Window) loadState() app.WindowState {
	if w.cfg.State == nil {
		return app.WindowState{}
	}
	ctx, cancel := context.WithTimeout(w.ctx, stateTimeout)
	defer cancel()
	st, err := w.cfg.State.Load(ctx)
	if err != nil {
		w.log.Warn("window state not restored", slog.Any("error", err))
		return app.WindowState{}
	}
	return st
}

// applyState restores the window's size, splits and tab; the filter and the
// expanded projects follow once the services start (restoreExplorer).
func (w *Window) applyState(st app.WindowState) {
	if st.Width >= 400 && st.Height >= 300 {
		w.win.Resize(fyne.NewSize(st.Width, st.Height))
	}
	if st.Split > 0 {
		w.split.Offset = st.Split
	}
	if st.TunnelsSplit > 0 {
		w.vsplit.Offset = st.TunnelsSplit
	}
	if st.Tab == tabProfiles {
		w.showTab(tabProfiles)
	}
}

// restoreExplorer gives the explorer the filter and expanded projects of
// the last run, once, before its first load. UI thread.
func (w *Window) restoreExplorer(svc *Services) {
	if w.explorerRestored {
		return
	}
	w.explorerRestored = true
	st := w.restored
	for _, id := range st.Expanded {
		svc.Explorer.SetExpanded(id, true)
	}
	if !st.Filter.IsZero() {
		w.toolbar.setFilter(st.Filter)
		svc.Explorer.SetFilter(st.Filter)
	}
}

// currentState is the window as the user leaves it. UI thread.
func (w *Window) currentState() app.WindowState {
	size := w.win.Canvas().Size()
	st := app.WindowState{Width: size.Width, Height: size.Height, Split: w.split.Offset, TunnelsSplit: w.vsplit.Offset,
		Tab: w.tabs.SelectedIndex(), Filter: w.restored.Filter, Expanded: w.restored.Expanded}
	if svc := w.svc; svc != nil {
		st.Filter = svc.Explorer.Filter()
		st.Expanded = nil
		for id := range svc.Explorer.TreeState().Expanded {
			st.Expanded = append(st.Expanded, id)
		}
		slices.Sort(st.Expanded)
	}
	return st
}

// saveState writes st; a failure is logged (the next start is as new).
// Off the UI thread.
func (w *Window) saveState(st app.WindowState) {
	if w.cfg.State == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	if err := w.cfg.State.Save(ctx, st); err != nil {
		w.log.Warn("window state not saved", slog.Any("error", err))
	}
}

// showTunnelsPanel gives the tunnels panel the bottom of the window while
// any tunnel is listed, and takes its space back when none is.
func (w *Window) showTunnelsPanel(on bool) {
	showing := len(w.center.Objects) == 1 && w.center.Objects[0] == w.vsplit
	if on == showing {
		return
	}
	if on {
		w.vsplit.Leading = w.split
		w.center.Objects = []fyne.CanvasObject{w.vsplit}
	} else {
		// The split lives in one container at a time.
		w.vsplit.Leading = container.NewStack()
		w.center.Objects = []fyne.CanvasObject{w.split}
	}
	w.vsplit.Refresh()
	w.center.Refresh()
}

// tabChanged shows the detail pane of the tab in front: the selected
// node's, or the selected saved connection's.
func (w *Window) tabChanged() {
	if w.tabs.SelectedIndex() == tabProfiles {
		w.detail.use(w.profiles.detail.root)
	} else {
		w.detail.use(nil)
	}
}
