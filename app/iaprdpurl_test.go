package app_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"iapdesk/app"
	"iapdesk/app/settings"
	"iapdesk/platform"
)

func TestParseIAPRDPURL(t *testing.T) {
	ref := app.InstanceRef{Project: "my-project", Zone: "us-central1-a", Name: "my-instance"}
	tests := []struct {
		name        string
		in          string
		wantRef     app.InstanceRef
		wantPort    int
		want        map[string]string // settings set by the link
		wantIgnored []string          // prefixes of Ignored entries
	}{
		{"triple slash", "iap-rdp:///my-project/us-central1-a/my-instance", ref, 0, nil, nil},
		{"single slash", "iap-rdp:/my-project/us-central1-a/my-instance", ref, 0, nil, nil},
		{"scheme case", "IaP-Rdp:///my-project/us-central1-a/my-instance", ref, 0, nil, nil},
		{"spaces around", "  iap-rdp:///my-project/us-central1-a/my-instance\n", ref, 0, nil, nil},
		{"domain-scoped project and numeric VM id", "iap-rdp:///example.com:my-project/europe-west1-b/4567890123456789012",
			app.InstanceRef{Project: "example.com:my-project", Zone: "europe-west1-b", Name: "4567890123456789012"}, 0, nil, nil},
		{"username and domain, case-insensitive names", "iap-rdp:///my-project/us-central1-a/my-instance?userNAME=John%20Doe&Domain=%20%20mydomain&",
			ref, 0, map[string]string{"rdp.username": "John Doe", "rdp.domain": "  mydomain"}, nil},
		{"password is never taken", "iap-rdp:///my-project/us-central1-a/my-instance?username=a&PassworD=ignore",
			ref, 0, map[string]string{"rdp.username": "a"}, []string{"PassworD: passwords are never taken"}},
		{"IAP Desktop settings", "iap-rdp:///my-project/us-central1-a/my-instance?ConnectionBar=1&DesktopSize=1&AuthenticationLevel=0&ColorDepth=2&AudioMode=2&RedirectClipboard=0&RdpRedirectDrive=1&Rdpport=13389",
			ref, 13389, map[string]string{"rdp.connectionBar": "pinned", "rdp.fullScreen": "true", "rdp.dynamicResolution": "false",
				"rdp.certificate": "tofu", "rdp.colorDepth": "32", "rdp.audio": "off", "rdp.clipboard": "false", "rdp.redirectDrives": "true"}, nil},
		{"Rdp-prefixed aliases", "iap-rdp:///my-project/us-central1-a/my-instance?RdpDesktopSize=2&RdpAuthenticationLevel=3&RdpColorDepth=0&RdpAudioMode=1",
			ref, 0, map[string]string{"rdp.fullScreen": "false", "rdp.dynamicResolution": "true", "rdp.certificate": "ignore",
				"rdp.colorDepth": "16", "rdp.audio": "remote"}, nil},
		{"nonsense ignored", "iap-rdp:///my-project/us-central1-a/my-instance?a=b&user=wrongcase&_",
			ref, 0, nil, []string{"_: unknown", "a: unknown", "user: unknown"}},
		{"out of range ignored", "iap-rdp:///my-project/us-central1-a/my-instance?ConnectionBar=-1&DesktopSize=a&AuthenticationLevel=null&ColorDepth=&AudioMode=9999&RedirectClipboard=b&RedirectClipboard=c&RdpPort=0",
			ref, 0, nil, []string{"AudioMode: value", "AuthenticationLevel: value", "ColorDepth: value", "ConnectionBar: value",
				"DesktopSize: value", "RdpPort: value", "RedirectClipboard: given more than once"}},
		{"unsupported IAP Desktop settings", "iap-rdp:///my-project/us-central1-a/my-instance?NetworkLevelAuthentication=0&CredentialGenerationBehavior=0",
			ref, 0, nil, []string{"CredentialGenerationBehavior: not supported", "NetworkLevelAuthentication: not supported"}},
		{"bad escape in query", "iap-rdp:///my-project/us-central1-a/my-instance?username=%zz&domain=D",
			ref, 0, map[string]string{"rdp.domain": "D"}, []string{`part of the query is malformed and was skipped: invalid URL escape "%zz"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := app.ParseIAPRDPURL(tc.in)
			if err != nil {
				t.Fatalf("ParseIAPRDPURL(%q) = %v", tc.in, err)
			}
			if u.Instance != tc.wantRef || u.Port != tc.wantPort {
				t.Errorf("ParseIAPRDPURL(%q) = %v port %d, want %v port %d", tc.in, u.Instance, u.Port, tc.wantRef, tc.wantPort)
			}
			for _, f := range settings.Fields() {
				got, set, _ := u.Settings.FieldValue(f.Key)
				want, wantSet := tc.want[f.Key]
				if set != wantSet || got != want {
					t.Errorf("ParseIAPRDPURL(%q) %s = %q (set %v), want %q (set %v)", tc.in, f.Key, got, set, want, wantSet)
				}
			}
			if len(u.Ignored) != len(tc.wantIgnored) {
				t.Fatalf("ParseIAPRDPURL(%q).Ignored = %q, want %d entries like %q", tc.in, u.Ignored, len(tc.wantIgnored), tc.wantIgnored)
			}
			ignored := slices.Sorted(slices.Values(u.Ignored))
			for i, prefix := range tc.wantIgnored {
				if !strings.HasPrefix(ignored[i], prefix) {
					t.Errorf("ParseIAPRDPURL(%q).Ignored[%d] = %q, want prefix %q", tc.in, i, ignored[i], prefix)
				}
			}
		})
	}
}

func TestParseIAPRDPURLErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "empty"},
		{"::", "does not start with iap-rdp:"},
		{"http://www/", "does not start with iap-rdp:"},
		{"iap-rdp://host/my-project/us-central1-a/my-instance", `host part must be empty (iap-rdp:/// has three slashes), not "host"`},
		{"iap-rdp:my-project/us-central1-a/my-instance", "must start with /"},
		{"iap-rdp:///my-project/us-central1-a/my-instance/baz", "is not /PROJECT/ZONE/VM"},
		{"iap-rdp:///my-project/us-central1-a", "is not /PROJECT/ZONE/VM"},
		{"iap-rdp:///__/us-central1-a/my-instance", `"__" is not a valid project ID`},
		{"iap-rdp:///my-project/__/my-instance", `"__" is not a valid zone`},
		{"iap-rdp:///my-project/us-central1-a/__", `"__" is not a valid VM name`},
		{"iap-rdp:///My-Project/us-central1-a/vm", "not a valid project ID"},
		{"iap-rdp:///my-project/us-central1-a/vm#frag", "fragment"},
		{"iap-rdp:///my-project/us-central1-a/my vm", "spaces"},
		{"iap-rdp:///my-project/us-central1-a/vm?username=a\x00", "control characters"},
		{"iap-rdp:///" + strings.Repeat("a", 9000), "characters long"},
	}
	for _, tc := range tests {
		_, err := app.ParseIAPRDPURL(tc.in)
		var ue *app.UserError
		if !errors.Is(err, app.ErrInvalidURL) || !errors.As(err, &ue) {
			t.Errorf("ParseIAPRDPURL(%.60q) = %v, want a *UserError wrapping ErrInvalidURL", tc.in, err)
			continue
		}
		if !strings.Contains(ue.Why, tc.want) || !strings.Contains(ue.Fix, "iap-rdp:///my-project/us-central1-a/my-vm") {
			t.Errorf("ParseIAPRDPURL(%.60q) = {Why: %q, Fix: %q}, want Why to contain %q and Fix an example", tc.in, ue.Why, ue.Fix, tc.want)
		}
	}
}

func TestIAPRDPURLString(t *testing.T) {
	in := "iap-rdp:///project-1/us-central1-a/instance-1?Username=Tom+%26+Jerry%3F&Domain=%22%3F%22&ConnectionBar=2&DesktopSize=1&AuthenticationLevel=1&ColorDepth=1&AudioMode=1&RedirectClipboard=0&RdpPort=3390"
	u, err := app.ParseIAPRDPURL(in)
	if err != nil {
		t.Fatal(err)
	}
	if u.Settings.RDP.Username.Value() != "Tom & Jerry?" || u.Settings.RDP.Domain.Value() != `"?"` {
		t.Errorf("decoded username/domain = %q/%q", u.Settings.RDP.Username.Value(), u.Settings.RDP.Domain.Value())
	}
	back, err := app.ParseIAPRDPURL(u.String())
	if err != nil {
		t.Fatalf("ParseIAPRDPURL(%q) = %v", u.String(), err)
	}
	if back.Instance != u.Instance || back.Port != u.Port || back.Settings != u.Settings || len(back.Ignored) != 0 {
		t.Errorf("ParseIAPRDPURL(String()) = %+v, want %+v", back, u)
	}
	if got := (app.IAPRDPURL{Instance: u.Instance}).String(); got != "iap-rdp:///project-1/us-central1-a/instance-1" {
		t.Errorf("String() without settings = %q", got)
	}
}

func TestIsIAPRDPURL(t *testing.T) {
	for in, want := range map[string]bool{
		"iap-rdp:///p/z/i": true, "IAP-RDP:/p/z/i": true, " iap-rdp:x": true,
		"tunnel": false, "iap-rdp": false, "https://example.com": false, "--iap-rdp:": false,
	} {
		if got := app.IsIAPRDPURL(in); got != want {
			t.Errorf("IsIAPRDPURL(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestNamesAgree: a VM an iap-rdp link may name is one ssh's ProxyCommand
// accepts too (before package gcename, a link with a project number or a
// numeric VM ID parsed, then failed in platform); and a project the
// explorer may remember is one whose settings may be saved.
func TestNamesAgree(t *testing.T) {
	for _, link := range []string{
		"iap-rdp:///my-project/us-central1-a/my-vm",
		"iap-rdp:///123456789012/us-central1-a/my-vm",
		"iap-rdp:///example.com:my-project/europe-west1-b/4567890123456789012",
	} {
		u, err := app.ParseIAPRDPURL(link)
		if err != nil {
			t.Fatalf("ParseIAPRDPURL(%q) = %v", link, err)
		}
		tc := platform.TunnelCommand{Executable: "/usr/bin/iapdesk", Instance: u.Instance.Name, Project: u.Instance.Project, Zone: u.Instance.Zone}
		if _, err := platform.ProxyCommandLine("linux", tc); err != nil {
			t.Errorf("ProxyCommandLine(%s) = %v, want the VM the link names accepted", link, err)
		}
	}
	for _, id := range []string{"my-project", "example.com:my-project", "acme-prod-web"} {
		if err := app.ValidateProjectID(id); err != nil {
			t.Fatalf("ValidateProjectID(%q) = %v", id, err)
		}
		if err := settings.ProjectScope(id).Validate(); err != nil {
			t.Errorf("ProjectScope(%q).Validate() = %v, want a remembered project's settings savable", id, err)
		}
	}
}
