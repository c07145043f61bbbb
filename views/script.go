package views

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"

	"iapdesk/app"
)

// Script drives the window for a screenshot (make screenshot): once the
// projects have loaded it opens a tunnel to Tunnel (when set, so the
// tunnels panel has a row; Stall then makes it reconnect), types Filter
// into the search box, shows the saved connection Profile, or expands the
// tree down to Select, selects it and opens its context menu; then it
// calls Ready. The window stays as it is until it is closed, so that a
// screen grabber outside the process can take the picture (Fyne's own
// Canvas.Capture reads nothing back under Xvfb). On failure the window
// closes and ShowAndRun returns the error.
type Script struct {
	Select     app.InstanceRef // zero: none
	Menu       bool            // open Select's context menu
	Tunnel     app.InstanceRef // zero: no tunnel
	TunnelPort int             // 0 means 22
	// Filter, if set, is typed into the search box; the script waits for
	// the tree to show its result.
	Filter string
	// Profile, if set, is the name of the saved connection to select in
	// the Saved connections tab; the script waits for its detail pane.
	Profile string
	// Stall, if set, is called with the tunnel's local address once it is
	// open: it makes the tunnel's relay connection drop and its reconnect
	// hang (the demo's relay faults); the script waits for the tunnels
	// panel to show it reconnecting.
	Stall func(ctx context.Context, localAddr string) error
	// Terminal, if set, opens an SSH terminal tab to this VM and runs
	// TerminalSteps in it; Files then shows the SFTP pane beside it with
	// an upload part-way.
	Terminal      app.InstanceRef
	TerminalSteps []TerminalStep
	// TerminalColour, if set, is typed after the steps until the screen
	// shows a colour (a program's colour toggle, like top's z).
	TerminalColour string
	Files          bool
	// Ready is called, off the UI thread, once the context menu is open.
	Ready func()
	// Timeout bounds the script; 0 means two minutes.
	Timeout time.Duration
}

func (w *Window) runScript(s Script) {
	w.loops.Go(func() {
		err := w.script(s)
		if err == nil {
			if s.Ready != nil {
				s.Ready()
			}
			return
		}
		w.mu.Lock()
		w.scriptErr = err
		w.mu.Unlock()
		w.do(w.requestClose)
	})
}

// script waits only for the UI (the first load, the UI thread), never for
// fixed times.
func (w *Window) script(s Script) error {
	if s.Timeout <= 0 {
		s.Timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(w.ctx, s.Timeout)
	defer cancel()
	select {
	case <-w.loaded:
	case <-ctx.Done():
		return fmt.Errorf("script: the projects did not load: %w", ctx.Err())
	}
	if s.Tunnel.Name != "" {
		addr, err := w.scriptTunnel(ctx, s.Tunnel, s.TunnelPort)
		if err != nil {
			return fmt.Errorf("script: open a tunnel to %s: %w", s.Tunnel.Name, err)
		}
		if s.Stall != nil {
			if err := s.Stall(ctx, addr); err != nil {
				return fmt.Errorf("script: stall the tunnel to %s: %w", s.Tunnel.Name, err)
			}
			if err := w.scriptWait(ctx, "the tunnel reconnecting", func() bool {
				w.tunnelsChanged()
				for _, t := range w.tunnels.rows {
					if t.State == app.TunnelReconnecting {
						return true
					}
				}
				return false
			}); err != nil {
				return err
			}
		}
	}
	switch {
	case s.Terminal.Name != "":
		return w.scriptTerminal(ctx, s)
	case s.Filter != "":
		return w.scriptFilter(ctx, s.Filter)
	case s.Profile != "":
		return w.scriptProfile(ctx, s.Profile)
	case s.Select.Name == "":
		return w.onUI(ctx, func() {})
	case !s.Menu:
		return w.onUI(ctx, func() { w.reveal(s.Select) })
	}
	id := app.InstanceNode(s.Select)
	var node app.Node
	var found bool
	if err := w.onUI(ctx, func() {
		w.tree.OpenBranch(string(app.ProjectNode(s.Select.Project)))
		w.tree.OpenBranch(string(app.ZoneNode(s.Select.Project, s.Select.Zone)))
		w.tree.Select(string(id))
		node, found = w.tree.inv.Node(id)
	}); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("script: %s is not in the tree", s.Select)
	}
	var shown bool
	if err := w.onUI(ctx, func() {
		row := w.tree.rowFor(id)
		if row == nil {
			return
		}
		at := fyne.CurrentApp().Driver().AbsolutePositionForObject(row)
		w.showNodeMenu(node, at.AddXY(row.Size().Width*0.3, row.Size().Height*0.6))
		shown = true
	}); err != nil {
		return err
	}
	if !shown {
		return fmt.Errorf("script: the row of %s is not on screen", s.Select.Name)
	}
	// The menu's refresh has been processed when this runs.
	return w.onUI(ctx, func() {})
}

