package views

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// Config configures the main window.
type Config struct {
	// App is the Fyne application. Required.
	App fyne.App
	// Title is the window title; "" means "iapdesk".
	Title string
	// Start builds the services the explorer works with. The window calls
	// it off the UI thread when it starts, after a sign-in and after the
	// account changes. An error for which app.NeedsSignIn is true brings
	// up the sign-in screen. Required.
	Start func(ctx context.Context) (*Services, error)
	// Accounts signs in, lists, switches and signs out accounts; nil
	// hides the account menu and the sign-in button.
	Accounts Accounts
	// Hub delivers the app objects' change callbacks; nil means the
	// window only sees the changes it makes itself.
	Hub *Hub
	// Script, if set, drives the window for a screenshot (see Script).
	Script *Script
	// Link, if set, is an iap-rdp:/// link to open once the services have
	// started and the projects have loaded (iapdesk 'iap-rdp:///…').
	Link *app.IAPRDPURL
	// TickInterval is how often the tunnels panel's counters update while
	// a tunnel is open; 0 means every second, negative never.
	TickInterval time.Duration
	// State keeps the window's size, splits, tab, filter and expanded
	// projects between starts (desk.Desk.WindowState); nil starts as new
	// every time.
	State WindowStateStore
	// Preferences are Settings → Access and network (the device
	// certificate, the proxy); nil hides the menu item.
	Preferences PreferencesEditor
	// NoTray keeps iapdesk out of the system tray even where App has one
	// (platform.SystemTrayAvailable false: no D-Bus session bus).
	NoTray bool
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Window is iapdesk's main window: toolbar, project tree, details, tunnels
// panel and status bar, or the sign-in screen. It holds no state of its
// own beyond what is on screen: the explorer, tunnels and accounts are
// package app's.
//
// Every field without a comment saying otherwise is touched only on the
// Fyne UI goroutine; background work runs in goroutines the window owns
// and reports back with w.do (fyne.Do).
type Window struct {
	cfg Config
	win fyne.Window
	log *slog.Logger

	// ctx bounds the window's background work: cancelled when the window
	// closes.
	ctx    context.Context
	cancel context.CancelFunc
	jobs   sync.WaitGroup // one-shot background work (job, run)
	extras beyond         // ssh config, gateway, system tray (beyond.go, tray.go)
	loops  sync.WaitGroup // long-running: tunnels ticker, serial readers, script
	closer sync.WaitGroup // the shutdown after the window is closed
	// runEnded is set when App.Run has returned.
	runEnded atomic.Bool

	// mu guards closable (read by shutdown, off the UI thread) and
	// scriptErr (written by the script).
	mu        sync.Mutex
	closable  *Services
	scriptErr error

	// do runs a function on the UI goroutine: fyne.Do. Tests replace it
	// with a queue they run on their own goroutine, as Fyne's loop would.
	do func(func())
	// active counts jobs whose completion has not yet been shown;
	// prompting those of them waiting for the user's answer in a dialog.
	active    atomic.Int32
	prompting atomic.Int32

	svc      *Services // nil until started, and while switching accounts
	toolbar  *toolbar
	tabs     *container.AppTabs // Projects, Saved connections
	tree     *explorerTree
	noMatch  *noMatchNote // over the tree when the filter matches no VM
	profiles *profilesPanel
	detail   *detailPane
	sessions *sessionTabs // the details and the terminal tabs, right of the explorer
	tunnels  *tunnelsPanel
	split    *container.Split // left pane | detail pane
	vsplit   *container.Split // split above, tunnels panel below
	center   *fyne.Container  // split alone, or vsplit while a tunnel is listed
	restored app.WindowState  // loaded from Config.State at start
	status   *statusBar
	signin   *signInScreen
	body     *fyne.Container // holds explorer, sign-in screen or progress
	explore  fyne.CanvasObject
	ticking  bool
	closing  bool
	// loaded is closed once the first load of the projects is on screen.
	loaded     chan struct{}
	loadedOnce sync.Once
	linkOpened bool // Config.Link was opened
	// quitting is the question asked before closing (quit, or keep
	// running in the tray) while it is shown: Enter and Escape answer it.
	quitting *dialog.ConfirmDialog
	// explorerRestored is set once the last run's filter and expanded
	// projects have been given to the explorer.
	explorerRestored bool
	// The editors of the settings and profile dialogs opened last (tests
	// drive them).
	openSettings *settingsEditor
	openProfile  *profileDialog
}

// Tabs of the left pane.
const (
	tabProjects = iota
	tabProfiles
)

// New builds the window; ShowAndRun shows it. Without a display (no
// desktop session) it fails instead of panicking, as Fyne's driver does.
func New(cfg Config) (w *Window, err error) {
	if cfg.App == nil || cfg.Start == nil {
		return nil, errors.New("new window: App and Start are required")
	}
	if cfg.Title == "" {
		cfg.Title = "iapdesk"
	}
	if cfg.TickInterval == 0 {
		cfg.TickInterval = time.Second
	}
	w = &Window{cfg: cfg, log: cfg.Logger, loaded: make(chan struct{}), do: fyne.Do}
	if w.log == nil {
		w.log = slog.Default()
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	if w.win, err = openWindow(cfg.App, cfg.Title); err != nil {
		w.cancel()
		return nil, err
	}
	w.win.SetIcon(iconApp)
	w.win.SetMaster()
	useAppTheme(cfg.App)
	w.restored = w.loadState()
	w.toolbar = newToolbar(w.showAddProject, w.refresh, w.changeFilter)
	w.tree = newExplorerTree(treeActions{
		selected: w.selected,
		activate: func(n app.Node) { w.connect(*n.Instance, app.ProtocolAuto, 0, nil) },
		menu:     w.showNodeMenu,
		expanded: w.expanded,
		refresh:  w.refresh,
	})
	w.detail = newDetailPane(w)
	w.tunnels = newTunnelsPanel(w.closeTunnel)
	w.status = newStatusBar(w.showAccountMenu)
	w.signin = newSignInScreen(w)
	w.profiles = newProfilesPanel(w)
	w.noMatch = newNoMatchNote(w.clearFilter)
	w.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Projects", iconProject, container.NewStack(w.tree, w.noMatch.root)),
		container.NewTabItemWithIcon("Saved connections", theme.StorageIcon(), w.profiles.root),
	)
	w.tabs.OnSelected = func(*container.TabItem) { w.tabChanged() }

	w.sessions = newSessionTabs(w, w.detail.root)
	w.split = container.NewHSplit(w.tabs, w.sessions.root)
	w.split.Offset = 0.55
	w.vsplit = container.NewVSplit(w.split, w.tunnels.root)
	w.vsplit.Offset = 0.78
	// The tunnels panel takes no space until a tunnel is listed
	// (tunnelsChanged).
	w.center = container.NewStack(w.split)
	w.explore = container.NewBorder(container.NewVBox(w.toolbar.root, widget.NewSeparator()), nil, nil, nil, w.center)
	w.body = container.NewStack()
	w.win.SetContent(container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), w.status.root), nil, nil, w.body))
	w.setupTray() // before the menu, which has an item for the tray
	w.win.SetMainMenu(w.mainMenu())
	w.win.Canvas().SetOnTypedKey(w.typedKey)
	w.wireKeyboard()
	w.win.SetCloseIntercept(w.quit)
	w.win.Resize(fyne.NewSize(1120, 760))
	w.applyState(w.restored)
	cfg.Hub.attach(w)
	return w, nil
}

