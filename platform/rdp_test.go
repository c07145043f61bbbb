package platform

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func TestFreeRDPArgs(t *testing.T) {
	tests := []struct {
		name string
		spec RDPSpec
		want []string
	}{
		{
			name: "defaults",
			spec: RDPSpec{Port: 50123, Username: "alice", Password: "pw"},
			want: []string{"/v:127.0.0.1:50123", "/u:alice", "/from-stdin:force", "/cert:ignore", "/sound", "+clipboard"},
		},
		{
			name: "everything",
			spec: RDPSpec{
				Host: "127.0.0.1", Port: 3389, Username: "bob", Domain: "CORP", Password: "pw", Title: "win-1 (prod)",
				Options: RDPOptions{
					FullScreen: true, Width: 1920, Height: 1080, DynamicResolution: true, ColorDepth: 16,
					Audio: AudioRemote, NoClipboard: true, Cert: CertTOFU,
					Drives: []Drive{{Name: "home", Path: "/home/bob"}, {Name: "all", Path: "*"}},
				},
			},
			want: []string{"/v:127.0.0.1:3389", "/u:bob", "/d:CORP", "/from-stdin:force", "/t:win-1 (prod)", "/cert:tofu",
				"/f", "/size:1920x1080", "/dynamic-resolution", "/bpp:16", "/audio-mode:1", "-clipboard",
				"/drive:home,/home/bob", "+drives"},
		},
		{
			name: "ipv6 host, no audio, deny",
			spec: RDPSpec{Host: "::1", Port: 40000, Username: "c", Password: "pw", Options: RDPOptions{Audio: AudioOff, Cert: CertDeny}},
			want: []string{"/v:[::1]:40000", "/u:c", "/from-stdin:force", "/cert:deny", "/audio-mode:2", "+clipboard"},
		},
		{
			// A window of the desktop size, the remote desktop scaled to it
			// (the demo's: its RDP server shares the whole display).
			name: "scaled to the window",
			spec: RDPSpec{Port: 1, Username: "e", Options: RDPOptions{Width: 1024, Height: 640, ScaleToWindow: true}},
			want: []string{"/v:127.0.0.1:1", "/u:e", "/from-stdin:force", "/cert:ignore", "/size:1024x640", "/smart-sizing:1024x640", "/sound", "+clipboard"},
		},
		{
			name: "scaled, client's size",
			spec: RDPSpec{Port: 1, Username: "e", Options: RDPOptions{ScaleToWindow: true}},
			want: []string{"/v:127.0.0.1:1", "/u:e", "/from-stdin:force", "/cert:ignore", "/smart-sizing", "/sound", "+clipboard"},
		},
		{
			name: "pinned certificate",
			spec: RDPSpec{Port: 1, Username: "d", Options: RDPOptions{Cert: CertPin, CertFingerprint: "sha256:00ff11"}},
			want: []string{"/v:127.0.0.1:1", "/u:d", "/from-stdin:force", "/cert:fingerprint:sha256:00ff11", "/sound", "+clipboard"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FreeRDPArgs(tc.spec)
			if err != nil {
				t.Fatalf("FreeRDPArgs() error = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("FreeRDPArgs() =\n%q\nwant\n%q", got, tc.want)
			}
			for _, a := range got {
				if tc.spec.Password != "" && strings.Contains(a, string(tc.spec.Password)) && string(tc.spec.Password) != "pw" {
					t.Errorf("FreeRDPArgs() argument %q contains the password", a)
				}
			}
		})
	}
}

func TestFreeRDPArgsNeverHoldPassword(t *testing.T) {
	pw := Password("S3cret-Pässword'\"$(x)")
	got, err := FreeRDPArgs(RDPSpec{Port: 1, Username: "u", Password: pw, Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(got, " "); strings.Contains(s, string(pw)) {
		t.Errorf("FreeRDPArgs() = %q, contains the password", s)
	}
}

func TestRDPSpecValidate(t *testing.T) {
	ok := RDPSpec{Port: 3389, Username: "u"}
	tests := []struct {
		name   string
		change func(*RDPSpec)
	}{
		{"port zero", func(s *RDPSpec) { s.Port = 0 }},
		{"port too big", func(s *RDPSpec) { s.Port = 70000 }},
		{"no username", func(s *RDPSpec) { s.Username = "" }},
		{"newline in username", func(s *RDPSpec) { s.Username = "u\nfull address:s:evil" }},
		{"newline in domain", func(s *RDPSpec) { s.Domain = "D\r\n" }},
		{"control in title", func(s *RDPSpec) { s.Title = "a\x1bb" }},
		{"newline in password", func(s *RDPSpec) { s.Password = "a\nb" }},
		{"bad host", func(s *RDPSpec) { s.Host = "-oProxy" }},
		{"width without height", func(s *RDPSpec) { s.Options.Width = 800 }},
		{"huge size", func(s *RDPSpec) { s.Options.Width, s.Options.Height = 10000, 10000 }},
		{"colour depth", func(s *RDPSpec) { s.Options.ColorDepth = 12 }},
		{"audio", func(s *RDPSpec) { s.Options.Audio = 7 }},
		{"cert policy", func(s *RDPSpec) { s.Options.Cert = 9 }},
		{"pin without fingerprint", func(s *RDPSpec) { s.Options.Cert = CertPin }},
		{"drive name", func(s *RDPSpec) { s.Options.Drives = []Drive{{Name: "a,b", Path: "/x"}} }},
		{"drive relative", func(s *RDPSpec) { s.Options.Drives = []Drive{{Name: "a", Path: "x/y"}} }},
		{"drive comma", func(s *RDPSpec) { s.Options.Drives = []Drive{{Name: "a", Path: "/x,y"}} }},
	}
	if err := ok.validate(); err != nil {
		t.Fatalf("validate(%+v) = %v, want nil", ok, err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.change(&s)
			if _, err := FreeRDPArgs(s); err == nil {
				t.Errorf("FreeRDPArgs(%+v) error = nil, want an error", s)
			}
			if _, err := RDPFile(s); err == nil {
				t.Errorf("RDPFile(%+v) error = nil, want an error", s)
			}
		})
	}
}

func TestFreeRDPStdin(t *testing.T) {
	tests := []struct {
		pw      Password
		want    string
		wantErr error
	}{
		{"secret", "secret\n", nil},
		{"with space and 'quotes\"", "with space and 'quotes\"\n", nil},
		{"", "", ErrPasswordRequired},
		{Password(strings.Repeat("x", 511)), strings.Repeat("x", 511) + "\n", nil},
	}
	for _, tc := range tests {
		got, err := FreeRDPStdin(RDPSpec{Password: tc.pw})
		if !errors.Is(err, tc.wantErr) || string(got) != tc.want {
			t.Errorf("FreeRDPStdin(%d bytes) = %q, %v, want %q, %v", len(tc.pw), got, err, tc.want, tc.wantErr)
		}
	}
	if _, err := FreeRDPStdin(RDPSpec{Password: Password(strings.Repeat("x", 512))}); err == nil {
		t.Error("FreeRDPStdin(512 bytes) error = nil, want too long")
	}
}

func TestRDPSpecLogValue(t *testing.T) {
	var b strings.Builder
	log := slog.New(slog.NewTextHandler(&b, nil))
	spec := RDPSpec{Port: 1, Username: "u", Password: "hunter2"}
	log.Info("launch", slog.Any("spec", spec), slog.Any("pw", spec.Password))
	s := b.String() + fmt.Sprint(spec) + fmt.Sprintf("%v %+v %#v %s", spec, spec, spec, spec.Password)
	if strings.Contains(s, "hunter2") {
		t.Errorf("formatted spec leaks the password: %s", s)
	}
	if !strings.Contains(b.String(), "has_password=true") {
		t.Errorf("log = %s, want has_password=true", b.String())
	}
}
