package views

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/auth"
	"iapdesk/platform/proxy"
)

// PreferencesEditor reads and writes Settings → Access and Settings →
// Network (app-wide: the device certificate and the proxy, its password in
// the keyring). *app.PreferencesStore implements it.
type PreferencesEditor interface {
	Load(ctx context.Context) (app.Preferences, string, error)
	Save(ctx context.Context, p app.Preferences, proxyPassword string) error
}

var _ PreferencesEditor = (*app.PreferencesStore)(nil)

// NetworkInfo says how the services reach Google, for the status bar.
type NetworkInfo struct {
	// DeviceCertificate describes the device certificate offered, "" for
	// none.
	DeviceCertificate string
	// CertificateUsed reports whether the last relay connection presented
	// it (tunnel.Dialer.ClientCertificateUsed); nil: never.
	CertificateUsed func() bool
	// Proxy describes the proxy setting in force.
	Proxy string
}

// Choices of the settings, as shown.
var (
	certificateChoices = []string{"Automatic", "On", "Off"}
	proxyChoices       = []string{"System settings", "Manual proxy", "Proxy auto-config (PAC) file", "No proxy"}
)

func certificateChoice(m auth.CertificateMode) string {
	switch m {
	case auth.CertificateOn:
		return "On"
	case auth.CertificateOff:
		return "Off"
	}
	return "Automatic"
}

func certificateMode(choice string) auth.CertificateMode {
	switch choice {
	case "On":
		return auth.CertificateOn
	case "Off":
		return auth.CertificateOff
	}
	return auth.CertificateAuto
}

func proxyChoice(m proxy.Mode) string {
	switch m {
	case proxy.ModeManual:
		return proxyChoices[1]
	case proxy.ModePAC:
		return proxyChoices[2]
	case proxy.ModeDirect:
		return proxyChoices[3]
	}
	return proxyChoices[0]
}

func proxyMode(choice string) proxy.Mode {
	switch choice {
	case proxyChoices[1]:
		return proxy.ModeManual
	case proxyChoices[2]:
		return proxy.ModePAC
	case proxyChoices[3]:
		return proxy.ModeDirect
	}
	return proxy.ModeSystem
}

// accessForm is Settings → Access and Settings → Network. UI thread only.
type accessForm struct {
	cert                  *widget.Select
	mode                  *widget.Select
	address, pac, noProxy *widget.Entry
	username              *widget.Entry
	password              *widget.Entry
	form                  *widget.Form
}

func newAccessForm(p app.Preferences, password string) *accessForm {
	f := &accessForm{
		cert:     widget.NewSelect(certificateChoices, nil),
		mode:     widget.NewSelect(proxyChoices, nil),
		address:  widget.NewEntry(),
		pac:      widget.NewEntry(),
		noProxy:  widget.NewEntry(),
		username: widget.NewEntry(),
		password: widget.NewPasswordEntry(),
	}
	f.cert.SetSelected(certificateChoice(p.DeviceCertificate))
	f.address.SetPlaceHolder("proxy.example.com:3128")
	f.address.SetText(p.Proxy.Address)
	f.pac.SetPlaceHolder("https://wpad.example.com/proxy.pac")
	f.pac.SetText(p.Proxy.PACURL)
	f.noProxy.SetPlaceHolder(".example.com, 10.0.0.0/8")
	f.noProxy.SetText(p.Proxy.NoProxy)
	f.username.SetText(p.Proxy.Username)
	f.password.SetText(password)
	f.form = widget.NewForm(
		widget.NewFormItem("Use my device certificate", f.cert),
		widget.NewFormItem("Proxy", f.mode),
		widget.NewFormItem("Proxy address", f.address),
		widget.NewFormItem("Not through the proxy", f.noProxy),
		widget.NewFormItem("PAC file", f.pac),
		widget.NewFormItem("Proxy user", f.username),
		widget.NewFormItem("Proxy password", f.password),
	)
	f.form.Items[0].HintText = "Automatic: when this device is enrolled (certificate_config.json, Endpoint Verification)"
	f.form.Items[5].HintText = "Basic authentication; the password is kept in the keyring"
	f.mode.OnChanged = func(string) { f.enable() }
	f.mode.SetSelected(proxyChoice(p.Proxy.Mode))
	return f
}

// enable enables the fields the proxy choice uses.
func (f *accessForm) enable() {
	m := proxyMode(f.mode.Selected)
	set := func(e *widget.Entry, on bool) {
		if on {
			e.Enable()
		} else {
			e.Disable()
		}
	}
	set(f.address, m == proxy.ModeManual)
	set(f.noProxy, m == proxy.ModeManual)
	set(f.pac, m == proxy.ModePAC)
	set(f.username, m != proxy.ModeDirect)
	set(f.password, m != proxy.ModeDirect)
}

// values are the preferences and password the form holds.
func (f *accessForm) values() (app.Preferences, string) {
	p := app.Preferences{DeviceCertificate: certificateMode(f.cert.Selected), Proxy: app.ProxyPreferences{
		Mode: proxyMode(f.mode.Selected), Address: f.address.Text, PACURL: f.pac.Text, NoProxy: f.noProxy.Text,
		Username: f.username.Text}}
	return p, f.password.Text
}

// showAccessSettings opens Settings → Access and network; Save writes the
// preferences and restarts the services so the relay and the APIs use
// them.
func (w *Window) showAccessSettings() {
	ed := w.cfg.Preferences
	if ed == nil {
		return
	}
	w.job("Reading settings", func(ctx context.Context) {
		p, pw, err := ed.Load(ctx)
		w.do(func() {
			if err != nil {
				w.showError(err)
				return
			}
			f := newAccessForm(p, pw)
			d := dialog.NewCustomConfirm("Access and network", "Save", "Cancel", container.NewVScroll(f.form), func(ok bool) {
				if !ok {
					return
				}
				np, npw := f.values()
				w.job("Saving settings", func(ctx context.Context) {
					err := ed.Save(ctx, np, npw)
					w.do(func() {
						if err != nil {
							w.showError(err)
							return
						}
						w.restart() // the relay and the APIs pick the new settings up
					})
				})
			}, w.win)
			d.Resize(fyne.NewSize(560, 460))
			d.Show()
		})
	})
}

// setNetwork shows in the status bar whether connections use the device
// certificate. UI thread only.
func (s *statusBar) setNetwork(n NetworkInfo) {
	switch {
	case n.DeviceCertificate == "":
		s.network.SetText("")
		s.network.Hide()
	case n.CertificateUsed != nil && n.CertificateUsed():
		s.network.SetText("Device certificate in use")
		s.network.Show()
	default:
		s.network.SetText("Device certificate ready")
		s.network.Show()
	}
}
