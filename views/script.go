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
// tunnels panel has a row), expands the tree down to Select, selects it and
// opens its context menu, then calls Ready. The window stays as it is until
// it is closed, so that a screen grabber outside the process can take the
// picture (Fyne's own Canvas.Capture reads nothing back under Xvfb). On
// failure the window closes and ShowAndRun returns the error.
type Script struct {
	Select     app.InstanceRef
	Tunnel     app.InstanceRef // zero: no tunnel
	TunnelPort int             // 0 means 22
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
		if err := w.scriptTunnel(ctx, s.Tunnel, s.TunnelPort); err != nil {
			return fmt.Errorf("script: open a tunnel to %s: %w", s.Tunnel.Name, err)
		}
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

// scriptTunnel opens a tunnel-only connection, as "Connect to port…" does.
func (w *Window) scriptTunnel(ctx context.Context, ref app.InstanceRef, port int) error {
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
		return err
	}
	if svc == nil || inst.Name == "" {
		return app.ErrInstanceNotFound
	}
	if _, err := svc.Connector.Connect(ctx, app.Request{Instance: inst, Protocol: app.ProtocolTunnel, Port: port}, nil); err != nil {
		return err
	}
	return w.onUI(ctx, w.tunnelsChanged)
}
