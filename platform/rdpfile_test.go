package platform

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestRDPFile(t *testing.T) {
	tests := []struct {
		name string
		spec RDPSpec
		want []string
	}{
		{
			name: "defaults",
			spec: RDPSpec{Port: 50123, Username: "alice", Password: "never-in-file"},
			want: []string{
				"full address:s:127.0.0.1:50123", "username:s:alice", "prompt for credentials:i:0",
				"enablecredsspsupport:i:1", "negotiate security layer:i:1", "authentication level:i:0",
				"screen mode id:i:1", "dynamic resolution:i:0", "audiomode:i:0", "redirectclipboard:i:1",
				"autoreconnection enabled:i:1",
			},
		},
		{
			name: "everything",
			spec: RDPSpec{
				Port: 3389, Username: "bob", Domain: "CORP", Title: "x",
				Options: RDPOptions{
					FullScreen: true, Width: 1280, Height: 720, DynamicResolution: true, ColorDepth: 24,
					Audio: AudioOff, NoClipboard: true, Cert: CertDeny,
					Drives: []Drive{{Name: "c", Path: `C:\`}, {Name: "d", Path: `D:\data`}},
				},
			},
			want: []string{
				"full address:s:127.0.0.1:3389", "username:s:bob", "domain:s:CORP", "prompt for credentials:i:0",
				"enablecredsspsupport:i:1", "negotiate security layer:i:1", "authentication level:i:1",
				"screen mode id:i:2", "desktopwidth:i:1280", "desktopheight:i:720", "dynamic resolution:i:1",
				"session bpp:i:24", "audiomode:i:2", "redirectclipboard:i:0", `drivestoredirect:s:C:\;D:\data`,
				"autoreconnection enabled:i:1",
			},
		},
		{
			name: "all drives, tofu warns, remote audio",
			spec: RDPSpec{Port: 1, Username: "c", Options: RDPOptions{Cert: CertTOFU, Audio: AudioRemote,
				Drives: []Drive{{Name: "h", Path: "/home/c"}, {Name: "all", Path: "*"}}}},
			want: []string{
				"full address:s:127.0.0.1:1", "username:s:c", "prompt for credentials:i:0",
				"enablecredsspsupport:i:1", "negotiate security layer:i:1", "authentication level:i:2",
				"screen mode id:i:1", "dynamic resolution:i:0", "audiomode:i:1", "redirectclipboard:i:1",
				"drivestoredirect:s:*", "autoreconnection enabled:i:1",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RDPFile(tc.spec)
			if err != nil {
				t.Fatalf("RDPFile() error = %v", err)
			}
			want := strings.Join(tc.want, "\r\n") + "\r\n"
			if got != want {
				t.Errorf("RDPFile() =\n%s\nwant\n%s", got, want)
			}
			if strings.Contains(strings.ToLower(got), "password") {
				t.Errorf("RDPFile() mentions a password:\n%s", got)
			}
		})
	}
}

func TestRemminaProfile(t *testing.T) {
	tests := []struct {
		name string
		spec RDPSpec
		want string
	}{
		{
			name: "defaults",
			spec: RDPSpec{Port: 50123, Username: "alice", Password: "never-in-file", Title: "win-1"},
			want: "[remmina]\nname=win-1\ngroup=iapdesk\nprotocol=RDP\nserver=127.0.0.1:50123\nusername=alice\n" +
				"domain=\npassword=\ncolordepth=99\nresolution_mode=2\nviewmode=1\nsound=local\n" +
				"disableclipboard=0\ncert_ignore=1\n",
		},
		{
			name: "everything",
			spec: RDPSpec{
				Port: 3389, Username: `bob`, Domain: `CO\RP`,
				Options: RDPOptions{
					FullScreen: true, Width: 1280, Height: 720, ColorDepth: 16, Audio: AudioOff,
					NoClipboard: true, Cert: CertTOFU, Drives: []Drive{{Name: "all", Path: "*"}, {Name: "h", Path: "/home/ bob"}},
				},
			},
			want: "[remmina]\nname=127.0.0.1:3389\ngroup=iapdesk\nprotocol=RDP\nserver=127.0.0.1:3389\nusername=bob\n" +
				"domain=CO\\\\RP\npassword=\ncolordepth=16\nresolution_mode=0\nresolution_width=1280\n" +
				"resolution_height=720\nviewmode=4\nsound=off\ndisableclipboard=1\nsharefolder=/home/ bob\ncert_ignore=0\n",
		},
		{
			name: "leading space kept",
			spec: RDPSpec{Port: 1, Username: "u", Title: " padded"},
			want: "[remmina]\nname=\\spadded\ngroup=iapdesk\nprotocol=RDP\nserver=127.0.0.1:1\nusername=u\n" +
				"domain=\npassword=\ncolordepth=99\nresolution_mode=2\nviewmode=1\nsound=local\n" +
				"disableclipboard=0\ncert_ignore=1\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RemminaProfile(tc.spec)
			if err != nil {
				t.Fatalf("RemminaProfile() error = %v", err)
			}
			if got != tc.want {
				t.Errorf("RemminaProfile() =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func decodeUTF16File(t *testing.T, b []byte) string {
	t.Helper()
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xFE || len(b)%2 != 0 {
		t.Fatalf("file does not start with a UTF-16LE BOM: % x", b[:min(len(b), 8)])
	}
	u := make([]uint16, 0, len(b)/2-1)
	for i := 2; i < len(b); i += 2 {
		u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
	}
	return string(utf16.Decode(u))
}

func TestRDPPlan(t *testing.T) {
	spec := RDPSpec{Port: 50123, Username: "alice", Domain: "CORP", Password: "pw-1", Title: "win 1/é"}
	linux := map[string]string{"xfreerdp": "/usr/bin/xfreerdp", "remmina": "/usr/bin/remmina"}
	tests := []struct {
		name      string
		goos      string
		sys       fakeSystem
		cfg       Config
		spec      RDPSpec
		wantArgv  []string
		wantStdin string
		wantFile  string // pattern
		wantCred  *credential
		detached  bool
		prompts   bool
	}{
		{
			name: "linux freerdp", goos: "linux", spec: spec,
			sys:       fakeSystem{programs: linux},
			wantArgv:  []string{"/usr/bin/xfreerdp", "/v:127.0.0.1:50123", "/u:alice", "/d:CORP", "/from-stdin:force", "/t:win 1/é", "/cert:ignore", "/sound", "+clipboard"},
			wantStdin: "pw-1\n",
		},
		{
			name: "linux freerdp3 first", goos: "linux", spec: spec,
			sys:       fakeSystem{programs: map[string]string{"xfreerdp": "/usr/bin/xfreerdp", "xfreerdp3": "/usr/bin/xfreerdp3"}},
			wantArgv:  []string{"/usr/bin/xfreerdp3", "/v:127.0.0.1:50123", "/u:alice", "/d:CORP", "/from-stdin:force", "/t:win 1/é", "/cert:ignore", "/sound", "+clipboard"},
			wantStdin: "pw-1\n",
		},
		{
			name: "linux remmina chosen", goos: "linux", spec: spec, cfg: Config{RDPClient: "remmina"},
			sys:      fakeSystem{programs: linux},
			wantArgv: []string{"/usr/bin/remmina", "-c", fileArg}, wantFile: "win_1-*.remmina", detached: true, prompts: true,
		},
		{
			name: "linux no password falls back to remmina", goos: "linux", spec: RDPSpec{Port: 1, Username: "u"},
			sys:      fakeSystem{programs: linux},
			wantArgv: []string{"/usr/bin/remmina", "-c", fileArg}, wantFile: "iapdesk-*.remmina", detached: true, prompts: true,
		},
		{
			name: "linux only remmina", goos: "linux", spec: spec,
			sys:      fakeSystem{programs: map[string]string{"remmina": "/usr/bin/remmina"}},
			wantArgv: []string{"/usr/bin/remmina", "-c", fileArg}, wantFile: "win_1-*.remmina", detached: true, prompts: true,
		},
		{
			name: "windows mstsc", goos: "windows", spec: spec,
			sys:      fakeSystem{programs: map[string]string{"mstsc": `C:\Windows\System32\mstsc.exe`}},
			wantArgv: []string{`C:\Windows\System32\mstsc.exe`, fileArg}, wantFile: "win_1-*.rdp",
			wantCred: &credential{target: "TERMSRV/127.0.0.1", user: `CORP\alice`, password: "pw-1"},
		},
		{
			name: "windows without password prompts", goos: "windows", spec: RDPSpec{Host: "127.0.0.2", Port: 1, Username: "u"},
			sys:      fakeSystem{programs: map[string]string{"mstsc": `C:\Windows\System32\mstsc.exe`}},
			wantArgv: []string{`C:\Windows\System32\mstsc.exe`, fileArg}, wantFile: "iapdesk-*.rdp", prompts: true,
		},
		{
			name: "macos windows app", goos: "darwin", spec: spec,
			sys: fakeSystem{programs: map[string]string{"open": "/usr/bin/open"},
				apps: []string{"/Applications/Windows App.app", "/Applications/Microsoft Remote Desktop.app"}},
			wantArgv: []string{"/usr/bin/open", "-W", "-a", "/Applications/Windows App.app", fileArg}, wantFile: "win_1-*.rdp", prompts: true,
		},
		{
			name: "macos old client in home", goos: "darwin", spec: spec,
			sys: fakeSystem{programs: map[string]string{"open": "/usr/bin/open"}, env: []string{"HOME=/Users/me"},
				apps: []string{"/Users/me/Applications/Microsoft Remote Desktop.app"}},
			wantArgv: []string{"/usr/bin/open", "-W", "-a", "/Users/me/Applications/Microsoft Remote Desktop.app", fileArg}, wantFile: "win_1-*.rdp", prompts: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newFakeLauncher(t, tc.sys, tc.cfg)
			p, err := l.buildPlan(tc.goos, tc.spec)
			if err != nil {
				t.Fatalf("buildPlan(%s) error = %v", tc.goos, err)
			}
			if !reflect.DeepEqual(p.argv, tc.wantArgv) {
				t.Errorf("argv = %q, want %q", p.argv, tc.wantArgv)
			}
			if string(p.stdin) != tc.wantStdin {
				t.Errorf("stdin = %q, want %q", p.stdin, tc.wantStdin)
			}
			if !reflect.DeepEqual(p.cred, tc.wantCred) {
				t.Errorf("credential = %+v, want %+v", p.cred, tc.wantCred)
			}
			if p.detached != tc.detached || p.prompts != tc.prompts {
				t.Errorf("detached, prompts = %v, %v, want %v, %v", p.detached, p.prompts, tc.detached, tc.prompts)
			}
			if tc.wantFile == "" {
				if len(p.files) != 0 {
					t.Errorf("files = %d, want none", len(p.files))
				}
				return
			}
			if len(p.files) != 1 || p.files[0].pattern != tc.wantFile {
				var got []string
				for _, f := range p.files {
					got = append(got, f.pattern)
				}
				t.Fatalf("files = %q, want one %q", got, tc.wantFile)
			}
			content := string(p.files[0].content)
			var want string
			switch {
			case strings.HasSuffix(tc.wantFile, ".remmina"):
				want, _ = RemminaProfile(tc.spec)
			case tc.goos == "windows":
				content = decodeUTF16File(t, p.files[0].content)
				want, _ = RDPFile(tc.spec)
			default:
				want, _ = RDPFile(tc.spec)
			}
			if content != want {
				t.Errorf("file content =\n%s\nwant\n%s", content, want)
			}
			if tc.spec.Password != "" && strings.Contains(content, string(tc.spec.Password)) {
				t.Errorf("file content holds the password")
			}
		})
	}
}

func TestRDPPlanErrors(t *testing.T) {
	spec := RDPSpec{Port: 1, Username: "u", Password: "p"}
	t.Run("linux nothing installed", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{}, Config{}).buildPlan("linux", spec)
		wantNotFound(t, err, "xfreerdp", "freerdp2-x11 (or remmina)")
	})
	t.Run("linux freerdp insisted", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{programs: map[string]string{"remmina": "/r"}}, Config{RDPClient: "freerdp"}).buildPlan("linux", spec)
		wantNotFound(t, err, "xfreerdp", "freerdp2-x11")
	})
	t.Run("linux remmina insisted", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{programs: map[string]string{"xfreerdp": "/x"}}, Config{RDPClient: "remmina"}).buildPlan("linux", spec)
		wantNotFound(t, err, "remmina", "remmina")
	})
	t.Run("linux freerdp without password", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{programs: map[string]string{"xfreerdp": "/x"}}, Config{}).buildPlan("linux", RDPSpec{Port: 1, Username: "u"})
		if !errors.Is(err, ErrPasswordRequired) {
			t.Fatalf("buildPlan() = %v, want ErrPasswordRequired", err)
		}
	})
	t.Run("macos no app", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{programs: map[string]string{"open": "/usr/bin/open"}}, Config{}).buildPlan("darwin", spec)
		wantNotFound(t, err, "Windows App", "Windows App from the App Store")
	})
	t.Run("windows no mstsc", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{}, Config{}).buildPlan("windows", spec)
		wantNotFound(t, err, "mstsc", "Remote Desktop Connection (mstsc.exe), which is part of Windows")
	})
	t.Run("unsupported os", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{}, Config{}).buildPlan("plan9", spec)
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("buildPlan(plan9) = %v, want errors.ErrUnsupported", err)
		}
	})
	t.Run("bad config", func(t *testing.T) {
		if _, err := New(Config{RDPClient: "rdesktop"}); err == nil {
			t.Fatal(`New(RDPClient "rdesktop") error = nil`)
		}
	})
}

func TestFileStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"win-1", "win-1"},
		{"", "iapdesk"},
		{"../../etc/passwd", "etc_passwd"},
		{"a b*c", "a_b_c"},
		{strings.Repeat("x", 60), strings.Repeat("x", 40)},
	}
	for _, tc := range tests {
		if got := fileStem(tc.in); got != tc.want {
			t.Errorf("fileStem(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
