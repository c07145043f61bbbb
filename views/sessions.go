package views

import (
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"

	"iapdesk/app"
	"iapdesk/views/terminal"
)

// frameInterval is how often open terminal tabs redraw what changed: the
// screen follows a flood of output at 30 frames a second instead of once
// per read.
const frameInterval = 33 * time.Millisecond

// sessionTabs is the right-hand pane: the selected VM's details, and one
// tab per embedded SSH session beside it. The explorer stays on the left,
// so a session never hides it. UI thread only, except where noted.
type sessionTabs struct {
	w       *Window
	root    *container.DocTabs
	details *container.TabItem
	open    map[*container.TabItem]*sshTab
	ticking bool // the frame loop runs
	// gen ends a frame loop: frames(g) stops once gen is no longer g (no
	// tab left to draw).
	gen atomic.Int64
}

func newSessionTabs(w *Window, details fyne.CanvasObject) *sessionTabs {
	st := &sessionTabs{w: w, open: map[*container.TabItem]*sshTab{}}
	st.details = container.NewTabItemWithIcon("Details", theme.InfoIcon(), details)
	st.root = container.NewDocTabs(st.details)
	st.root.CloseIntercept = func(item *container.TabItem) {
		if item == st.details {
			return // the details stay
		}
		st.close(item)
	}
	st.root.OnSelected = func(item *container.TabItem) {
		if t := st.open[item]; t != nil {
			t.selected()
		}
	}
	return st
}

// openSSH opens a terminal tab for an SSH request the Connector completed
// (an embedded Session), and selects it.
func (st *sessionTabs) openSSH(req app.Request) *sshTab {
	t := newSSHTab(st, req)
	st.open[t.item] = t
	st.root.Append(t.item)
	st.root.Select(t.item)
	t.start(false)
	if !st.ticking {
		st.ticking = true
		g := st.gen.Load()
		st.w.loops.Go(func() { st.frames(g) })
	}
	return t
}

// close ends a tab's session quietly and removes the tab.
func (st *sessionTabs) close(item *container.TabItem) {
	t := st.open[item]
	if t == nil {
		return
	}
	delete(st.open, item)
	t.close()
	st.root.Remove(item)
	st.root.Select(st.details)
}

// frames redraws the terminals that changed, once a frame, until the
// window closes or the last tab has gone (generation gen). Off the UI
// thread (a window loop).
func (st *sessionTabs) frames(gen int64) {
	tick := time.NewTicker(frameInterval)
	defer tick.Stop()
	for st.gen.Load() == gen {
		select {
		case <-st.w.ctx.Done():
			return
		case <-tick.C:
			st.w.do(st.frame)
		}
	}
}

// frame redraws every tab whose screen or state changed, and ends the
// frame loop when no tab is left.
func (st *sessionTabs) frame() {
	if len(st.open) == 0 && st.ticking {
		st.ticking = false
		st.gen.Add(1)
		return
	}
	for _, t := range st.open {
		t.frame()
	}
}

// unlessTerminal wraps a main-menu action whose shortcut is Ctrl+key: in a
// terminal with the keyboard focus, Ctrl+key belongs to the program (Ctrl+R
// is bash's history search, Ctrl+F and Ctrl+N move the cursor), so it is
// sent there; elsewhere, and from the menu itself, the action runs.
func (w *Window) unlessTerminal(key fyne.KeyName, action func()) func() {
	return func() {
		if t, ok := w.win.Canvas().Focused().(*terminal.Terminal); ok && t.CtrlHeld(key) {
			t.TypedShortcut(&desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierControl})
			return
		}
		action()
	}
}
