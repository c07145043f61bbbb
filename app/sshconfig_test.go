package app_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"iapdesk/app"
	"iapdesk/platform"
	"iapdesk/tunnel"
)

// noLauncher launches nothing: the ssh config needs the connect policy,
// not a client.
type noLauncher struct{}

func (noLauncher) Launch(context.Context, platform.Spec) (*platform.Process, error) {
	return nil, errors.New("no launcher in this test")
}

func newSSHConfig(t *testing.T, dir string, ssh app.SSHParams) *app.SSHConfig {
	t.Helper()
	ts, err := app.NewTunnels(app.TunnelsConfig{Dialer: &tunnel.Dialer{TokenSource: staticToken{}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Shutdown)
	c, err := app.NewConnector(app.ConnectorConfig{Tunnels: ts, Launcher: noLauncher{}, SSH: ssh})
	if err != nil {
		t.Fatal(err)
	}
	s, err := app.NewSSHConfig(app.SSHConfigConfig{Connector: c, Dir: dir, Executable: "/opt/iapdesk/iapdesk",
		KnownHostsFile: "/home/u/.config/iapdesk/known_hosts", GOOS: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSSHConfigIncludeRemove: the Include goes at the top of the user's
// config once, however often the config is written, and Remove leaves the
// user's config byte for byte as it was: absent, empty or not.
func TestSSHConfigIncludeRemove(t *testing.T) {
	tests := []struct {
		name   string
		before *string // nil: no ~/.ssh/config
	}{
		{"no config", nil},
		{"empty config", ptr("")},
		{"user config", ptr("Host *\n    ServerAliveInterval 30\n")},
		{"no final newline", ptr("Host a\n  User b")},
		{"crlf", ptr("Host a\r\n  User b\r\n")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), ".ssh")
			cfg := filepath.Join(dir, "config")
			if tc.before != nil {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(cfg, []byte(*tc.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s := newSSHConfig(t, dir, app.SSHParams{Username: "alice"})
			for i := range 3 {
				res, err := s.Write(context.Background(), nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if changed := i == 0; res.Changed != changed {
					t.Errorf("Write #%d: Changed = %v, want %v", i+1, res.Changed, changed)
				}
			}
			b, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), "Include "+s.Path()); n != 1 || !strings.HasPrefix(string(b), "# Added by") {
				t.Errorf("config after 3 writes =\n%s\nwant one Include of %s at the top", b, s.Path())
			}
			if tc.before != nil && !strings.HasSuffix(string(b), *tc.before) {
				t.Errorf("config after writes =\n%q\nwant the user's own after the Include: %q", b, *tc.before)
			}
			if !s.Written() {
				t.Error("Written() = false after Write")
			}
			if err := s.Remove(); err != nil {
				t.Fatal(err)
			}
			after, err := os.ReadFile(cfg)
			switch {
			case tc.before == nil && !os.IsNotExist(err):
				t.Errorf("config after Remove = %q, %v; want no file, as before", after, err)
			case tc.before != nil && (err != nil || string(after) != *tc.before):
				t.Errorf("config after Remove = %q, %v; want %q byte for byte", after, err, *tc.before)
			}
			if s.Written() {
				t.Error("Written() = true after Remove")
			}
			if err := s.Remove(); err != nil {
				t.Errorf("a second Remove = %v, want nil", err)
			}
		})
	}
}

// TestSSHConfigHosts: a Host block per Linux VM, the short alias only for
// a name no other loaded VM has, a VM's ID as its host key alias; the
// ProxyCommand carries the flags it was written with; Windows VMs are
// left out.
func TestSSHConfigHosts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".ssh")
	s := newSSHConfig(t, dir, app.SSHParams{Username: "alice", KeyFile: "/home/u/.ssh/id_ed25519"})
	web := vmAt("my-proj", "us-central1-a", "web-1", "10.0.0.1")
	web.ID = 11
	dup1 := vmAt("my-proj", "us-central1-a", "db", "10.0.0.2")
	dup1.ID = 12
	dup2 := vmAt("other-proj", "europe-west1-b", "db", "10.0.0.3")
	dup2.ID = 13
	win := vmAt("my-proj", "us-central1-a", "win-1", "10.0.0.4")
	win.OS = app.OSWindows
	res, err := s.Write(context.Background(), inventoryOf(web, dup1, dup2, win), []string{"--access-token-file=/tmp/tok"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Hosts != 3 {
		t.Errorf("Write() wrote %d hosts, want 3 (Windows left out)", res.Hosts)
	}
	b, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		"Host web-1.us-central1-a.my-proj web-1\n",
		"Host db.us-central1-a.my-proj\n",
		"Host db.europe-west1-b.other-proj\n",
		"    HostKeyAlias compute.11\n",
		"    User alice\n",
		"    IdentityFile /home/u/.ssh/id_ed25519\n",
		"    ProxyCommand /opt/iapdesk/iapdesk tunnel web-1 22 --project my-proj --zone us-central1-a --listen-on-stdin --access-token-file=/tmp/tok\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("managed config lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "win-1") {
		t.Errorf("managed config has the Windows VM:\n%s", got)
	}
}

func ptr(s string) *string { return &s }

// osLoginPublisher is a KeyPublisher and LoginUserFinder: OS Login knows
// loginUser for the account (or nobody yet: ""), and publishing creates
// published.
type osLoginPublisher struct {
	loginUser, published string
	publishes            int
}

func (p *osLoginPublisher) Publish(_ context.Context, req app.PublishRequest) (app.PublishedKey, error) {
	p.publishes++
	return app.PublishedKey{Username: p.published, KeyFile: req.Key.PrivateKeyFile}, nil
}

func (p *osLoginPublisher) LoginUser(context.Context, string, string) (string, error) {
	return p.loginUser, nil
}

// TestSSHHostsUsers: the user of each Host block is the one iapdesk ssh
// would log in as, found without publishing: on metadata VMs the
// account's POSIX name, on OS Login VMs OS Login's user for the account;
// only when OS Login has none yet is the key published (once per
// project), which creates it.
func TestSSHHostsUsers(t *testing.T) {
	meta := vmAt("my-proj", "us-central1-a", "meta-1", "10.0.0.1")
	ol1 := vmAt("ol-proj", "us-central1-a", "ol-1", "10.0.0.2")
	ol1.OSLogin = true
	ol2 := vmAt("ol-proj", "us-central1-b", "ol-2", "10.0.0.3")
	ol2.OSLogin = true
	tests := []struct {
		name          string
		pub           osLoginPublisher
		want          []string // users of meta, ol1, ol2
		wantPublishes int
	}{
		{"os login user known", osLoginPublisher{loginUser: "tester_example_com"}, []string{"tester", "tester_example_com", "tester_example_com"}, 0},
		{"os login user not yet", osLoginPublisher{published: "tester_example_com"}, []string{"tester", "tester_example_com", "tester_example_com"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := app.NewTunnels(app.TunnelsConfig{Dialer: &tunnel.Dialer{TokenSource: staticToken{}}})
			if err != nil {
				t.Fatal(err)
			}
			defer ts.Shutdown()
			keys, err := app.NewSSHKeys(app.SSHKeysConfig{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			pub := tc.pub
			c, err := app.NewConnector(app.ConnectorConfig{Tunnels: ts, Launcher: noLauncher{}, SSHKeys: keys, Publisher: &pub,
				Account: "tester@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			reqs, err := c.SSHHosts(context.Background(), []app.Instance{meta, ol1, ol2})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range reqs {
				if r.SSH.Username != tc.want[i] || r.SSH.KeyFile == "" || r.Port != 22 {
					t.Errorf("SSHHosts()[%s] = user %q, key %q, port %d; want user %q, iapdesk's key, port 22",
						r.Instance.Name, r.SSH.Username, r.SSH.KeyFile, r.Port, tc.want[i])
				}
			}
			if pub.publishes != tc.wantPublishes {
				t.Errorf("SSHHosts() published %d times, want %d", pub.publishes, tc.wantPublishes)
			}
		})
	}
}
