package views

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/platform"
)

// connectTarget is what a connection's saved settings and password belong
// to: a VM, or a saved profile of it.
type connectTarget struct {
	ref       app.InstanceRef
	profileID string // "" for a plain connection to the VM
}

// secret is the keyring key of the target's RDP password.
func (t connectTarget) secret() app.SecretKey {
	if t.profileID != "" {
		return app.ProfileSecret(t.profileID)
	}
	return app.InstanceSecret(t.ref)
}

// connect opens a tunnel to inst and starts the client for proto (RDP for
// Windows and SSH for Linux with ProtocolAuto), with client for
// ProtocolApp. The request comes from the VM's inherited settings and the
// keyring (Profiles.InstanceRequest). UI thread.
func (w *Window) connect(inst app.Instance, proto app.Protocol, port int, client *platform.App) {
	svc := w.svc
	if svc == nil {
		return
	}
	w.run("Connecting to "+inst.Name, func(ctx context.Context) error {
		req := app.Request{Instance: inst, Protocol: proto, Port: port, SSH: svc.SSH}
		if svc.Profiles != nil {
			var err error
			if req, err = svc.Profiles.InstanceRequest(ctx, inst, proto, port); err != nil {
				return err
			}
		}
		if client != nil {
			req.App = *client
		}
		return w.dial(ctx, svc, req, connectTarget{ref: inst.InstanceRef})
	})
}

// connectProfile connects with a saved profile (Profiles.Request). UI
// thread.
func (w *Window) connectProfile(p app.Profile) {
	svc := w.svc
	if svc == nil || svc.Profiles == nil {
		return
	}
	inv := svc.Explorer.Unfiltered()
	w.run("Connecting to "+p.Name, func(ctx context.Context) error {
		req, err := svc.Profiles.Request(ctx, p.ID, inv)
		if err != nil {
			return err
		}
		return w.dial(ctx, svc, req, connectTarget{ref: p.Target.InstanceRef(), profileID: p.ID})
	})
}

// dial prepares SSH (publishing the key), connects, and asks for RDP
// credentials when app needs them. Off the UI thread.
func (w *Window) dial(ctx context.Context, svc *Services, req app.Request, target connectTarget) error {
	if isSSH(req) {
		var err error
		if req, err = w.prepareSSH(ctx, svc, req, target); err != nil {
			return err
		}
	}
	s, err := svc.Connector.Connect(ctx, req)
	if errors.Is(err, app.ErrCredentialsRequired) {
		w.log.Info("rdp credentials needed", slog.String("instance", req.Instance.Name))
		w.do(func() { w.askRDPCredentials(svc, req, target, err) })
		return nil
	}
	if err != nil {
		return err
	}
	if s.Request.Protocol == app.ProtocolTunnel {
		w.do(func() { w.showTunnelOpen(s) })
	}
	return nil
}

// isSSH reports whether req starts ssh.
func isSSH(req app.Request) bool {
	return req.Protocol == app.ProtocolSSH || req.Protocol == app.ProtocolAuto && req.Instance.OS != app.OSWindows
}

// prepareSSH completes an SSH request: known_hosts and host key checking
// from the defaults, then iapdesk's key published to the VM for the signed-in
// account (app.SSHPublisher), or the default user and key when nothing is
// published.
func (w *Window) prepareSSH(ctx context.Context, svc *Services, req app.Request, target connectTarget) (app.Request, error) {
	d := svc.SSH
	req.SSH.KnownHostsFile = cmp.Or(req.SSH.KnownHostsFile, d.KnownHostsFile)
	req.SSH.StrictHostKeyChecking = cmp.Or(req.SSH.StrictHostKeyChecking, d.StrictHostKeyChecking)
	if req.SSH.Options == nil {
		req.SSH.Options = d.Options
	}
	account := svc.Credentials.Account
	if svc.SSHPublisher == nil || svc.SSHKeys == nil || account == "" {
		req.SSH.Username = cmp.Or(req.SSH.Username, d.Username)
		req.SSH.KeyFile = cmp.Or(req.SSH.KeyFile, d.KeyFile)
		return req, nil
	}
	keyType := app.SSHKeyEd25519
	if svc.Profiles != nil {
		layers, err := svc.Profiles.Layers(ctx, req.Instance.InstanceRef, target.profileID)
		if err != nil {
			return req, err
		}
		keyType = app.SSHKeyType(app.Resolve(layers...).Settings.SSH.KeyType.Value())
	}
	return svc.SSHPublisher.PrepareRequest(ctx, svc.SSHKeys, account, keyType, req)
}

// askRDPCredentials asks for the Windows user name, domain and password of
// one connection, then connects with them; with "Save password" ticked the
// password goes to the keyring and the user name and domain to the settings
// of the VM or profile, so the next connection needs no dialog.
func (w *Window) askRDPCredentials(svc *Services, req app.Request, target connectTarget, cause error) {
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
	var save *widget.Check
	if svc.Passwords != nil && svc.Profiles != nil {
		label := "Save the password in the keyring for this VM"
		if target.profileID != "" {
			label = "Save the password in the keyring for this saved connection"
		}
		save = widget.NewCheck(label, nil)
		items = append(items, widget.NewFormItem("", save))
	}
	d := dialog.NewForm(ue.What, "Connect", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		next := req
		next.RDP.Username, next.RDP.Domain, next.RDP.Password = user.Text, domain.Text, platform.Password(password.Text)
		remember := save != nil && save.Checked
		w.run("Connecting to "+req.Instance.Name, func(ctx context.Context) error {
			if remember {
				if err := w.saveRDPCredentials(ctx, svc, target, req.RDP, next.RDP); err != nil {
					return err
				}
			}
			return w.dial(ctx, svc, next, target)
		})
	}, w.win)
	for _, e := range []*widget.Entry{user, domain, password} {
		e.OnSubmitted = func(string) { d.Submit() } // Enter connects
	}
	d.Resize(fyne.NewSize(460, 300))
	d.Show()
	w.win.Canvas().Focus(user)
}

// saveRDPCredentials keeps the password under the target's keyring key and,
// where they differ from what the settings gave (was), the user name and
// domain in the target's settings level.
func (w *Window) saveRDPCredentials(ctx context.Context, svc *Services, target connectTarget, was, typed app.RDPParams) error {
	if typed.Username != was.Username || typed.Domain != was.Domain {
		set := func(s *app.Settings) {
			s.RDP.Username = app.Some(typed.Username)
			if typed.Domain != was.Domain {
				s.RDP.Domain = app.Some(typed.Domain)
			}
		}
		var err error
		if target.profileID != "" {
			var p app.Profile
			if p, err = svc.Profiles.Get(ctx, target.profileID); err == nil {
				set(&p.Settings)
				err = svc.Profiles.Update(ctx, p)
			}
		} else {
			var layers []app.Layer
			if layers, err = svc.Profiles.Layers(ctx, target.ref, ""); err == nil {
				s := levelSettings(layers, app.SourceInstance)
				set(&s)
				err = svc.Profiles.SaveSettings(ctx, app.InstanceScope(target.ref), s)
			}
		}
		if err = w.notice(err); err != nil {
			return err
		}
	}
	return svc.Passwords.SetRDPPassword(ctx, target.secret(), typed.Password)
}

// levelSettings returns the settings of the level src among layers.
func levelSettings(layers []app.Layer, src app.Source) app.Settings {
	for _, l := range layers {
		if l.Source == src {
			return l.Settings
		}
	}
	return app.Settings{}
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
