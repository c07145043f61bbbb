package views

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// TestScript: the screenshot script opens a tunnel, selects the VM and
// opens its context menu.
func TestScript(t *testing.T) {
	tw := newTestWorld(t)
	errc := make(chan error, 1)
	go func() { errc <- tw.w.script(Script{Select: windowsVM, Tunnel: linuxVM, Timeout: 30 * time.Second}) }()
	for done := false; !done; {
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("script: %v", err)
			}
			done = true
		case <-tw.loop.wake:
			tw.loop.runQueued()
		}
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
