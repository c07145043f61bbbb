package views

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/app/gce"
	"iapdesk/app/gcetest"
	"iapdesk/auth"
	"iapdesk/auth/authtest"
	"iapdesk/platform"
	"iapdesk/tunnel"
)

// testWorld is a window over the real explorer (app.Explorer on a gcetest
// fake Compute API), with fake tunnels and connector that record what the
// window asks of them.
type testWorld struct {
	t        *testing.T
	w        *Window
	loop     *uiLoop
	gce      *gcetest.Server
	explorer *app.Explorer
	conn     *fakeConnector
	tunnels  *fakeTunnels
	svc      *Services

	// With saved connections (newSavedWorld): the real use cases over a
	// config directory in t.TempDir(), a memory keyring and the fake
	// Compute API, and the real connect policy.
	profiles *app.Profiles
	creds    *app.Credentials
	keys     *app.SSHKeys
	secrets  *authtest.MemStore
	dir      string
}

func newTestWorld(t *testing.T) *testWorld {
	t.Helper()
	return newTestWorldWith(t, Config{}, nil)
}

// account is the signed-in account of the test worlds.
const account = "user@example.com"

// newTestWorldWith builds a test world from cfg (App, Hub and Start are
// filled in); setup, if set, completes the services before the window
// starts.
func newTestWorldWith(t *testing.T, cfg Config, setup func(tw *testWorld)) *testWorld {
	t.Helper()
	a := test.NewTempApp(t)
	hub := &Hub{}
	ex, srv, rm := newExplorer(t, hub)
	tw := &testWorld{t: t, gce: srv, explorer: ex, conn: &fakeConnector{}, tunnels: &fakeTunnels{}}
	tw.svc = &Services{Explorer: ex, Tunnels: tw.tunnels, Connector: tw.conn, Projects: rm,
		Credentials: auth.Description{Kind: auth.SourceAccount, Account: account}}
	if setup != nil {
		setup(tw)
	}
	cfg.App, cfg.Hub = a, hub
	cfg.Start = func(context.Context) (*Services, error) { return tw.svc, nil }
	tw.w, tw.loop = newWindow(t, cfg)
	tw.w.win.Resize(fyne.NewSize(1120, 1400)) // tall: every row of an expanded project is laid out
	tw.w.start()
	tw.idle()
	return tw
}

// newWindow builds a window whose UI work runs on the test's goroutine.
func newWindow(t *testing.T, cfg Config) (*Window, *uiLoop) {
	t.Helper()
	cfg.TickInterval = -1
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	loop := &uiLoop{wake: make(chan struct{}, 1)}
	w.do = loop.do
	t.Cleanup(w.shutdown)
	return w, loop
}

// uiLoop stands in for Fyne's event loop: the window's do queues here and
// the test goroutine runs the queue (settle), so UI code never runs on two
// goroutines at once, as in the real app. (The test driver's own fyne.Do
// runs functions on the calling goroutine.)
type uiLoop struct {
	mu   sync.Mutex // guards fns
	fns  []func()
	wake chan struct{}
}

func (l *uiLoop) do(fn func()) {
	l.mu.Lock()
	l.fns = append(l.fns, fn)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *uiLoop) runQueued() bool {
	l.mu.Lock()
	fns := l.fns
	l.fns = nil
	l.mu.Unlock()
	for _, f := range fns {
		f()
	}
	return len(fns) > 0
}

// settle runs UI work until no job is running (or every running one waits
// for the user's answer in a dialog) and nothing is queued. A job's last
// act is queuing its completion, which ends its count.
func settle(t *testing.T, w *Window, l *uiLoop) {
	t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		if l.runQueued() {
			continue
		}
		if w.active.Load() == w.prompting.Load() {
			return
		}
		select {
		case <-l.wake:
		case <-timeout.C:
			t.Fatalf("the window's background work did not finish: %d jobs", w.active.Load())
		}
	}
}

