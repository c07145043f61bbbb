package views

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// TestScript: the screenshot script opens a tunnel, selects the VM and
// opens its context menu.
func TestScript(t *testing.T) {
	tw := newTestWorld(t)
	if err := tw.runScript(Script{Select: windowsVM, Menu: true, Tunnel: linuxVM, Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("script: %v", err)
	}
	if reqs := tw.conn.requests(); len(reqs) != 1 || reqs[0].Instance.InstanceRef != linuxVM ||
		reqs[0].Protocol != app.ProtocolTunnel || reqs[0].Port != 22 {
		t.Errorf("script requests = %+v, want one tunnel to %s:22", reqs, linuxVM.Name)
	}
	if n, ok := tw.w.tree.node(); !ok || n.ID != app.InstanceNode(windowsVM) {
		t.Errorf("selected node = %v, want %s", n.ID, windowsVM.Name)
	}
	var menu bool
	for _, o := range objects(tw.topOverlay(t)) {
		if _, ok := o.(*widget.PopUpMenu); ok {
			menu = true
		}
	}
	if _, ok := tw.topOverlay(t).(*widget.PopUpMenu); ok {
		menu = true
	}
	if !menu {
		t.Errorf("top overlay is %T, want the context menu", tw.topOverlay(t))
	}
}

// runScript runs the screenshot script, doing the UI work it queues on the
// test's goroutine.
func (tw *testWorld) runScript(s Script) error {
	errc := make(chan error, 1)
	go func() { errc <- tw.w.script(s) }()
	for {
		select {
		case err := <-errc:
			tw.idle()
			return err
		case <-tw.loop.wake:
			tw.loop.runQueued()
		}
	}
}

// TestScriptModes: the README's other screenshots: a filter without a
// match (the tree says so), the Saved connections tab with its detail
// pane, and a tunnel made to reconnect (the panel shows it).
func TestScriptModes(t *testing.T) {
	t.Run("no match", func(t *testing.T) {
		tw := newTestWorld(t)
		if err := tw.runScript(Script{Filter: "oracle", Timeout: 30 * time.Second}); err != nil {
			t.Fatalf("script: %v", err)
		}
		if !tw.w.noMatch.root.Visible() || tw.w.noMatch.text.Text != "No VM matches “oracle”" {
			t.Errorf("no-match note visible %v, %q; want it saying no VM matches oracle", tw.w.noMatch.root.Visible(), tw.w.noMatch.text.Text)
		}
	})
	t.Run("saved connection", func(t *testing.T) {
		tw := newSavedWorld(t)
		p, err := tw.profiles.Add(context.Background(), app.Profile{Name: "Legacy portal (RDP)", Protocol: app.ProfileRDP,
			Target: app.ProfileTarget{Project: windowsVM.Project, Zone: windowsVM.Zone, Instance: windowsVM.Name}})
		if err != nil {
			t.Fatal(err)
		}
		tw.w.reloadProfiles()
		tw.idle()
		if err := tw.runScript(Script{Profile: p.Name, Timeout: 30 * time.Second}); err != nil {
			t.Fatalf("script: %v", err)
		}
		if tw.w.tabs.SelectedIndex() != tabProfiles || tw.w.detail.showing() != tw.w.profiles.detail.root {
			t.Error("the Saved connections tab and its detail pane are not shown")
		}
		if got := strings.Join(texts(tw.w.profiles.detail.root), "\n"); !strings.Contains(got, "VM "+windowsVM.Name) || !strings.Contains(got, "Colour depth") {
			t.Errorf("detail pane = %q, want the target and the settings", got)
		}
	})
	t.Run("reconnecting", func(t *testing.T) {
		tw := newTestWorld(t)
		var stalled string
		stall := func(_ context.Context, addr string) error {
			stalled = addr
			tw.tunnels.mu.Lock()
			tw.tunnels.list = []app.TunnelInfo{{Key: app.TunnelKey{Ref: linuxVM, Port: 22}, LocalAddr: addr,
				State: app.TunnelReconnecting, Attempt: 1}}
			tw.tunnels.mu.Unlock()
			return nil
		}
		if err := tw.runScript(Script{Tunnel: linuxVM, Stall: stall, Timeout: 30 * time.Second}); err != nil {
			t.Fatalf("script: %v", err)
		}
		if stalled != "127.0.0.1:40000" {
			t.Errorf("Stall got %q, want the tunnel's address", stalled)
		}
		if got := texts(tw.w.tunnels.list); !slices.Contains(got, "Reconnecting — attempt 1") {
			t.Errorf("tunnels panel = %q, want the tunnel reconnecting", got)
		}
	})
}
