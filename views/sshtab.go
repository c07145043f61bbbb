package views

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/views/terminal"
)

// scrollbackLines is how much history a terminal tab keeps.
const scrollbackLines = 10000

// sshTab is one terminal tab: an SSH shell on a VM in a terminal widget,
// a status line ("Connecting…", "Reconnecting…", why the session ended,
// with Reconnect), and the SFTP pane beside it on demand.
//
// Fields are touched on the UI thread only, except model (safe for
// concurrent use) and bells; the session runs in a window loop (run) that
// reports back with w.do.
type sshTab struct {
	st    *sessionTabs
	w     *Window
	req   app.Request // as the Connector completed it
	name  string
	item  *container.TabItem
	model *terminal.Model
	term  *terminal.Terminal

	status    *widget.Label
	reconnect *widget.Button
	filesBtn  *widget.Button
	split     *container.Split
	body      *fyne.Container // the terminal, or the split with the SFTP pane
	files     *sftpPane       // nil until first shown

	ctx    context.Context // the tab's life: cancelled by close
	cancel context.CancelFunc
	runCtx context.Context    // the current session's
	stop   context.CancelFunc // ends the current session

	client       *app.SSHClient // the connection while the session runs
	shell        *app.Shell
	running      bool
	shownTitle   string
	reconnecting bool
	bells        atomic.Int32
	// prompting says the tab is asking a login question in the terminal.
	prompting atomic.Bool
}

func newSSHTab(st *sessionTabs, req app.Request) *sshTab {
	w := st.w
	t := &sshTab{st: st, w: w, req: req, name: req.Instance.Name}
	t.ctx, t.cancel = context.WithCancel(w.ctx)
	t.model = terminal.NewModel(80, 24, scrollbackLines, terminal.Events{
		Bell: func() { t.bells.Add(1) },
	})
	t.term = terminal.NewTerminal(t.model, w.cfg.App.Clipboard())
	t.term.OnResize = t.resized
	t.term.ShowMenu = func(m *fyne.Menu, pos fyne.Position) {
		widget.ShowPopUpMenuAtPosition(m, w.win.Canvas(), pos)
	}
	t.term.Menu = func() []*fyne.MenuItem {
		items := []*fyne.MenuItem{fyne.NewMenuItem("Files", t.toggleFiles)}
		if !t.running {
			items = append(items, fyne.NewMenuItem("Reconnect", t.doReconnect))
		}
		return items
	}
	t.status = widget.NewLabel("Connecting…")
	t.status.Truncation = fyne.TextTruncateEllipsis
	t.reconnect = widget.NewButtonWithIcon("Reconnect", theme.ViewRefreshIcon(), t.doReconnect)
	t.reconnect.Hide()
	t.filesBtn = widget.NewButtonWithIcon("Files", theme.FolderOpenIcon(), t.toggleFiles)
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(t.reconnect, t.filesBtn), t.status)
	t.body = container.NewStack(t.term)
	t.item = container.NewTabItemWithIcon(t.name, theme.ComputerIcon(), container.NewBorder(bar, nil, nil, nil, t.body))
	w.loops.Go(func() {
		// The model lives as long as the tab: until it is closed, or the
		// window.
		<-t.ctx.Done()
		t.model.Close()
	})
	return t
}

// start connects and runs a shell in a window loop. reopen applies the
// connect policy again (Reconnect: the key may need publishing again);
// otherwise the Connector's completed request is used as is.
func (t *sshTab) start(reopen bool) {
	t.running = true
	t.reconnect.Hide()
	t.setStatus("Connecting to " + t.name + "…")
	t.runCtx, t.stop = context.WithCancel(t.ctx)
	ctx := t.runCtx
	svc := t.w.svc
	if svc == nil || svc.SSH == nil {
		t.ended(errors.New("embedded SSH is not available"))
		return
	}
	req := t.req
	t.w.loops.Go(func() { t.run(ctx, svc.SSH, req, reopen) })
}

// run is one session: log in (asking in the terminal), start a shell of
// the terminal's size, and feed the terminal until the shell ends. Off the
// UI thread.
func (t *sshTab) run(ctx context.Context, ssh SSHSessions, req app.Request, reopen bool) {
	var c *app.SSHClient
	var err error
	if reopen {
		c, err = ssh.Open(ctx, req, t)
	} else {
		c, err = ssh.Dial(ctx, req, t)
	}
	if err != nil {
		t.w.do(func() { t.failed(ctx, err) })
		return
	}
	defer c.Close()
	cols, rows := t.model.Size()
	sh, err := c.Shell(ctx, app.ShellConfig{Cols: cols, Rows: rows})
	if err != nil {
		t.w.do(func() { t.failed(ctx, err) })
		return
	}
	t.w.do(func() {
		t.client, t.shell = c, sh
		t.setStatus("")
		if c2, r2 := t.model.Size(); c2 != cols || r2 != rows {
			t.resized(c2, r2) // the widget was resized while connecting
		}
	})
	attachErr := terminal.Attach(ctx, t.model, sh)
	sh.Close()
	<-sh.Done()
	why := sh.Err()
	if errors.Is(attachErr, terminal.ErrEmulator) {
		why = attachErr // the emulator gave up on the output, not the shell
		t.w.log.Warn("terminal emulator failed", slog.String("instance", t.name), slog.Any("error", attachErr))
	} else if errors.Is(why, app.ErrShellLost) {
		select { // the connection is ending: its error says why
		case <-c.Done():
			why = c.Err()
		case <-ctx.Done():
		}
	}
	t.w.do(func() {
		t.client, t.shell = nil, nil
		if ctx.Err() == nil {
			t.ended(why)
		}
	})
}

