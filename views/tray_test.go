package views

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"iapdesk/app"
)

// fakeTray records the tray menu, as the desktop's tray would show it.
type fakeTray struct {
	menu *fyne.Menu
	icon fyne.Resource
}

func (f *fakeTray) SetSystemTrayMenu(m *fyne.Menu)     { f.menu = m }
func (f *fakeTray) SetSystemTrayIcon(ic fyne.Resource) { f.icon = ic }

func labels(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		if !it.IsSeparator {
			out = append(out, it.Label)
		}
	}
	return out
}

func item(t *testing.T, m *fyne.Menu, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range m.Items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("tray menu %q has no %q", labels(m), label)
	return nil
}

// memChoice is a TrayChoiceStore in memory.
type memChoice struct {
	mu sync.Mutex // guards c
	c  app.CloseChoice
}

func (m *memChoice) Load(context.Context) (app.CloseChoice, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.c, nil
}

func (m *memChoice) Save(_ context.Context, c app.CloseChoice) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c = c
	return nil
}

var trayVM = app.InstanceRef{Project: "proj", Zone: "europe-west1-b", Name: "web-1"}

// TestTrayMenu: the tray lists the open tunnels from the same query as
// the tunnels panel (Tunnels.List), each closing its tunnel, then Show
// window and Quit (Fyne's own Quit replaced).
func TestTrayMenu(t *testing.T) {
	tw := newTestWorld(t)
	tray := &fakeTray{}
	tw.w.extras.tray = tray
	tw.w.updateTray()
	if got := labels(tray.menu); len(got) != 3 || got[0] != "No open tunnels" {
		t.Errorf("tray menu without tunnels = %q, want No open tunnels, Show window, Quit", got)
	}
	key := app.TunnelKey{Ref: trayVM, Port: 22}
	tw.tunnels.list = []app.TunnelInfo{{Key: key, LocalPort: 40001, State: app.TunnelOK}}
	tw.w.tunnelsChanged()
	closeItem := item(t, tray.menu, "Close tunnel to web-1 port 22 (localhost:40001)")
	item(t, tray.menu, "Show window")
	if q := item(t, tray.menu, "Quit"); !q.IsQuit {
		t.Error("the tray's Quit is not IsQuit: Fyne would add a second one")
	}
	closeItem.Action()
	tw.idle()
	if len(tw.tunnels.closed) != 1 || tw.tunnels.closed[0] != key {
		t.Errorf("Close tunnel from the tray closed %v, want %v", tw.tunnels.closed, key)
	}
	if got := labels(tray.menu); got[0] != "No open tunnels" {
		t.Errorf("tray menu after the close = %q, want it to follow the tunnels", got)
	}
}

// TestTunnelNotifications: a notification when a tunnel drops and when it
// resumes, or when it fails; none for a tunnel that just opened.
func TestTunnelNotifications(t *testing.T) {
	key := app.TunnelKey{Ref: trayVM, Port: 22}
	row := func(s app.TunnelState) []app.TunnelInfo {
		return []app.TunnelInfo{{Key: key, State: s, Reason: &app.UserError{Why: "the relay refused"}}}
	}
	tests := []struct {
		name string
		prev map[app.TunnelKey]app.TunnelState
		rows []app.TunnelInfo
		want string // the title, "" for none
	}{
		{"opened", map[app.TunnelKey]app.TunnelState{}, row(app.TunnelOK), ""},
		{"dropped", map[app.TunnelKey]app.TunnelState{key: app.TunnelOK}, row(app.TunnelReconnecting), "Tunnel to web-1 port 22 dropped"},
		{"still resuming", map[app.TunnelKey]app.TunnelState{key: app.TunnelReconnecting}, row(app.TunnelReconnecting), ""},
		{"resumed", map[app.TunnelKey]app.TunnelState{key: app.TunnelReconnecting}, row(app.TunnelOK), "Tunnel to web-1 port 22 resumed"},
		{"failed", map[app.TunnelKey]app.TunnelState{key: app.TunnelReconnecting}, row(app.TunnelFailed), "Tunnel to web-1 port 22 failed"},
		{"still failed", map[app.TunnelKey]app.TunnelState{key: app.TunnelFailed}, row(app.TunnelFailed), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tunnelNotifications(tc.prev, tc.rows)
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("tunnelNotifications() = %q, want none", got[0].Title)
			case tc.want != "" && (len(got) != 1 || got[0].Title != tc.want):
				t.Errorf("tunnelNotifications() = %v, want %q", got, tc.want)
			}
		})
	}
}

// TestCloseToTray: with a tunnel open and a tray, the close button asks
// the first time whether to keep iapdesk in the tray, keeps the answer,
// and from then on hides the window without asking; the tunnels stay.
func TestCloseToTray(t *testing.T) {
	store := &memChoice{}
	tw := newTestWorldWith(t, Config{}, func(tw *testWorld) { tw.svc.Tray = store })
	tw.w.extras.tray = &fakeTray{}
	tw.tunnels.list = []app.TunnelInfo{{Key: app.TunnelKey{Ref: trayVM, Port: 22}, LocalPort: 40001}}
	tw.w.tunnelsChanged()
	tw.idle()

	tw.w.quit()
	tw.idle()
	keep := button(t, tw.topOverlay(t), "Keep in tray")
	test.Tap(keep)
	tw.idle()
	if tw.w.closing {
		t.Fatal("Keep in tray closed the window's services")
	}
	if c, _ := store.Load(context.Background()); c != app.CloseToTray {
		t.Errorf("kept choice %q, want %q", c, app.CloseToTray)
	}
	test.AssertNotificationSent(t, fyne.NewNotification("iapdesk is still running",
		"Its tunnels stay open. Use the tray icon to show the window or quit."), func() {
		tw.w.quit() // the second time: no question
	})
	if tw.w.closing || len(tw.tunnels.closed) != 0 {
		t.Errorf("closing to the tray: closing %v, tunnels closed %v; want neither", tw.w.closing, tw.tunnels.closed)
	}
}