// onUI runs fn on the UI goroutine and waits for it, or for ctx: unlike
// fyne.DoAndWait it cannot hang when the app stops meanwhile.
func (w *Window) onUI(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	w.do(func() {
		fn()
		close(done)
	})
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("script: %w", ctx.Err())
	}
}

// scriptFilter types text into the search box and waits for the tree to
// show the result.
func (w *Window) scriptFilter(ctx context.Context, text string) error {
	if err := w.onUI(ctx, func() {
		w.focusSearch()
		for _, r := range text { // as typed: the cursor ends after it
			w.toolbar.search.TypedRune(r)
		}
	}); err != nil {
		return err
	}
	return w.scriptWait(ctx, "the filter applied", func() bool {
		return w.svc != nil && w.svc.Explorer.Filter().Text == text
	})
}

// scriptProfile shows the Saved connections tab with the profile named
// name selected, and waits for its detail pane.
func (w *Window) scriptProfile(ctx context.Context, name string) error {
	if err := w.scriptWait(ctx, "the saved connections", func() bool {
		for _, p := range w.profiles.items {
			if p.Name == name {
				w.showTab(tabProfiles)
				w.profiles.selectID(p.ID)
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	return w.scriptWait(ctx, "the detail pane of "+name, func() bool {
		return w.profiles.detail.shown.Name == name && !w.profiles.detail.loading
	})
}

// scriptWait checks done on the UI thread until it holds, or ctx ends.
// What it waits for happens in the app and on the network (a load, a relay
// that stops answering), so it looks again every scriptPoll.
func (w *Window) scriptWait(ctx context.Context, what string, done func() bool) error {
	tick := time.NewTicker(scriptPoll)
	defer tick.Stop()
	for {
		var ok bool
		if err := w.onUI(ctx, func() { ok = done() }); err != nil {
			return err
		}
		if ok {
			return w.onUI(ctx, func() {}) // its refresh is processed
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("script: waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
}

// scriptPoll is how often scriptWait looks again.
const scriptPoll = 100 * time.Millisecond

// scriptTunnel opens a tunnel-only connection, as "Connect to port…" does,
// and returns where it listens.
func (w *Window) scriptTunnel(ctx context.Context, ref app.InstanceRef, port int) (string, error) {
	if port == 0 {
		port = 22
	}
	var svc *Services
	var inst app.Instance
	if err := w.onUI(ctx, func() {
		svc = w.svc
		if svc == nil {
			return
		}
		if i, ok := svc.Explorer.Inventory().Instance(ref); ok {
			inst = *i
		}
	}); err != nil {
		return "", err
	}
	if svc == nil || inst.Name == "" {
		return "", app.ErrInstanceNotFound
	}
	s, err := svc.Connector.Connect(ctx, app.Request{Instance: inst, Protocol: app.ProtocolTunnel, Port: port}, nil)
	if err != nil {
		return "", err
	}
	return s.Tunnel.LocalAddr, w.onUI(ctx, w.tunnelsChanged)
}
