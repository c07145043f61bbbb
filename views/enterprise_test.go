package views

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"iapdesk/app"
	"iapdesk/auth"
	"iapdesk/platform/proxy"
)

// TestAccessForm: Settings → Access and network shows the preferences and
// gives them back as edited; only the proxy fields of the chosen mode are
// editable.
func TestAccessForm(t *testing.T) {
	test.NewTempApp(t)
	in := app.Preferences{DeviceCertificate: auth.CertificateOn, Proxy: app.ProxyPreferences{Mode: proxy.ModePAC,
		PACURL: "https://wpad.corp/proxy.pac", Username: "alice"}}
	f := newAccessForm(in, "pw")
	if got, pw := f.values(); got != in || pw != "pw" {
		t.Fatalf("values() = %+v, %q, want %+v, pw", got, pw, in)
	}
	if !f.address.Disabled() || f.pac.Disabled() {
		t.Errorf("PAC mode: address disabled = %v, PAC disabled = %v, want true, false", f.address.Disabled(), f.pac.Disabled())
	}
	f.mode.SetSelected(proxyChoices[1])
	test.Type(f.address, "proxy.corp:3128")
	f.cert.SetSelected("Automatic")
	got, _ := f.values()
	if got.Proxy.Mode != proxy.ModeManual || got.Proxy.Address != "proxy.corp:3128" || got.DeviceCertificate != auth.CertificateAuto {
		t.Errorf("values() after edits = %+v", got)
	}
	if f.address.Disabled() || !f.pac.Disabled() {
		t.Errorf("manual mode: address disabled = %v, PAC disabled = %v, want false, true", f.address.Disabled(), f.pac.Disabled())
	}
}

// TestStatusBarDeviceCertificate: the status bar says when connections use
// the device certificate.
func TestStatusBarDeviceCertificate(t *testing.T) {
	test.NewTempApp(t)
	s := newStatusBar(func() {})
	used := false
	for _, tc := range []struct {
		n    NetworkInfo
		used bool
		want string
	}{
		{NetworkInfo{}, false, ""},
		{NetworkInfo{DeviceCertificate: "workload certificate"}, false, "Device certificate ready"},
		{NetworkInfo{DeviceCertificate: "workload certificate", CertificateUsed: func() bool { return used }}, true, "Device certificate in use"},
	} {
		used = tc.used
		s.setNetwork(tc.n)
		if s.network.Text != tc.want || s.network.Visible() != (tc.want != "") {
			t.Errorf("setNetwork(%+v) shows %q (visible %v), want %q", tc.n, s.network.Text, s.network.Visible(), tc.want)
		}
	}
}