// TestCloseToTrayMenuItem: File → "Keep running in the tray when closed"
// shows the kept answer and changes it, both ways; without a tray there
// is no such item.
func TestCloseToTrayMenuItem(t *testing.T) {
	const label = "Keep running in the tray when closed"
	store := &memChoice{c: app.CloseToTray}
	tw := newTestWorldWith(t, Config{}, func(tw *testWorld) { tw.svc.Tray = store })
	file := func() *fyne.Menu { return tw.w.win.MainMenu().Items[0] }
	if got := labels(file()); slices.Contains(got, label) {
		t.Errorf("File menu without a tray = %q, want no %q", got, label)
	}
	tw.w.extras.tray = &fakeTray{}
	tw.w.win.SetMainMenu(tw.w.mainMenu())
	tw.w.loadCloseChoice()
	tw.idle()
	it := item(t, file(), label)
	if !it.Checked {
		t.Fatalf("%q unchecked with the kept answer %q", label, app.CloseToTray)
	}
	for _, want := range []app.CloseChoice{app.CloseQuits, app.CloseToTray} {
		it.Action()
		tw.idle()
		if c, _ := store.Load(context.Background()); c != want {
			t.Errorf("after choosing %q: kept %q, want %q", label, c, want)
		}
		if it.Checked != (want == app.CloseToTray) {
			t.Errorf("after choosing %q: checked %v, want %v", label, it.Checked, want == app.CloseToTray)
		}
	}
}

// fakeSSHConfig records the inventories it is written for.
type fakeSSHConfig struct {
	mu      sync.Mutex // guards written
	written []*app.Inventory
}

func (f *fakeSSHConfig) Write(_ context.Context, inv *app.Inventory, _ []string) (app.SSHConfigResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.written = append(f.written, inv)
	return app.SSHConfigResult{Path: "/home/u/.ssh/iapdesk.config", Hosts: 3}, nil
}

func (f *fakeSSHConfig) Written() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.written) > 0
}

func (f *fakeSSHConfig) UserConfig() string { return "/home/u/.ssh/config" }

func (f *fakeSSHConfig) writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.written)
}

// TestWriteSSHConfig: File → Write ssh config… writes it for the loaded
// VMs and says where; it is written again after each refresh of the
// inventory, not on every change of the tree.
func TestWriteSSHConfig(t *testing.T) {
	cfg := &fakeSSHConfig{}
	tw := newTestWorldWith(t, Config{}, func(tw *testWorld) { tw.svc.SSHConfig = cfg })
	item(t, tw.w.win.MainMenu().Items[0], "Write ssh config…").Action()
	tw.idle()
	if cfg.writes() != 1 {
		t.Fatalf("Write ssh config… wrote %d times, want 1", cfg.writes())
	}
	if got := texts(tw.topOverlay(t)); !containsText(got, "Wrote 3 hosts to /home/u/.ssh/iapdesk.config") {
		t.Errorf("the dialog says %q, want the hosts and the file", got)
	}
	tw.w.explorerChanged() // the same inventory: nothing to write
	tw.idle()
	if cfg.writes() != 1 {
		t.Errorf("a tree change rewrote the ssh config: %d writes", cfg.writes())
	}
	if err := tw.explorer.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	tw.w.explorerChanged()
	tw.idle()
	if cfg.writes() != 2 {
		t.Errorf("after a refresh: %d writes, want 2 (it follows the inventory)", cfg.writes())
	}
}

func containsText(list []string, sub string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, sub) })
}

// fakeGateway serves until its ctx ends.
type fakeGateway struct {
	serving chan struct{}
	stopped chan struct{}
}

func (g *fakeGateway) Serve(ctx context.Context, ln net.Listener) error {
	defer ln.Close()
	close(g.serving)
	<-ctx.Done()
	close(g.stopped)
	return nil
}

func (g *fakeGateway) Routes() []app.GatewayRoute { return nil }

// TestGatewayToggle: File → Gateway starts the gateway on its port, the
// item and the tray say where; again stops it.
func TestGatewayToggle(t *testing.T) {
	gw := &fakeGateway{serving: make(chan struct{}), stopped: make(chan struct{})}
	tw := newTestWorldWith(t, Config{}, func(tw *testWorld) { tw.svc.Gateway = gw })
	tw.w.extras.gatewayListen = "127.0.0.1:0"
	tray := &fakeTray{}
	tw.w.extras.tray = tray
	tw.w.toggleGateway()
	<-gw.serving
	it := tw.w.extras.gatewayItem
	if !it.Checked || tw.w.extras.gatewayAddr == "" {
		t.Fatalf("after starting: item %q checked %v, want it checked with the address", it.Label, it.Checked)
	}
	item(t, tray.menu, "Gateway on "+tw.w.extras.gatewayAddr)
	tw.w.toggleGateway()
	<-gw.stopped
	tw.idle()
	if it.Checked || tw.w.extras.gatewayAddr != "" {
		t.Errorf("after stopping: item %q checked %v, want unchecked", it.Label, it.Checked)
	}
}
