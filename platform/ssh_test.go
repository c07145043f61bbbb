package platform

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var proxy = &TunnelCommand{Executable: "/opt/iap desk/iapdesk", Instance: "vm-1", Project: "my-proj", Zone: "europe-west1-b"}

func TestSSHArgs(t *testing.T) {
	base := SSHSpec{
		Port: 50022, InstanceID: "4711", InstanceName: "vm-1", Username: "alice",
		KeyFile: "/home/alice/.ssh/google_compute_engine", KnownHostsFile: "/home/alice/.config/iapdesk/known_hosts",
	}
	tests := []struct {
		name string
		goos string
		mod  func(*SSHSpec)
		want []string
	}{
		{
			name: "port forward", goos: "linux", mod: func(*SSHSpec) {},
			want: []string{"-p", "50022", "-i", "/home/alice/.ssh/google_compute_engine", "-o", "IdentitiesOnly=yes",
				"-o", "HostKeyAlias=compute.4711", "-o", "UserKnownHostsFile=/home/alice/.config/iapdesk/known_hosts",
				"alice@127.0.0.1"},
		},
		{
			name: "paths with spaces and percent, options, command", goos: "linux",
			mod: func(s *SSHSpec) {
				s.KeyFile = "/home/a b/100%/key"
				s.KnownHostsFile = "/home/a b/known_hosts"
				s.StrictHostKeyChecking = "yes"
				s.Options = []string{"BatchMode=yes", "ServerAliveInterval=30"}
				s.Command = []string{"uptime", "&&", "id"}
			},
			want: []string{"-p", "50022", "-i", "/home/a b/100%%/key", "-o", "IdentitiesOnly=yes",
				"-o", "HostKeyAlias=compute.4711", "-o", `UserKnownHostsFile="/home/a b/known_hosts"`,
				"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ServerAliveInterval=30",
				"alice@127.0.0.1", "uptime", "&&", "id"},
		},
		{
			name: "no key, other host", goos: "linux",
			mod:  func(s *SSHSpec) { s.KeyFile = ""; s.Host = "::1" },
			want: []string{"-p", "50022", "-o", "HostKeyAlias=compute.4711", "-o", "UserKnownHostsFile=/home/alice/.config/iapdesk/known_hosts", "alice@::1"},
		},
		{
			name: "proxy command", goos: "linux", mod: func(s *SSHSpec) { s.Proxy = proxy },
			want: []string{"-i", "/home/alice/.ssh/google_compute_engine", "-o", "IdentitiesOnly=yes",
				"-o", "HostKeyAlias=compute.4711", "-o", "UserKnownHostsFile=/home/alice/.config/iapdesk/known_hosts",
				"-o", "ProxyCommand='/opt/iap desk/iapdesk' tunnel vm-1 22 --project my-proj --zone europe-west1-b --listen-on-stdin",
				"alice@vm-1"},
		},
		{
			name: "proxy command on windows", goos: "windows",
			mod: func(s *SSHSpec) {
				s.Proxy = &TunnelCommand{Executable: `C:\Program Files\iapdesk\iapdesk.exe`, Instance: "vm-1", Project: "proj-1", Zone: "us-east1-c", Port: 2222}
				s.KeyFile = `C:\Users\Al Ice\.ssh\key`
				s.KnownHostsFile = `C:\Users\Al Ice\AppData\Roaming\iapdesk\known_hosts`
			},
			want: []string{"-i", `C:\Users\Al Ice\.ssh\key`, "-o", "IdentitiesOnly=yes",
				"-o", "HostKeyAlias=compute.4711", "-o", `UserKnownHostsFile="C:\\Users\\Al Ice\\AppData\\Roaming\\iapdesk\\known_hosts"`,
				"-o", `ProxyCommand="C:\Program Files\iapdesk\iapdesk.exe" tunnel vm-1 2222 --project proj-1 --zone us-east1-c --listen-on-stdin`,
				"alice@vm-1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.mod(&s)
			got, err := SSHArgs(tc.goos, s)
			if err != nil {
				t.Fatalf("SSHArgs() error = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SSHArgs() =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestSSHArgsInvalid(t *testing.T) {
	ok := SSHSpec{Port: 1, InstanceID: "1", Username: "u", KnownHostsFile: "/k"}
	tests := []struct {
		name string
		mod  func(*SSHSpec)
	}{
		{"no port", func(s *SSHSpec) { s.Port = 0 }},
		{"instance id not numeric", func(s *SSHSpec) { s.InstanceID = "vm-1" }},
		{"username option", func(s *SSHSpec) { s.Username = "-oProxyCommand=x" }},
		{"username with at", func(s *SSHSpec) { s.Username = "a@b" }},
		{"no known hosts", func(s *SSHSpec) { s.KnownHostsFile = "" }},
		{"dollar brace in key", func(s *SSHSpec) { s.KeyFile = "/home/${USER}/k" }},
		{"newline in known hosts", func(s *SSHSpec) { s.KnownHostsFile = "/k\nProxyCommand x" }},
		{"bad option", func(s *SSHSpec) { s.Options = []string{"-F/dev/null"} }},
		{"strict value", func(s *SSHSpec) { s.StrictHostKeyChecking = "maybe" }},
		{"relative proxy executable", func(s *SSHSpec) {
			s.Proxy = &TunnelCommand{Executable: "iapdesk", Instance: "a", Project: "my-project", Zone: "c"}
		}},
		{"proxy instance with space", func(s *SSHSpec) {
			s.Proxy = &TunnelCommand{Executable: "/x", Instance: "a b", Project: "my-project", Zone: "c"}
		}},
		{"control in command", func(s *SSHSpec) { s.Command = []string{"a\x00"} }},
	}
	if _, err := SSHArgs("linux", ok); err != nil {
		t.Fatalf("SSHArgs(%+v) = %v", ok, err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.mod(&s)
			if got, err := SSHArgs("linux", s); err == nil {
				t.Errorf("SSHArgs(%+v) = %q, want an error", s, got)
			}
		})
	}
}

func TestSSHConfigBlock(t *testing.T) {
	spec := SSHSpec{
		InstanceID: "4711", Username: "alice", KeyFile: "/home/alice/my keys/id_ed25519",
		KnownHostsFile: "/home/alice/.config/iapdesk/known_hosts", Proxy: proxy,
	}
	got, err := SSHConfigBlock("linux", "vm-1.iap", spec)
	if err != nil {
		t.Fatal(err)
	}
	want := `Host vm-1.iap
    HostName vm-1
    User alice
    IdentityFile "/home/alice/my keys/id_ed25519"
    IdentitiesOnly yes
    HostKeyAlias compute.4711
    UserKnownHostsFile /home/alice/.config/iapdesk/known_hosts
    ProxyCommand '/opt/iap desk/iapdesk' tunnel vm-1 22 --project my-proj --zone europe-west1-b --listen-on-stdin
`
	if got != want {
		t.Errorf("SSHConfigBlock() =\n%s\nwant\n%s", got, want)
	}
	// Every value must read back through ssh_config's own tokenizer.
	for _, line := range strings.Split(strings.TrimSpace(got), "\n")[1:5] {
		key, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		args, err := sshArgvSplit(rest)
		if err != nil || len(args) != 1 {
			t.Errorf("%s value %q splits into %q, %v; want one argument", key, rest, args, err)
		}
	}

	for _, tc := range []struct {
		name  string
		alias string
		spec  SSHSpec
	}{
		{"no proxy", "a", SSHSpec{InstanceID: "1", Username: "u", KnownHostsFile: "/k"}},
		{"alias with space", "a b", spec},
		{"alias pattern", "vm-*", spec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := SSHConfigBlock("linux", tc.alias, tc.spec); err == nil {
				t.Errorf("SSHConfigBlock(%q) = %q, want an error", tc.alias, got)
			}
		})
	}
}

func TestProxyCommandLine(t *testing.T) {
	tests := []struct {
		goos string
		tc   TunnelCommand
		want string
	}{
		{"linux", TunnelCommand{Executable: "/usr/bin/iapdesk", Instance: "vm", Project: "my-project", Zone: "z"},
			"/usr/bin/iapdesk tunnel vm 22 --project my-project --zone z --listen-on-stdin"},
		{"darwin", TunnelCommand{Executable: "/Applications/iap desk.app/Contents/MacOS/it's", Instance: "vm", Project: "my-project", Zone: "z", Port: 2222},
			`'/Applications/iap desk.app/Contents/MacOS/it'\''s' tunnel vm 2222 --project my-project --zone z --listen-on-stdin`},
		{"linux", TunnelCommand{Executable: "/home/u/100%/iapdesk", Instance: "vm", Project: "example.com:my-project", Zone: "z"},
			"/home/u/100%%/iapdesk tunnel vm 22 --project example.com:my-project --zone z --listen-on-stdin"},
		{"windows", TunnelCommand{Executable: `C:\Program Files\iapdesk\iapdesk.exe`, Instance: "vm", Project: "my-project", Zone: "z"},
			`"C:\Program Files\iapdesk\iapdesk.exe" tunnel vm 22 --project my-project --zone z --listen-on-stdin`},
		// A project number and a VM's numeric ID, which iap-rdp links name
		// (package gcename: the one definition of these names).
		{"linux", TunnelCommand{Executable: "/usr/bin/iapdesk", Instance: "4567890123456789012", Project: "123456789012", Zone: "z"},
			"/usr/bin/iapdesk tunnel 4567890123456789012 22 --project 123456789012 --zone z --listen-on-stdin"},
	}
	for _, tc := range tests {
		got, err := ProxyCommandLine(tc.goos, tc.tc)
		if err != nil || got != tc.want {
			t.Errorf("ProxyCommandLine(%s, %+v) = %q, %v, want %q", tc.goos, tc.tc, got, err, tc.want)
		}
	}
}

func TestSSHConfigQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/plain/path", "/plain/path"},
		{"", `""`},
		{"/with space", `"/with space"`},
		{`C:\Users\me`, `"C:\\Users\\me"`},
		{`a"b`, `"a\"b"`},
		{"#comment", `"#comment"`},
		{"it's", `"it's"`},
		{"tab\there", "\"tab\there\""},
	}
	for _, tc := range tests {
		got, err := SSHConfigQuote(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("SSHConfigQuote(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"a\nb", "a\rb", "a\x00b"} {
		if got, err := SSHConfigQuote(bad); err == nil {
			t.Errorf("SSHConfigQuote(%q) = %q, want an error", bad, got)
		}
	}
}

// sshArgvSplit is OpenSSH's argv_split (misc.c) with terminate_on_comment,
// which ssh uses for ssh_config values and -o options, applied after
// readconf strips trailing whitespace.
func sshArgvSplit(s string) ([]string, error) {
	s = strings.TrimRight(s, " \t\r\n\f")
	var args []string
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			continue
		}
		if s[i] == '#' {
			break
		}
		var quote byte
		var arg []byte
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\':
				if i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || quote == 0 && s[i+1] == ' ') {
					i++
					arg = append(arg, s[i])
				} else {
					arg = append(arg, c)
				}
			case quote == 0 && (c == ' ' || c == '\t'):
				goto done
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote != 0 && c == quote:
				quote = 0
			default:
				arg = append(arg, c)
			}
		}
		if quote != 0 {
			return nil, errors.New("unterminated quote")
		}
	done:
		args = append(args, string(arg))
	}
	return args, nil
}

func FuzzSSHConfigQuote(f *testing.F) {
	for _, s := range []string{"", "/a b", `C:\x\`, `a"b'c`, "#x", "\\\\server\\share", "x\\ y", "tail "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4<<10 {
			return // a path; longer ones only slow the fuzzer
		}
		q, err := SSHConfigQuote(s)
		if strings.ContainsAny(s, "\r\n\x00") {
			if err == nil {
				t.Fatalf("SSHConfigQuote(%q) = %q, want an error", s, q)
			}
			return
		}
		if err != nil {
			t.Fatalf("SSHConfigQuote(%q) error = %v", s, err)
		}
		got, err := sshArgvSplit(q)
		if err != nil || len(got) != 1 || got[0] != s {
			t.Fatalf("argv_split(SSHConfigQuote(%q) = %q) = %q, %v; want [%q]", s, q, got, err, s)
		}
	})
}
