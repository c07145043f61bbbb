package views

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/platform"
)

// connect opens a tunnel to inst and starts the client for proto (RDP for
// Windows and SSH for Linux with ProtocolAuto). An RDP connection without
// credentials asks for them and tries again. UI thread.
func (w *Window) connect(inst app.Instance, proto app.Protocol, port int, rdp *app.RDPParams, client *platform.App) {
	svc := w.svc
	if svc == nil {
		return
	}
	req := app.Request{Instance: inst, Protocol: proto, Port: port, SSH: svc.SSH}
	if rdp != nil {
		req.RDP = *rdp
	}
	if client != nil {
		req.App = *client
	}
	w.run("Connecting to "+inst.Name, func(ctx context.Context) error {
		s, err := svc.Connector.Connect(ctx, req)
		if errors.Is(err, app.ErrCredentialsRequired) {
			w.do(func() { w.askRDPCredentials(inst, req, err) })
			return nil
		}
		if err != nil {
			return err
		}
		if s.Request.Protocol == app.ProtocolTunnel {
			w.do(func() { w.showTunnelOpen(s) })
		}
		return nil
	})
}

// askRDPCredentials asks for the Windows user name, domain and password of
// one connection, then connects with them. (Saving them in the keyring is
// the settings' job.)
func (w *Window) askRDPCredentials(inst app.Instance, req app.Request, cause error) {
	user := widget.NewEntry()
	user.SetText(req.RDP.Username)
	user.Validator = func(s string) error {
		if s == "" {
			return errors.New("enter the Windows user name")
		}
		return nil
	}
	domain := widget.NewEntry()
	domain.SetText(req.RDP.Domain)
	domain.SetPlaceHolder("optional")
	password := widget.NewPasswordEntry()
	ue := app.AsUserError(cause)
	items := []*widget.FormItem{
		widget.NewFormItem("User name", user),
		widget.NewFormItem("Domain", domain),
		widget.NewFormItem("Password", password),
	}
	d := dialog.NewForm(ue.What, "Connect", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		rdp := req.RDP
		rdp.Username, rdp.Domain, rdp.Password = user.Text, domain.Text, platform.Password(password.Text)
		w.connect(inst, req.Protocol, req.Port, &rdp, nil)
	}, w.win)
	for _, e := range []*widget.Entry{user, domain, password} {
		e.OnSubmitted = func(string) { d.Submit() } // Enter connects
	}
	d.Resize(fyne.NewSize(420, 260))
	d.Show()
	w.win.Canvas().Focus(user)
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