// typedKey takes the keys nothing focused took: F5 refreshes; while the
// window asks before closing, Enter answers with the close (Quit) and
// Escape with staying (Fyne's dialogs have no keys of their own).
func (w *Window) typedKey(ev *fyne.KeyEvent) {
	switch d := w.quitting; {
	case d != nil && (ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter):
		d.Confirm()
	case d != nil && ev.Name == fyne.KeyEscape:
		d.Hide()
	case ev.Name == fyne.KeyF5:
		w.refresh()
	}
}

// openWindow is App.NewWindow; GLFW panics when there is no display.
func openWindow(a fyne.App, title string) (win fyne.Window, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot open a window: no desktop session? (on Linux, DISPLAY or WAYLAND_DISPLAY must be set): %v", r)
		}
	}()
	return a.NewWindow(title), nil
}

// ShowAndRun shows the window and runs the application until the window
// is closed or ctx ends, then shuts down: background work is cancelled and
// waited for, and the services are closed (the tunnels with them). It
// returns the script's error, if one ran and failed.
func (w *Window) ShowAndRun(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { w.do(w.requestClose) })
	defer stop()
	w.win.Show()
	w.start()
	if w.cfg.Script != nil {
		w.runScript(*w.cfg.Script)
	}
	w.cfg.App.Run()
	w.runEnded.Store(true)
	w.shutdown()
	w.closer.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.scriptErr
}

// requestClose is the window's close button (and Quit, and the end of
// ShowAndRun's ctx): hide the window, cancel background work, wait for it,
// close the services, then quit.
func (w *Window) requestClose() {
	if w.closing {
		return
	}
	w.closing = true
	st := w.currentState()
	w.cancel()
	w.win.Hide()
	w.closer.Go(func() {
		w.saveState(st)
		w.shutdown()
		if !w.runEnded.Load() {
			w.do(w.quitApp)
		}
	})
}

