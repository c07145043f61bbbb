package views

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/app/settings"
	"iapdesk/platform"
)

// connect opens a tunnel to inst and starts the client for proto (RDP for
// Windows and SSH for Linux with ProtocolAuto), with client for
// ProtocolApp. The connector completes the request from the VM's inherited
// settings and the keyring, publishes the SSH key and asks for missing RDP
// credentials with the window's dialog (app.Connector). UI thread.
func (w *Window) connect(inst app.Instance, proto app.Protocol, port int, client *platform.App) {
	req := app.Request{Instance: inst, Protocol: proto, Port: port}
	if client != nil {
		req.App = *client
	}
	w.dial("Connecting to "+inst.Name, req)
}

// connectProfile connects with a saved profile: its target, protocol, port,
// settings and password. The VM comes from the explorer when it is loaded
// there; otherwise the connector reads it. UI thread.
func (w *Window) connectProfile(p app.Profile) {
	svc := w.svc
	if svc == nil {
		return
	}
	req := app.Request{ProfileID: p.ID}
	if in, ok := svc.Explorer.Unfiltered().Instance(p.Target.InstanceRef()); ok && !p.Target.OnPrem() {
		req.Instance = *in
	}
	w.dial("Connecting to "+p.Name, req)
}

// dial connects off the UI thread and shows where a tunnel-only
// connection listens. A credentials dialog the user cancelled is no error.
// UI thread.
func (w *Window) dial(what string, req app.Request) {
	svc := w.svc
	if svc == nil {
		return
	}
	req.CanEmbed = svc.SSH != nil
	w.run(what, func(ctx context.Context) error {
		s, err := svc.Connector.Connect(ctx, req, credentialDialog{w})
		if errors.Is(err, errPromptCancelled) {
			return nil
		}
		if err != nil {
			return err
		}
		if s.Embedded { // ssh.client=embedded: a terminal tab
			w.do(func() { w.sessions.openSSH(s.Request) })
			return nil
		}
		if s.Request.Protocol == app.ProtocolTunnel {
			w.do(func() { w.showTunnelOpen(s) })
		}
		return nil
	})
}

// errPromptCancelled is the credentials dialog's Cancel.
var errPromptCancelled = fmt.Errorf("credentials dialog cancelled: %w", app.ErrCredentialsRequired)

// credentialDialog is the window's app.CredentialPrompter.
type credentialDialog struct{ w *Window }

var _ app.CredentialPrompter = credentialDialog{}

// RDPCredentials shows a dialog on the UI thread asking for the Windows
// user name, domain and password of one connection, and whether to save
// them ("Save the password" when p.CanSave). It waits for the answer off
// the UI thread, or until ctx ends (the window closing), and returns
// errPromptCancelled for Cancel.
func (c credentialDialog) RDPCredentials(ctx context.Context, p app.CredentialPrompt) (app.RDPParams, bool, error) {
	w := c.w
	w.log.Info("rdp credentials needed", slog.String("instance", p.Instance.Name))
	type answer struct {
		creds app.RDPParams
		save  bool
		ok    bool
	}
	answers := make(chan answer, 1) // the dialog's callback never blocks
	// The job counts as waiting for the user from when the dialog is
	// shown (on the UI thread: counted any earlier, a test settling the
	// window could see the job waiting before the dialog exists) until it
	// is answered or ctx ends. state: 0 not shown yet, 1 shown, 2 over.
	var state atomic.Int32
	w.do(func() {
		if !state.CompareAndSwap(0, 1) {
			return // ctx ended first: nothing to ask
		}
		w.prompting.Add(1)
		w.askRDPCredentials(p, func(creds app.RDPParams, save, ok bool) {
			if state.CompareAndSwap(1, 2) {
				w.prompting.Add(-1)
			}
			answers <- answer{creds, save, ok}
		})
	})
	select {
	case a := <-answers:
		if !a.ok {
			return app.RDPParams{}, false, errPromptCancelled
		}
		return a.creds, a.save, nil
	case <-ctx.Done():
		if state.Swap(2) == 1 {
			w.prompting.Add(-1)
		}
		return app.RDPParams{}, false, ctx.Err()
	}
}