// failed shows why a session could not start, in the terminal and the
// status line. A declined prompt is no error.
func (t *sshTab) failed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	if errors.Is(err, app.ErrSSHPromptDeclined) {
		t.ended(nil)
		return
	}
	ue := app.AsUserError(err)
	t.w.log.Warn("ssh session failed", slog.String("instance", t.name), slog.Any("error", err))
	msg := "\r\n\x1b[1;31m" + app.TerminalSafe(ue.What) + "\x1b[0m\r\n"
	if ue.Why != "" {
		msg += app.TerminalSafe(ue.Why) + "\r\n"
	}
	if ue.Fix != "" {
		msg += app.TerminalSafe(ue.Fix) + "\r\n"
	}
	_, _ = t.model.Write([]byte(msg))
	t.running = false
	t.setStatus(ue.What)
	t.reconnect.Show()
}

// ended shows that the session is over, and why when it failed.
func (t *sshTab) ended(why error) {
	t.running = false
	t.reconnect.Show()
	if ue := app.SessionEndedError(t.req.Instance.InstanceRef, t.req.Port, why); ue != nil {
		_, _ = t.model.Write([]byte("\r\n\x1b[1;31m" + app.TerminalSafe(ue.What) + ": " + app.TerminalSafe(ue.Why) + "\x1b[0m\r\n"))
		t.setStatus(ue.What + ": " + ue.Why)
		return
	}
	_, _ = t.model.Write([]byte("\r\n[session ended]\r\n"))
	t.setStatus("Session ended.")
}

// doReconnect starts a new session in the same terminal.
func (t *sshTab) doReconnect() {
	if t.running {
		return
	}
	_, _ = t.model.Write([]byte("\r\n"))
	t.start(true)
}

func (t *sshTab) setStatus(s string) {
	t.status.SetText(s)
	if s == "" {
		t.status.Hide()
	} else {
		t.status.Show()
	}
}

// resized tells the shell the terminal's new size (SSH window-change).
func (t *sshTab) resized(cols, rows int) {
	sh := t.shell
	if sh == nil {
		return
	}
	t.w.job("", func(context.Context) { _ = sh.Resize(cols, rows) })
}

// frame redraws the terminal if it changed and follows the connection's
// state and the program's title.
func (t *sshTab) frame() {
	if t.model.Changed() {
		t.term.Refresh()
	}
	if c := t.client; c != nil {
		if r := c.Reconnecting(); r != t.reconnecting {
			t.reconnecting = r
			if r {
				t.setStatus("Reconnecting… (the relay dropped; the tunnel resumes the session, nothing is lost)")
			} else {
				t.setStatus("")
			}
		}
	}
	title := t.name
	if pt := strings.TrimSpace(t.model.Title()); pt != "" {
		title = t.name + ": " + pt
	}
	if r := []rune(title); len(r) > 40 {
		title = string(r[:39]) + "…"
	}
	if t.bells.Load() > 0 && t.st.root.Selected() != t.item {
		title = "🔔 " + title
	}
	if title != t.shownTitle {
		t.shownTitle = title
		t.item.Text = title
		t.st.root.Refresh()
	}
}

// selected is called when the tab comes to the front: the bell mark goes
// and the terminal takes the keyboard.
func (t *sshTab) selected() {
	t.bells.Store(0)
	t.w.win.Canvas().Focus(t.term)
}

// close ends the session quietly: the shell is closed, the connection
// released (the tunnel goes with its last user); nothing is shown.
func (t *sshTab) close() {
	t.cancel()
	if t.files != nil {
		t.files.close()
	}
}

// toggleFiles shows or hides the SFTP pane beside the terminal.
func (t *sshTab) toggleFiles() {
	if t.split != nil {
		t.body.Objects = []fyne.CanvasObject{t.term}
		t.split = nil
		t.body.Refresh()
		return
	}
	if t.files == nil {
		t.files = newSFTPPane(t)
	}
	t.split = container.NewHSplit(t.term, t.files.root)
	t.split.Offset = 0.45
	t.body.Objects = []fyne.CanvasObject{t.split}
	t.body.Refresh()
	t.files.open()
}

// String names the tab for logs.
func (t *sshTab) String() string { return fmt.Sprintf("ssh tab %s", t.name) }