// quitApp is App.Quit for a close that finishes off the UI thread. Fyne
// quits on SIGINT and SIGTERM by itself, and once its loop has stopped
// fyne.Do runs functions at once on the caller's goroutine, where
// App.Quit panics in GLFW: then there is nothing left to quit.
func (w *Window) quitApp() {
	defer func() {
		if r := recover(); r != nil {
			w.log.Debug("the window had already stopped", "panic", r)
		}
	}()
	w.cfg.App.Quit()
}

// shutdown cancels and waits for background work, then closes the
// services. It may run twice (after a close and after Run returns); the
// services close once. Off the UI thread.
func (w *Window) shutdown() {
	// Closing the services fires change callbacks; nothing is left to
	// show them on.
	w.cfg.Hub.attach(nil)
	w.cancel()
	w.jobs.Wait()
	w.loops.Wait()
	w.mu.Lock()
	svc := w.closable
	w.closable = nil
	w.mu.Unlock()
	if svc != nil && svc.Close != nil {
		svc.Close()
	}
}

// job runs fn off the UI thread, with what shown in the status bar until
// it returns ("" shows nothing).
func (w *Window) job(what string, fn func(ctx context.Context)) {
	if what != "" {
		w.status.begin(what)
	}
	w.active.Add(1)
	w.jobs.Go(func() {
		fn(w.ctx)
		w.do(func() {
			if what != "" {
				w.status.end(what)
			}
			w.active.Add(-1)
		})
	})
}

// showTab brings a tab of the left pane to the front.
func (w *Window) showTab(i int) { w.tabs.SelectIndex(i) }

// run is job for work that can fail: the error is shown in a dialog.
func (w *Window) run(what string, fn func(ctx context.Context) error) {
	w.job(what, func(ctx context.Context) {
		if err := fn(ctx); err != nil {
			w.do(func() {
				if w.ctx.Err() == nil {
					w.showError(err)
				}
			})
		}
	})
}

// refresh reloads every project (F5).
func (w *Window) refresh() {
	svc := w.svc
	if svc == nil {
		return
	}
	w.run("Loading projects", func(ctx context.Context) error {
		err := svc.Explorer.Refresh(ctx)
		// After the explorer's change notification, which it queued first.
		w.do(func() {
			w.explorerChanged()
			w.loadedOnce.Do(func() { close(w.loaded) })
			w.openPendingLink()
		})
		return err
	})
}

// explorerChanged shows the explorer's inventory and tree state.
func (w *Window) explorerChanged() {
	svc := w.svc
	if svc == nil {
		return
	}
	inv, st := svc.Explorer.Inventory(), svc.Explorer.TreeState()
	f := svc.Explorer.Filter()
	w.tree.show(inv, st, !f.IsZero())
	w.noMatch.show(f, len(inv.Projects) == 0 && !f.IsZero() && len(svc.Explorer.Unfiltered().Projects) > 0)
	n, _ := w.tree.node()
	w.detail.show(n)
	w.sshConfigFollow()
}

// tunnelsChanged shows the open tunnels.
func (w *Window) tunnelsChanged() {
	var rows []app.TunnelInfo
	if w.svc != nil {
		rows = w.svc.Tunnels.List()
	}
	w.tunnels.set(rows)
	w.trayChanged(rows)
	w.status.setTunnels(len(rows))
	if w.svc != nil {
		w.status.setNetwork(w.svc.Network)
	}
	w.showTunnelsPanel(len(rows) > 0)
}

// tick updates the tunnel counters while any tunnel is open.
func (w *Window) tick() {
	t := time.NewTicker(w.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-t.C:
			w.do(func() {
				if len(w.tunnels.rows) > 0 {
					w.tunnelsChanged()
				}
			})
		}
	}
}

// closeTunnel closes a tunnel off the UI thread: closing waits for its
// connections to end.
func (w *Window) closeTunnel(key app.TunnelKey) {
	svc := w.svc
	if svc == nil {
		return
	}
	w.job("Closing tunnel", func(context.Context) {
		svc.Tunnels.Close(key)
		w.do(w.tunnelsChanged)
	})
}

func (w *Window) changeFilter(change func(*app.Filter)) {
	if w.svc == nil {
		return
	}
	f := w.svc.Explorer.Filter()
	change(&f)
	w.svc.Explorer.SetFilter(f)
	if w.cfg.Hub == nil {
		w.explorerChanged()
	}
}

func (w *Window) selected(n app.Node) {
	if w.svc != nil {
		w.svc.Explorer.Select(n.ID)
	}
	w.detail.show(n)
}

func (w *Window) expanded(id app.NodeID, open bool) {
	if w.svc != nil {
		w.svc.Explorer.SetExpanded(id, open)
	}
}
