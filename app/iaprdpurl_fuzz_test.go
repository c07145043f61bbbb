package app_test

import (
	"errors"
	"testing"

	"iapdesk/app"
)

// maxFuzzURLLen is a little over the parser's 8 KiB limit on a link, so
// that limit is still exercised.
const maxFuzzURLLen = 8<<10 + 64

// FuzzParseIAPRDPURL feeds the link parser arbitrary strings (links come
// from web pages and chat): it must not panic, every error must be a
// *UserError wrapping ErrInvalidURL, and an accepted link must format and
// parse back to the same VM, port and settings. The committed corpus
// (testdata/fuzz/FuzzParseIAPRDPURL) holds real links of IAP Desktop's forms.
func FuzzParseIAPRDPURL(f *testing.F) {
	for _, s := range []string{
		"iap-rdp:///my-project/us-central1-a/my-instance",
		"iap-rdp:/example.com:my-project/europe-west1-b/4567890123456789012",
		"iap-rdp:///p-1/z/i?username=John%20Doe&Domain=%20%20d&ConnectionBar=1&DesktopSize=2&AuthenticationLevel=0&ColorDepth=2&AudioMode=2&RedirectClipboard=0&RdpPort=13389",
		"iap-rdp:///p/z/i?Password=x&a=b&_&ColorDepth=9&ColorDepth=1",
		"iap-rdp://host/p/z/i",
		"iap-rdp:p/z/i",
		"IAP-RDP:///p/z/i?username=%zz",
		"iap-rdp:///p/z/i#x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > maxFuzzURLLen {
			return // refused by length alone, whatever it holds
		}
		u, err := app.ParseIAPRDPURL(s)
		if err != nil {
			var ue *app.UserError
			if !errors.Is(err, app.ErrInvalidURL) || !errors.As(err, &ue) {
				t.Fatalf("ParseIAPRDPURL(%q) = %v, want a *UserError wrapping ErrInvalidURL", s, err)
			}
			return
		}
		if err := u.Settings.Validate(); err != nil {
			t.Fatalf("ParseIAPRDPURL(%q) settings invalid: %v", s, err)
		}
		back, err := app.ParseIAPRDPURL(u.String())
		if err != nil {
			t.Fatalf("ParseIAPRDPURL(%q) = %v; String() of %q", u.String(), err, s)
		}
		if back.Instance != u.Instance || back.Port != u.Port || back.Settings != u.Settings || len(back.Ignored) != 0 {
			t.Fatalf("round trip of %q:\n got %+v\nwant %+v", s, back, u)
		}
	})
}