// newExplorer is the real explorer over a fake Compute API serving the
// demo organisation, with its projects added.
func newExplorer(t *testing.T, hub *Hub) (*app.Explorer, *gcetest.Server, *gce.ResourceManager) {
	t.Helper()
	ctx := context.Background()
	demo := gcetest.Demo()
	srv, err := gcetest.NewServer(gcetest.Config{Projects: demo, OperationDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	comp, err := gce.NewCompute(ctx, gce.ComputeConfig{API: fakeAPI(srv)})
	if err != nil {
		t.Fatal(err)
	}
	rm, err := gce.NewResourceManager(ctx, gce.ResourceManagerConfig{API: fakeAPI(srv)})
	if err != nil {
		t.Fatal(err)
	}
	store, err := app.NewProjectStore(app.ProjectStoreConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range demo {
		if err := store.Add(ctx, app.ProjectInfo{ID: p.ID, Name: p.Name}); err != nil {
			t.Fatal(err)
		}
	}
	loader, err := app.NewLoader(app.LoaderConfig{Lister: comp})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := app.NewExplorer(app.ExplorerConfig{Projects: store, Loader: loader, Power: comp, Serial: comp, OnChange: hub.ExplorerChanged})
	if err != nil {
		t.Fatal(err)
	}
	return ex, srv, rm
}

// newSavedWorld is a test world with saved connections, settings, the
// keyring (a MemStore), SSH key publishing and Windows credentials, all
// real, over the fake Compute API; the connector applies app's real
// connect policy (app.Connector.Prepare) before it records a request.
func newSavedWorld(t *testing.T) *testWorld {
	t.Helper()
	return newTestWorldWith(t, Config{}, func(tw *testWorld) { withSaved(t, tw) })
}

// withSaved adds the saved-connection services to tw.svc.
func withSaved(t *testing.T, tw *testWorld) {
	t.Helper()
	ctx := context.Background()
	tw.dir = t.TempDir()
	tw.secrets = authtest.NewMemStore()
	var err error
	if tw.creds, err = app.NewCredentials(tw.secrets); err != nil {
		t.Fatal(err)
	}
	store, err := app.NewConfigStore(app.ConfigStoreConfig{Dir: tw.dir})
	if err != nil {
		t.Fatal(err)
	}
	if tw.profiles, err = app.NewProfiles(app.ProfilesConfig{Store: store, Credentials: tw.creds}); err != nil {
		t.Fatal(err)
	}
	if tw.keys, err = app.NewSSHKeys(app.SSHKeysConfig{Dir: tw.dir, Credentials: tw.creds}); err != nil {
		t.Fatal(err)
	}
	api := fakeAPI(tw.gce)
	pub, err := gce.NewSSHPublisher(ctx, gce.SSHPublisherConfig{API: api, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	comp, err := gce.NewCompute(ctx, gce.ComputeConfig{API: api})
	if err != nil {
		t.Fatal(err)
	}
	gen, err := gce.NewWindowsCredentialGenerator(ctx, gce.WindowsCredentialsConfig{API: api,
		Timeout: 2 * time.Second, PollInterval: 20 * time.Millisecond, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The policy's tunnels and launcher are never used: the fake connector
	// only calls Prepare.
	tunnels, err := app.NewTunnels(app.TunnelsConfig{Dialer: &tunnel.Dialer{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tunnels.Shutdown)
	launcher, err := platform.New(platform.Config{ConfigDir: tw.dir})
	if err != nil {
		t.Fatal(err)
	}
	if tw.conn.policy, err = app.NewConnector(app.ConnectorConfig{Tunnels: tunnels, Launcher: launcher,
		Profiles: tw.profiles, Passwords: tw.creds, Instances: comp, SSHKeys: tw.keys, Publisher: pub, Account: account,
		SSH: app.SSHParams{KnownHostsFile: "/test/known_hosts", StrictHostKeyChecking: "yes"}}); err != nil {
		t.Fatal(err)
	}
	tw.svc.Profiles, tw.svc.WindowsCredentials = tw.profiles, gen
}

// fakeAPI points the Google API clients at the fake, with its token.
func fakeAPI(srv *gcetest.Server) gce.API {
	return gce.API{HTTPClient: srv.HTTPClient(), ComputeURL: srv.URL + "/compute/v1/", OSLoginURL: srv.URL + "/", ResourceManagerURL: srv.URL + "/"}
}

// idle waits for the window's background work and shows its results.
func (tw *testWorld) idle() { settle(tw.t, tw.w, tw.loop) }

// expand opens the tree down to a VM's zone.
func (tw *testWorld) expand(ref app.InstanceRef) {
	tw.w.tree.OpenBranch(string(app.ProjectNode(ref.Project)))
	tw.w.tree.OpenBranch(string(app.ZoneNode(ref.Project, ref.Zone)))
}

// row returns the visible tree row of a node.
func (tw *testWorld) row(t *testing.T, id app.NodeID) *nodeRow {
	t.Helper()
	for _, o := range test.LaidOutObjects(tw.w.win.Canvas().Content()) {
		if r, ok := o.(*nodeRow); ok && r.node.ID == id && r.Visible() {
			return r
		}
	}
	t.Fatalf("no visible tree row for %s", id)
	return nil
}

// shown reports the nodes the tree shows under id (open branches only).
func shown(tr *explorerTree, id widget.TreeNodeID) []app.NodeID {
	var out []app.NodeID
	for _, c := range tr.ChildUIDs(id) {
		out = append(out, app.NodeID(c))
		if tr.IsBranch(c) && tr.IsBranchOpen(c) {
			out = append(out, shown(tr, c)...)
		}
	}
	return out
}

// topOverlay returns the top overlay (popup menu, dialog) of the window.
func (tw *testWorld) topOverlay(t *testing.T) fyne.CanvasObject {
	t.Helper()
	o := tw.w.win.Canvas().Overlays().Top()
	if o == nil {
		t.Fatal("no overlay (menu or dialog) is shown")
	}
	return o
}

// objects lists every object under o, laid out.
func objects(o fyne.CanvasObject) []fyne.CanvasObject { return test.LaidOutObjects(o) }

// button finds a button by its text under o.
func button(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, c := range objects(o) {
		if b, ok := c.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}

// texts collects the text of every label and rich text (links, secondary
// text) under o.
func texts(o fyne.CanvasObject) []string {
	all := objects(o)
	inLabel := map[*widget.RichText]bool{} // a Label draws its text with a RichText
	for _, c := range all {
		if l, ok := c.(*widget.Label); ok {
			for _, r := range test.WidgetRenderer(l).Objects() {
				if rt, ok := r.(*widget.RichText); ok {
					inLabel[rt] = true
				}
			}
		}
	}
	var out []string
	for _, c := range all {
		switch l := c.(type) {
		case *widget.Label:
			if l.Text != "" {
				out = append(out, l.Text)
			}
		case *widget.RichText:
			if s := richTextString(l); s != "" && !inLabel[l] {
				out = append(out, s)
			}
		}
	}
	return out
}

// tapMenuItem taps the item labelled label in the popup menu on top.
func (tw *testWorld) tapMenuItem(t *testing.T, menu *fyne.Menu, label string) {
	t.Helper()
	pm, ok := tw.topOverlay(t).(*widget.PopUpMenu)
	if !ok {
		// The overlay is the menu's container; the menu is its content.
		for _, o := range objects(tw.topOverlay(t)) {
			if p, ok := o.(*widget.PopUpMenu); ok {
				pm = p
				break
			}
		}
	}
	if pm == nil {
		t.Fatalf("top overlay %T is not a popup menu", tw.topOverlay(t))
	}
	i := slices.IndexFunc(menu.Items, func(it *fyne.MenuItem) bool { return it.Label == label })
	if i < 0 || i >= len(pm.Items) {
		t.Fatalf("menu has no item %q", label)
	}
	test.Tap(pm.Items[i].(fyne.Tappable))
}

// fakeConnector records connect requests; errs are returned in turn. With
// a policy it first completes each request as app.Connector does (saved
// settings, keyring, the SSH key, the window's credentials prompt).
type fakeConnector struct {
	mu       sync.Mutex // guards reqs, errs and sessions
	reqs     []app.Request
	errs     []error
	policy   *app.Connector
	sessions []app.SessionInfo // what Sessions lists
}

// Sessions lists the sessions the test set.
func (c *fakeConnector) Sessions() []app.SessionInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sessions)
}

func (c *fakeConnector) Connect(ctx context.Context, req app.Request, prompt app.CredentialPrompter) (*app.Session, error) {
	if c.policy != nil {
		var err error
		if req, err = c.policy.Prepare(ctx, req, prompt); err != nil {
			return nil, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, req)
	if len(c.errs) > 0 {
		err := c.errs[0]
		c.errs = c.errs[1:]
		if err != nil {
			return nil, err
		}
	}
	return &app.Session{Request: req, Tunnel: app.TunnelInfo{LocalAddr: "127.0.0.1:40000", LocalPort: 40000}}, nil
}

// CheckTarget is the policy's, when there is one.
func (c *fakeConnector) CheckTarget(ctx context.Context, ref app.InstanceRef) error {
	if c.policy == nil {
		return nil
	}
	return c.policy.CheckTarget(ctx, ref)
}

func (c *fakeConnector) requests() []app.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reqs)
}

// fakeTunnels serves a fixed list and records Close. A non-nil gate makes
// Close wait until it is closed, like a tunnel whose connections take a
// while to end.
type fakeTunnels struct {
	mu     sync.Mutex // guards list and closed
	list   []app.TunnelInfo
	closed []app.TunnelKey
	gate   chan struct{}
}

func (f *fakeTunnels) List() []app.TunnelInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.list)
}

func (f *fakeTunnels) Close(key app.TunnelKey) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = append(f.closed, key)
	f.list = slices.DeleteFunc(f.list, func(t app.TunnelInfo) bool { return t.Key == key })
}

// fakeAccounts signs in at once; SignOut signs out. It records the calls.
type fakeAccounts struct {
	mu       sync.Mutex // guards every field
	signIns  int
	signOuts int
	out      bool // signed out
	err      error
}

func (f *fakeAccounts) SignIn(context.Context, string) (auth.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signIns++
	if f.err != nil {
		return auth.Account{}, f.err
	}
	f.out = false
	return auth.Account{Email: "user@example.com", Active: true}, nil
}

func (f *fakeAccounts) List(context.Context) ([]auth.Account, error) {
	return []auth.Account{{Email: "user@example.com", Active: true}}, nil
}

func (f *fakeAccounts) Switch(context.Context, string) error { return errors.ErrUnsupported }

func (f *fakeAccounts) SignOut(context.Context, string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signOuts++
	f.out = true
	return "user@example.com", nil
}

// signedOut reports whether SignOut was the last call.
func (f *fakeAccounts) signedOut() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out
}

func gcetestInstance(name, zone string) gcetest.Instance {
	return gcetest.Instance{Name: name, Zone: zone, OS: gcetest.Linux}
}
