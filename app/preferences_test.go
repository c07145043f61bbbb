package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"iapdesk/app"
	"iapdesk/auth"
	"iapdesk/auth/authtest"
	"iapdesk/platform/proxy"
)

// TestPreferencesStore: Settings → Access and network round-trip through
// preferences.json (0600), and the proxy password goes to the keyring,
// never into the file.
func TestPreferencesStore(t *testing.T) {
	dir := t.TempDir()
	keys := authtest.NewMemStore()
	s, err := app.NewPreferencesStore(dir, keys)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if p, pw, err := s.Load(ctx); err != nil || p != (app.Preferences{}) || pw != "" {
		t.Fatalf("Load() of nothing = %+v, %q, %v, want the defaults", p, pw, err)
	}
	want := app.Preferences{DeviceCertificate: auth.CertificateOff, Proxy: app.ProxyPreferences{Mode: proxy.ModeManual,
		Address: "proxy.corp:3128", NoProxy: ".corp", Username: "alice"}}
	if err := s.Save(ctx, want, "s3cret-proxy-pw"); err != nil {
		t.Fatal(err)
	}
	p, pw, err := s.Load(ctx)
	if err != nil || p != want || pw != "s3cret-proxy-pw" {
		t.Fatalf("Load() = %+v, %q, %v, want %+v and the password", p, pw, err, want)
	}
	path := filepath.Join(dir, app.PreferencesFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "s3cret-proxy-pw") {
		t.Errorf("%s holds the proxy password:\n%s", path, b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode = %v, %v, want 0600", path, fi.Mode().Perm(), err)
	}
	if v, err := keys.Get(ctx, "proxy-password:alice"); err != nil || v != "s3cret-proxy-pw" {
		t.Errorf("keyring proxy-password:alice = %q, %v", v, err)
	}
	bad := want
	bad.Proxy.Address = "socks5://s:1080"
	if err := s.Save(ctx, bad, ""); err == nil {
		t.Errorf("Save(socks proxy) = nil, want an error")
	}
}

// TestPOSIXUsernameWorkforce: a workforce principal's SSH user comes from
// its IdP subject, as a Google account's from its email.
func TestPOSIXUsernameWorkforce(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"principal://iam.googleapis.com/locations/global/workforcePools/corp/subject/Alice.Smith@corp.example", "alice_smith"},
		{"alice@example.com", "alice"},
	} {
		if got := app.POSIXUsername(tc.in); got != tc.want {
			t.Errorf("POSIXUsername(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
