package views

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// signInScreen replaces the explorer when there are no usable credentials:
// a button that signs in through the browser, the reason it is shown, and
// a Cancel while the browser is open. UI thread only.
type signInScreen struct {
	w       *Window
	button  *widget.Button
	cancel  *widget.Button
	problem *fyne.Container // the error that brought the screen up, or the failed sign-in
	address *fyne.Container // the sign-in address, for when no browser opens
	stop    context.CancelFunc
	root    fyne.CanvasObject
}

func newSignInScreen(w *Window) *signInScreen {
	s := &signInScreen{w: w, problem: container.NewVBox(), address: container.NewVBox()}
	s.button = widget.NewButtonWithIcon("Sign in with Google", theme.LoginIcon(), s.signIn)
	s.button.Importance = widget.HighImportance
	s.cancel = widget.NewButton("Cancel", func() {
		if s.stop != nil {
			s.stop()
		}
	})
	s.cancel.Hide()
	logo := canvas.NewImageFromResource(iconApp)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(96, 96))
	title := widget.NewLabelWithStyle("Sign in to Google Cloud", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	intro := widget.NewLabel("iapdesk lists your VMs and opens IAP tunnels with your Google account. " +
		"Sign-in happens in your browser; iapdesk keeps the sign-in in your system keyring.")
	intro.Wrapping = fyne.TextWrapWord
	intro.Alignment = fyne.TextAlignCenter
	card := container.NewVBox(logo, title, intro, container.NewCenter(container.NewHBox(s.button, s.cancel)), s.address, s.problem)
	s.root = container.NewCenter(container.NewGridWrap(fyne.NewSize(460, 420), card))
	return s
}

// reason shows why the screen came up (nil: no reason to show).
func (s *signInScreen) reason(err error) {
	s.problem.RemoveAll()
	if err != nil {
		s.problem.Add(userErrorView(err, s.w.copyText))
	}
	s.problem.Refresh()
}

// showURL offers the sign-in address to open by hand.
func (s *signInScreen) showURL(url string) {
	hint := widget.NewLabel("If no browser opened, open this address in a browser on this computer:")
	hint.Wrapping = fyne.TextWrapWord
	e := widget.NewEntry()
	e.SetText(url)
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { s.w.cfg.App.Clipboard().SetContent(url) })
	s.address.Objects = []fyne.CanvasObject{hint, container.NewBorder(nil, nil, nil, copyBtn, e)}
	s.address.Refresh()
}

// signIn runs the browser sign-in, then starts the window's services.
func (s *signInScreen) signIn() {
	if s.w.cfg.Accounts == nil {
		return
	}
	ctx, cancel := context.WithCancel(s.w.ctx)
	s.stop = cancel
	s.button.Disable()
	s.cancel.Show()
	s.reason(nil)
	s.address.RemoveAll()
	s.w.job("Waiting for the browser sign-in", func(context.Context) {
		defer cancel()
		_, err := s.w.cfg.Accounts.SignIn(ctx, "")
		s.w.do(func() {
			s.button.Enable()
			s.cancel.Hide()
			s.address.RemoveAll()
			if err != nil {
				if s.w.ctx.Err() == nil {
					s.reason(err)
				}
				return
			}
			s.w.start()
		})
	})
}

// showAccountMenu lists the signed-in accounts (a tick on the active one),
// and offers another sign-in and sign-out.
func (w *Window) showAccountMenu() {
	if w.cfg.Accounts == nil {
		return
	}
	accts := w.cfg.Accounts
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(w.status.account)
	w.run("Reading accounts", func(ctx context.Context) error {
		list, err := accts.List(ctx)
		if err != nil {
			return err
		}
		w.do(func() {
			var items []*fyne.MenuItem
			for _, a := range list {
				email := a.Email
				it := fyne.NewMenuItem(email, func() {
					w.run("Switching to "+email, func(ctx context.Context) error {
						if err := accts.Switch(ctx, email); err != nil {
							return err
						}
						w.do(w.restart)
						return nil
					})
				})
				it.Checked = a.Active
				items = append(items, it)
			}
			if len(items) > 0 {
				items = append(items, fyne.NewMenuItemSeparator())
			}
			items = append(items,
				fyne.NewMenuItemWithIcon("Sign in with another account…", theme.LoginIcon(), func() {
					w.showSignIn(nil)
					w.signin.signIn()
				}),
				fyne.NewMenuItemWithIcon("Sign out", theme.LogoutIcon(), func() {
					w.run("Signing out", func(ctx context.Context) error {
						if _, err := accts.SignOut(ctx, ""); err != nil {
							return err
						}
						w.do(w.restart)
						return nil
					})
				}),
			)
			// Above the status bar's account button.
			pm := widget.NewPopUpMenu(fyne.NewMenu("", items...), w.win.Canvas())
			pm.ShowAtPosition(at.SubtractXY(0, pm.MinSize().Height))
		})
		return nil
	})
}