// askRDPCredentials shows the credentials dialog for p and calls answer
// once, on the UI thread, with what the user typed (ok false for Cancel).
func (w *Window) askRDPCredentials(p app.CredentialPrompt, answer func(creds app.RDPParams, save, ok bool)) {
	user := widget.NewEntry()
	user.SetText(p.Suggested.Username)
	user.Validator = func(s string) error {
		if s == "" {
			return errors.New("enter the Windows user name")
		}
		return nil
	}
	domain := widget.NewEntry()
	domain.SetText(p.Suggested.Domain)
	domain.SetPlaceHolder("optional")
	password := widget.NewPasswordEntry()
	items := []*widget.FormItem{
		widget.NewFormItem("User name", user),
		widget.NewFormItem("Domain", domain),
		widget.NewFormItem("Password", password),
	}
	var save *widget.Check
	if p.CanSave {
		label := "Save the password in the keyring for this VM"
		if p.ProfileID != "" {
			label = "Save the password in the keyring for this saved connection"
		}
		save = widget.NewCheck(label, nil)
		items = append(items, widget.NewFormItem("", save))
	}
	title := "Credentials for " + p.Instance.Name
	if p.Reason != nil {
		title = p.Reason.What
	}
	d := dialog.NewForm(title, "Connect", "Cancel", items, func(ok bool) {
		creds := p.Suggested
		creds.Username, creds.Domain, creds.Password = user.Text, domain.Text, platform.Password(password.Text)
		answer(creds, save != nil && save.Checked, ok)
	}, w.win)
	for _, e := range []*widget.Entry{user, domain, password} {
		e.OnSubmitted = func(string) { d.Submit() } // Enter connects
	}
	d.Resize(fyne.NewSize(460, 300))
	d.Show()
	w.win.Canvas().Focus(user)
}

// levelSettings returns the settings of the level src among layers.
func levelSettings(layers []settings.Layer, src settings.Source) settings.Settings {
	for _, l := range layers {
		if l.Source == src {
			return l.Settings
		}
	}
	return settings.Settings{}
}

// notice shows an error that reports a change saved after a damaged file
// was moved aside (app.ErrConfigCorrupt) and returns nil for it; any other
// error is returned as is. Off the UI thread.
func (w *Window) notice(err error) error {
	if errors.Is(err, app.ErrConfigCorrupt) {
		w.do(func() { w.showError(err) })
		return nil
	}
	return err
}

// showTunnelOpen tells where a tunnel-only connection listens, and copies
// the address.
func (w *Window) showTunnelOpen(s *app.Session) {
	addr := s.Tunnel.LocalAddr
	w.cfg.App.Clipboard().SetContent(addr)
	msg := widget.NewLabel(fmt.Sprintf("Port %d of %s is forwarded to this address (copied to the clipboard). "+
		"It stays open until you close it in the Tunnels panel.", s.Request.Port, s.Request.Instance.Name))
	msg.Wrapping = fyne.TextWrapWord
	a := widget.NewEntry()
	a.SetText(addr)
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { w.cfg.App.Clipboard().SetContent(addr) })
	d := dialog.NewCustom("Tunnel open", "Close", container.NewVBox(msg, container.NewBorder(nil, nil, nil, copyBtn, a)), w.win)
	d.Resize(fyne.NewSize(460, 200))
	d.Show()
}

// sessionFailed shows why a client exited with an error.
func (w *Window) sessionFailed(s *app.Session) {
	if w.ctx.Err() != nil {
		return
	}
	w.showError(app.ConnectError(s.Request.Instance.InstanceRef, s.Request.Port, s.Err()))
}
