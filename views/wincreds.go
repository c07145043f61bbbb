package views

import (
	"cmp"
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/app/settings"
)

// showGenerateCredentials is "Generate Windows credentials…" on a Windows
// VM (profileID "") or on a saved RDP connection: ask for the user name,
// pre-filled with the rdp.username the connection resolves to (inherited
// from its project, zone, VM or profile), else the local user's; generate
// the password through the VM's guest agent while showing progress
// (cancellable), then show the password once. UI thread.
func (w *Window) showGenerateCredentials(ref app.InstanceRef, profileID string) {
	svc := w.svc
	if svc == nil || svc.WindowsCredentials == nil {
		return
	}
	if svc.Profiles == nil {
		w.askGenerateCredentials(svc, ref, profileID, app.LocalUsername())
		return
	}
	w.run("Reading the settings of "+ref.Name, func(ctx context.Context) error {
		layers, err := svc.Profiles.Layers(ctx, ref, profileID)
		if err != nil {
			return err
		}
		user := cmp.Or(settings.Resolve(layers...).Settings.RDP.Username.Value(), app.LocalUsername())
		w.do(func() { w.askGenerateCredentials(svc, ref, profileID, user) })
		return nil
	})
}

// askGenerateCredentials asks for the user name, pre-filled with username.
func (w *Window) askGenerateCredentials(svc *Services, ref app.InstanceRef, profileID, username string) {
	user := widget.NewEntry()
	user.SetText(username)
	user.Validator = func(s string) error {
		if err := app.ValidateWindowsUsername(s, ref.Name); err != nil {
			return errors.New(capitalise(app.AsUserError(err).Why))
		}
		return nil
	}
	note := widget.NewLabel("iapdesk asks the VM's guest agent to create this local account, or to reset its password if it exists " +
		"(it becomes an administrator). This takes up to a minute.")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	items := []*widget.FormItem{widget.NewFormItem("User name", user), widget.NewFormItem("", note)}
	d := dialog.NewForm("Generate Windows credentials for "+ref.Name, "Generate", "Cancel", items, func(ok bool) {
		if ok {
			w.generateCredentials(svc, app.WindowsCredentialRequest{Instance: ref, Username: user.Text, Email: svc.Credentials.Account}, profileID)
		}
	}, w.win)
	user.OnSubmitted = func(string) { d.Submit() }
	d.Resize(fyne.NewSize(480, 260))
	d.Show()
	w.win.Canvas().Focus(user)
}

// generateCredentials runs the generation in an owned job with a progress
// dialog whose Cancel stops it, then shows the result or app's error.
func (w *Window) generateCredentials(svc *Services, req app.WindowsCredentialRequest, profileID string) {
	ctx, cancel := context.WithCancel(w.ctx)
	msg := widget.NewLabel("Waiting for the guest agent of " + req.Instance.Name + " to set the password of " + req.Username + "…")
	msg.Wrapping = fyne.TextWrapWord
	stop := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), cancel)
	progress := dialog.NewCustomWithoutButtons("Generating Windows credentials",
		container.NewVBox(msg, widget.NewProgressBarInfinite()), w.win)
	progress.SetButtons([]fyne.CanvasObject{stop}) // where every dialog has its buttons
	progress.Resize(fyne.NewSize(440, 180))
	progress.Show()
	w.job("Generating Windows credentials for "+req.Instance.Name, func(context.Context) {
		defer cancel()
		wc, err := svc.WindowsCredentials.Generate(ctx, req)
		cancelled := ctx.Err() != nil
		w.do(func() {
			progress.Hide()
			switch {
			case w.ctx.Err() != nil:
			case err != nil && !cancelled:
				w.showError(err)
			case err == nil:
				w.showPassword(svc, wc, profileID)
			}
		})
	})
}

// showPassword shows a generated password, once: with Copy, and a box that
// saves it (and the user name) for the VM or the saved connection when the
// dialog closes. Nothing else keeps it.
func (w *Window) showPassword(svc *Services, wc app.WindowsCredentials, profileID string) {
	password := widget.NewLabelWithStyle(string(wc.Password), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	password.Selectable = true
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		w.cfg.App.Clipboard().SetContent(string(wc.Password))
	})
	where := "this VM"
	if profileID != "" {
		where = "this saved connection"
	}
	save := widget.NewCheck("Save in the keyring for "+where, nil)
	save.SetChecked(svc.Profiles != nil)
	if svc.Profiles == nil {
		save.Hide()
	}
	warn := widget.NewLabel("This password is shown only once. Copy it, or save it in the keyring, before closing.")
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.WarningImportance
	grid := container.New(layout.NewFormLayout(),
		widget.NewLabel("User name"), widget.NewLabelWithStyle(wc.Username, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}),
		widget.NewLabel("Password"), container.NewBorder(nil, nil, nil, copyBtn, password))
	d := dialog.NewCustom("Windows credentials for "+wc.Instance.Name, "Close", container.NewVBox(grid, save, warn), w.win)
	d.SetOnClosed(func() {
		if !save.Checked || svc.Profiles == nil {
			return
		}
		w.run("Saving the credentials of "+wc.Instance.Name, func(ctx context.Context) error {
			return w.notice(svc.Profiles.SaveWindowsCredentials(ctx, profileID, wc))
		})
	})
	d.Resize(fyne.NewSize(480, 240))
	d.Show()
}
