//go:build linux

package cli_test

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/app/demo"
	"iapdesk/app/gcetest"
	"iapdesk/platform/systest"
	"iapdesk/tunnel/relaytest"
)

// e2eVM is the VM of the end-to-end tests; the relay routes its port 22 to
// a real sshd.
var e2eVM = app.InstanceRef{Project: "e2e-project", Zone: "us-east1-b", Name: "vm-1"}

// e2eToken is the bearer token the fakes want, in an access token file.
const e2eToken = "e2e-token"

// sshWorld is a relay routing e2eVM:22 to sshd, the fake Compute and OS
// Login API serving e2eVM, and an access token file; home is a fresh
// $HOME (iapdesk's config directory, known_hosts and keys go under it).
type sshWorld struct {
	sshd      *systest.SSHD
	relay     *relaytest.Server
	gce       *gcetest.Server
	tokenFile string
	home      string
}

func newSSHWorld(t *testing.T, project gcetest.Project, users []gcetest.OSLoginUser, sshdConfig func(*gcetest.Server) []string) *sshWorld {
	t.Helper()
	w := &sshWorld{home: t.TempDir()}
	var err error
	w.gce, err = gcetest.NewServer(gcetest.Config{AccessToken: e2eToken, OperationDelay: time.Millisecond,
		Projects: []gcetest.Project{project}, OSLoginUsers: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.gce.Close)
	w.tokenFile = filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(w.tokenFile, []byte(e2eToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var extra []string
	if sshdConfig != nil {
		extra = sshdConfig(w.gce)
	}
	w.sshd = systest.StartSSHD(t, systest.SSHDConfig{Extra: extra})
	w.relay = relaytest.NewServer(relaytest.Config{CheckToken: func(tok string) bool { return tok == e2eToken }})
	t.Cleanup(w.relay.Close)
	w.relay.Route(relaytest.VM(e2eVM.Project, e2eVM.Zone, e2eVM.Name, 22), w.sshd.Addr)
	t.Setenv("HOME", w.home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(w.home, ".config"))
	t.Setenv("IAPDESK_CONFIG_DIR", "")
	return w
}

// ssh runs `iapdesk ssh vm-1 FLAGS… -- COMMAND…` in-process against the
// world's fakes.
func (w *sshWorld) ssh(t *testing.T, flags []string, command ...string) (int, string, string) {
	t.Helper()
	args := append([]string{"ssh", e2eVM.Name, "--project=" + e2eVM.Project, "--zone=" + e2eVM.Zone,
		"--iap-tunnel-url-override=" + w.relay.URL, "--access-token-file=" + w.tokenFile,
		"--compute-endpoint=" + w.gce.URL + "/compute/v1/", "--oslogin-endpoint=" + w.gce.URL + "/",
		"--strict-host-key-checking=accept-new"}, flags...)
	return run(t, nil, append(append(args, "--"), command...)...)
}

// TestE2ESSHCommand: `iapdesk ssh` from a shell reads the VM from the
// Compute API (gcetest), opens a tunnel through the relay and runs ssh in
// the foreground with the key it is given; the remote command's output and
// exit status come back.
func TestE2ESSHCommand(t *testing.T) {
	w := newSSHWorld(t, gcetest.Project{ID: e2eVM.Project, Instances: []gcetest.Instance{
		{Name: e2eVM.Name, Zone: e2eVM.Zone, OS: gcetest.Linux, ID: 7001}}}, nil, nil)
	own := []string{"--user=" + w.sshd.User, "--key=" + w.sshd.ClientKey}
	code, out, errOut := w.ssh(t, own, "echo", "output-of-remote-command")
	if code != 0 || !strings.Contains(out, "output-of-remote-command") {
		t.Fatalf("iapdesk ssh = %d\n%s\n%s", code, out, errOut)
	}
	// The host key went to iapdesk's known_hosts under the VM's ID (ssh
	// may hash the name, so ask ssh-keygen).
	kh := filepath.Join(w.home, ".config", "iapdesk", "known_hosts")
	if out, err := exec.Command("ssh-keygen", "-F", "compute.7001", "-f", kh).CombinedOutput(); err != nil {
		t.Errorf("ssh-keygen -F compute.7001 -f %s: %v\n%s", kh, err, out)
	}
	if code, _, errOut := w.ssh(t, own, "exit", "7"); code != 7 {
		t.Errorf("iapdesk ssh -- exit 7 = %d, want exit status 7\n%s", code, errOut)
	}
}

// TestE2ESSHCommandPublishesKey: `iapdesk ssh` publishes a key exactly as
// the window does. The VM holds no key of iapdesk's; the real sshd asks
// the fake API which keys the VM accepts (as a guest agent would install
// them), so it refuses iapdesk's key until iapdesk ssh has generated it,
// published it for the account (project metadata, or OS Login) and logged
// in as the user it was published for.
func TestE2ESSHCommandPublishesKey(t *testing.T) {
	systest.Require(t, "/usr/sbin/sshd", "ssh", "ssh-keygen", "/usr/bin/env")
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	const account = "tester@example.com"
	tests := []struct {
		name  string
		meta  []gcetest.MetadataItem
		flags []string // besides --account
		where string   // where the key must end up
	}{
		// Metadata keys are for the --user given (the ssh.username
		// setting does the same): the OS user running the test.
		{"metadata", nil, []string{"--user=" + me.Username}, "project metadata"},
		// OS Login's POSIX account for the account is the OS user; no
		// --user: OS Login decides.
		{"os login", []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "TRUE"}}, nil, "os login profile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			project := gcetest.Project{ID: e2eVM.Project, Instances: []gcetest.Instance{
				{Name: e2eVM.Name, Zone: e2eVM.Zone, OS: gcetest.Linux, ID: 7002, Metadata: tc.meta}}}
			var akcToken string
			w := newSSHWorld(t, project, []gcetest.OSLoginUser{{Email: account, Username: me.Username}},
				func(srv *gcetest.Server) []string {
					// The keys command authenticates to the fake with the
					// token from a 0600 file, as the demo's does.
					akcToken = filepath.Join(t.TempDir(), "akc-token")
					if err := os.WriteFile(akcToken, []byte(e2eToken), 0o600); err != nil {
						t.Fatal(err)
					}
					lines, err := demo.KeysCommandConfig(srv.URL, akcToken, e2eVM, me.Username)
					if err != nil {
						t.Fatal(err)
					}
					return lines
				})
			if keys, err := w.gce.AuthorizedKeys(e2eVM.Project, e2eVM.Zone, e2eVM.Name, me.Username); err != nil || len(keys) != 0 {
				t.Fatalf("before: the VM accepts %q (%v) for %s, want no key", keys, err, me.Username)
			}

			flags := append([]string{"--account=" + account}, tc.flags...)
			code, out, errOut := w.ssh(t, flags, "echo", "published-$(id -un)")
			if want := "published-" + me.Username; code != 0 || strings.TrimSpace(out) != want {
				t.Fatalf("iapdesk ssh = %d, stdout %q, want %q\nstderr:\n%s\nsshd log:\n%s", code, out, want, errOut, w.sshd.Log())
			}
			keyDir := filepath.Join(w.home, ".config", "iapdesk")
			pub, err := filepath.Glob(filepath.Join(keyDir, "*", "*.pub"))
			if err != nil || len(pub) != 1 {
				pub, _ = filepath.Glob(filepath.Join(keyDir, "*.pub"))
			}
			if len(pub) != 1 {
				t.Fatalf("iapdesk's public keys under %s = %q, want the one generated", keyDir, pub)
			}
			b, err := os.ReadFile(pub[0])
			if err != nil {
				t.Fatal(err)
			}
			wire := strings.Join(strings.Fields(string(b))[:2], " ")
			accepted, err := w.gce.AuthorizedKeys(e2eVM.Project, e2eVM.Zone, e2eVM.Name, me.Username)
			if err != nil || !slices.ContainsFunc(accepted, func(k string) bool { return strings.HasPrefix(k, wire) }) {
				t.Errorf("after: the VM accepts %q (%v) for %s, want iapdesk's key %s… (from the %s)", accepted, err, me.Username, wire[:20], tc.where)
			}
			// A second connect reuses the key: nothing is generated again.
			if code, out, errOut := w.ssh(t, flags, "true"); code != 0 {
				t.Errorf("second iapdesk ssh = %d\n%s\n%s", code, out, errOut)
			}
		})
	}
}

// TestE2EDemoSSH: `iapdesk ssh --demo` from a shell reaches a demo VM's real
// SSH server through the demo relay, through the same connector, and prints
// the remote command's output.
func TestE2EDemoSSH(t *testing.T) {
	systest.Require(t, "/usr/sbin/sshd", "ssh")
	code, out, errOut := run(t, nil, "ssh", "--demo", "web-prod-01", "--", "echo", "hello-from-the-demo-vm")
	if code != 0 || !strings.Contains(out, "hello-from-the-demo-vm") {
		t.Fatalf("iapdesk ssh --demo = %d, stdout %q\n%s", code, out, errOut)
	}
}
