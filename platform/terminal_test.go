package platform

import (
	"reflect"
	"strings"
	"testing"
)

func TestTerminalArgv(t *testing.T) {
	cmd := []string{"/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}
	tests := []struct {
		term     Terminal
		want     []string
		detached bool
	}{
		{Terminal{"xterm", "/usr/bin/xterm"}, []string{"/usr/bin/xterm", "-T", "vm 1", "-e", "/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}, false},
		{Terminal{"gnome-terminal", "/usr/bin/gnome-terminal"}, []string{"/usr/bin/gnome-terminal", "--wait", "--title", "vm 1", "--", "/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}, false},
		{Terminal{"konsole", "/usr/bin/konsole"}, []string{"/usr/bin/konsole", "--nofork", "-p", "tabtitle=vm 1", "-e", "/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}, false},
		{Terminal{"xfce4-terminal", "/usr/bin/xfce4-terminal"}, []string{"/usr/bin/xfce4-terminal", "--disable-server", "--title", "vm 1", "-x", "/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}, false},
		{Terminal{"alacritty", "/usr/bin/alacritty"}, []string{"/usr/bin/alacritty", "--title", "vm 1", "-e", "/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}, false},
		{Terminal{"kitty", "/usr/bin/kitty"}, []string{"/usr/bin/kitty", "--title", "vm 1", "/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}, false},
		{Terminal{"wezterm", "/usr/bin/wezterm"}, []string{"/usr/bin/wezterm", "start", "--always-new-process", "--", "/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}, false},
		{Terminal{"foot", "/usr/bin/foot"}, []string{"/usr/bin/foot", "--title", "vm 1", "/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}, false},
		{Terminal{"generic", "/usr/bin/x-terminal-emulator"}, []string{"/usr/bin/x-terminal-emulator", "-e", "/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}, false},
		{Terminal{"terminal", "/usr/bin/osascript"}, []string{"/usr/bin/osascript",
			"-e", `tell application "Terminal"`,
			"-e", `	activate`,
			"-e", `	set t to do script "exec /usr/bin/ssh -p 50022 alice@127.0.0.1 'echo '\\''hi'\\''; ls'"`,
			"-e", `	set custom title of t to "vm 1"`,
			"-e", `end tell`}, true},
		{Terminal{"iterm2", "/usr/bin/osascript"}, []string{"/usr/bin/osascript",
			"-e", `tell application "iTerm"`,
			"-e", `	activate`,
			"-e", `	set w to (create window with default profile command "/usr/bin/ssh -p 50022 alice@127.0.0.1 'echo '\\''hi'\\''; ls'")`,
			"-e", `	tell current session of w to set name to "vm 1"`,
			"-e", `end tell`}, true},
		{Terminal{"wt", `C:\Users\a\AppData\Local\Microsoft\WindowsApps\wt.exe`}, []string{`C:\Users\a\AppData\Local\Microsoft\WindowsApps\wt.exe`,
			"new-tab", "--title", "vm 1", "--", "/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", `echo 'hi'\; ls`}, true},
		{Terminal{"console", ""}, []string{"/usr/bin/ssh", "-p", "50022", "alice@127.0.0.1", "echo 'hi'; ls"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.term.Kind, func(t *testing.T) {
			got, detached, err := TerminalArgv(tc.term, "vm 1", cmd)
			if err != nil {
				t.Fatalf("TerminalArgv() error = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) || detached != tc.detached {
				t.Errorf("TerminalArgv(%s) =\n%q, %v\nwant\n%q, %v", tc.term.Kind, got, detached, tc.want, tc.detached)
			}
		})
	}
	for _, bad := range []struct {
		name string
		term Terminal
		cmd  []string
	}{
		{"unknown kind", Terminal{"hyper", "/x"}, cmd},
		{"empty command", Terminal{"xterm", "/x"}, nil},
		{"option as program", Terminal{"kitty", "/x"}, []string{"--config=/tmp/evil"}},
		{"newline", Terminal{"terminal", "/x"}, []string{"ssh", "a\nb"}},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if got, _, err := TerminalArgv(bad.term, "t", bad.cmd); err == nil {
				t.Errorf("TerminalArgv(%v, %q) = %q, want an error", bad.term, bad.cmd, got)
			}
		})
	}
}

func TestAppleScript(t *testing.T) {
	got, err := AppleScript("terminal", `say "hi" \ there`, []string{"/usr/bin/ssh", `a"b\c`, "$(rm -rf ~)"})
	if err != nil {
		t.Fatal(err)
	}
	want := `tell application "Terminal"
	activate
	set t to do script "exec /usr/bin/ssh 'a\"b\\c' '$(rm -rf ~)'"
	set custom title of t to "say \"hi\" \\ there"
end tell`
	if got != want {
		t.Errorf("AppleScript() =\n%s\nwant\n%s", got, want)
	}
	if _, err := AppleScript("hyper", "t", []string{"x"}); err == nil {
		t.Error("AppleScript(hyper) error = nil")
	}
}

func TestFindTerminal(t *testing.T) {
	tests := []struct {
		name string
		goos string
		sys  fakeSystem
		cfg  Config
		want Terminal
	}{
		{
			name: "TERMINAL wins", goos: "linux",
			sys: fakeSystem{programs: map[string]string{"kitty": "/usr/bin/kitty", "xterm": "/usr/bin/xterm", "x-terminal-emulator": "/usr/bin/x-terminal-emulator"},
				env: []string{"TERMINAL=kitty"}},
			want: Terminal{"kitty", "/usr/bin/kitty"},
		},
		{
			name: "TERMINAL of unknown kind is generic", goos: "linux",
			sys:  fakeSystem{programs: map[string]string{"st": "/usr/local/bin/st"}, env: []string{"TERMINAL=st"}},
			want: Terminal{"generic", "/usr/local/bin/st"},
		},
		{
			name: "TERMINAL missing falls through", goos: "linux",
			sys:  fakeSystem{programs: map[string]string{"xterm": "/usr/bin/xterm"}, env: []string{"TERMINAL=nosuch"}},
			want: Terminal{"xterm", "/usr/bin/xterm"},
		},
		{
			name: "x-terminal-emulator resolved to lxterm", goos: "linux",
			sys: fakeSystem{
				programs: map[string]string{"x-terminal-emulator": "/usr/bin/x-terminal-emulator", "xterm": "/usr/bin/xterm", "gnome-terminal": "/usr/bin/gnome-terminal"},
				links:    map[string]string{"/usr/bin/x-terminal-emulator": "/usr/bin/lxterm"},
				env:      []string{"TERMINAL="},
			},
			want: Terminal{"xterm", "/usr/bin/xterm"},
		},
		{
			name: "x-terminal-emulator resolved to gnome wrapper", goos: "linux",
			sys: fakeSystem{
				programs: map[string]string{"x-terminal-emulator": "/usr/bin/x-terminal-emulator", "gnome-terminal": "/usr/bin/gnome-terminal"},
				links:    map[string]string{"/usr/bin/x-terminal-emulator": "/usr/bin/gnome-terminal.wrapper"},
				env:      []string{"TERMINAL="},
			},
			want: Terminal{"gnome-terminal", "/usr/bin/gnome-terminal"},
		},
		{
			name: "x-terminal-emulator of unknown kind", goos: "linux",
			sys: fakeSystem{
				programs: map[string]string{"x-terminal-emulator": "/usr/bin/x-terminal-emulator"},
				links:    map[string]string{"/usr/bin/x-terminal-emulator": "/usr/bin/sakura"},
				env:      []string{"TERMINAL="},
			},
			want: Terminal{"generic", "/usr/bin/x-terminal-emulator"},
		},
		{
			name: "search order", goos: "linux",
			sys:  fakeSystem{programs: map[string]string{"xterm": "/usr/bin/xterm", "foot": "/usr/bin/foot", "konsole": "/usr/bin/konsole"}, env: []string{"TERMINAL="}},
			want: Terminal{"konsole", "/usr/bin/konsole"},
		},
		{
			name: "configured kind", goos: "linux", cfg: Config{Terminal: "alacritty"},
			sys:  fakeSystem{programs: map[string]string{"xterm": "/usr/bin/xterm", "alacritty": "/opt/bin/alacritty"}, env: []string{"TERMINAL=xterm"}},
			want: Terminal{"alacritty", "/opt/bin/alacritty"},
		},
		{
			name: "configured path", goos: "linux", cfg: Config{Terminal: "/opt/foot/bin/foot"},
			sys:  fakeSystem{programs: map[string]string{"/opt/foot/bin/foot": "/opt/foot/bin/foot"}},
			want: Terminal{"foot", "/opt/foot/bin/foot"},
		},
		{
			name: "macos terminal", goos: "darwin",
			sys:  fakeSystem{programs: map[string]string{"osascript": "/usr/bin/osascript"}},
			want: Terminal{"terminal", "/usr/bin/osascript"},
		},
		{
			name: "macos iterm installed", goos: "darwin",
			sys:  fakeSystem{programs: map[string]string{"osascript": "/usr/bin/osascript"}, apps: []string{"/Applications/iTerm.app"}},
			want: Terminal{"iterm2", "/usr/bin/osascript"},
		},
		{
			name: "macos terminal configured", goos: "darwin", cfg: Config{Terminal: "terminal"},
			sys:  fakeSystem{programs: map[string]string{"osascript": "/usr/bin/osascript"}, apps: []string{"/Applications/iTerm.app"}},
			want: Terminal{"terminal", "/usr/bin/osascript"},
		},
		{
			name: "windows terminal", goos: "windows",
			sys:  fakeSystem{programs: map[string]string{"wt": `C:\wt.exe`}},
			want: Terminal{"wt", `C:\wt.exe`},
		},
		{
			name: "windows console", goos: "windows",
			sys:  fakeSystem{},
			want: Terminal{"console", ""},
		},
		{
			name: "windows console configured", goos: "windows", cfg: Config{Terminal: "console"},
			sys:  fakeSystem{programs: map[string]string{"wt": `C:\wt.exe`}},
			want: Terminal{"console", ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newFakeLauncher(t, tc.sys, tc.cfg)
			got, err := l.findTerminal(tc.goos)
			if err != nil || got != tc.want {
				t.Errorf("findTerminal(%s) = %+v, %v, want %+v", tc.goos, got, err, tc.want)
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{env: []string{"TERMINAL="}}, Config{}).findTerminal("linux")
		wantNotFound(t, err, "a terminal emulator (x-terminal-emulator)", "xterm")
	})
	t.Run("configured kind of other os", func(t *testing.T) {
		if got, err := newFakeLauncher(t, fakeSystem{}, Config{Terminal: "wt"}).findTerminal("darwin"); err == nil {
			t.Errorf("findTerminal(darwin, wt) = %+v, want an error", got)
		}
	})
}

func TestTerminalKinds(t *testing.T) {
	tests := map[string]string{
		"linux":   "alacritty foot gnome-terminal kitty konsole wezterm xfce4-terminal xterm",
		"darwin":  "iterm2 terminal",
		"windows": "console wt",
	}
	for goos, want := range tests {
		if got := strings.Join(TerminalKinds(goos), " "); got != want {
			t.Errorf("TerminalKinds(%s) = %q, want %q", goos, got, want)
		}
	}
}

func TestSSHPlan(t *testing.T) {
	spec := SSHSpec{Port: 50022, InstanceID: "4711", InstanceName: "vm-1", Username: "alice", KeyFile: "/k"}
	tests := []struct {
		name     string
		goos     string
		sys      fakeSystem
		want     []string
		detached bool
		console  bool
	}{
		{
			name: "linux xterm", goos: "linux",
			sys: fakeSystem{programs: map[string]string{"ssh": "/usr/bin/ssh", "xterm": "/usr/bin/xterm"}, env: []string{"TERMINAL="}},
			want: []string{"/usr/bin/xterm", "-T", "vm-1", "-e", "/usr/bin/ssh", "-p", "50022", "-i", "/k", "-o", "IdentitiesOnly=yes",
				"-o", "HostKeyAlias=compute.4711", "-o", "UserKnownHostsFile=/cfg/known_hosts", "alice@127.0.0.1"},
		},
		{
			name: "macos terminal", goos: "darwin",
			sys: fakeSystem{programs: map[string]string{"ssh": "/usr/bin/ssh", "osascript": "/usr/bin/osascript"}},
			want: []string{"/usr/bin/osascript", "-e", `tell application "Terminal"`, "-e", "\tactivate",
				"-e", "\tset t to do script \"exec /usr/bin/ssh -p 50022 -i /k -o IdentitiesOnly=yes -o HostKeyAlias=compute.4711 -o UserKnownHostsFile=/cfg/known_hosts alice@127.0.0.1\"",
				"-e", "\tset custom title of t to \"vm-1\"", "-e", "end tell"},
			detached: true,
		},
		{
			name: "windows console", goos: "windows",
			sys: fakeSystem{programs: map[string]string{"ssh": `C:\Windows\System32\OpenSSH\ssh.exe`}},
			want: []string{`C:\Windows\System32\OpenSSH\ssh.exe`, "-p", "50022", "-i", "/k", "-o", "IdentitiesOnly=yes",
				"-o", "HostKeyAlias=compute.4711", "-o", "UserKnownHostsFile=/cfg/known_hosts", "alice@127.0.0.1"},
			console: true,
		},
		{
			name: "windows terminal", goos: "windows",
			sys: fakeSystem{programs: map[string]string{"ssh": `C:\ssh.exe`, "wt": `C:\wt.exe`}},
			want: []string{`C:\wt.exe`, "new-tab", "--title", "vm-1", "--", `C:\ssh.exe`, "-p", "50022", "-i", "/k", "-o", "IdentitiesOnly=yes",
				"-o", "HostKeyAlias=compute.4711", "-o", "UserKnownHostsFile=/cfg/known_hosts", "alice@127.0.0.1"},
			detached: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newFakeLauncher(t, tc.sys, Config{ConfigDir: "/cfg"})
			p, err := l.buildPlan(tc.goos, spec)
			if err != nil {
				t.Fatalf("buildPlan() error = %v", err)
			}
			if !reflect.DeepEqual(p.argv, tc.want) || p.detached != tc.detached || p.sys.newConsole != tc.console {
				t.Errorf("plan = %q detached %v console %v\nwant %q detached %v console %v", p.argv, p.detached, p.sys.newConsole, tc.want, tc.detached, tc.console)
			}
			if !reflect.DeepEqual(p.dirs, []string{"/cfg"}) {
				t.Errorf("dirs = %q, want [/cfg]", p.dirs)
			}
		})
	}
	t.Run("no ssh", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{programs: map[string]string{"xterm": "/x"}}, Config{}).buildPlan("linux", spec)
		wantNotFound(t, err, "ssh", "openssh-client")
	})
	t.Run("no ssh on windows", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{}, Config{}).buildPlan("windows", spec)
		wantNotFound(t, err, "ssh", "the OpenSSH Client (Settings > System > Optional features)")
	})
}

func TestQuoting(t *testing.T) {
	shell := []struct{ in, want string }{
		{"plain-arg_1.2/x", "plain-arg_1.2/x"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
		{"a;b", "'a;b'"},
	}
	for _, tc := range shell {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	windows := []struct{ in, want string }{
		{"plain", "plain"},
		{"", `""`},
		{`C:\Program Files\x.exe`, `"C:\Program Files\x.exe"`},
		{`a"b`, `"a\"b"`},
		{`dir with\`, `"dir with\\"`},
		{`x\"y z`, `"x\\\"y z"`},
		{`C:\no\spaces\`, `C:\no\spaces\`},
	}
	for _, tc := range windows {
		if got := windowsQuote(tc.in); got != tc.want {
			t.Errorf("windowsQuote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
