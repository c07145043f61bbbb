//go:build linux

package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"iapdesk/app/demo"
	"iapdesk/app/gcetest"
	"iapdesk/platform/systest"
)

// userSSHConfig is the user's own ~/.ssh/config before ssh-config: it
// must come back byte for byte after --remove.
const userSSHConfig = "# my own config\nHost bastion\n    User alice\n    Port 2222\n\n# no newline at the end"

// TestE2ESSHConfig: `iapdesk ssh-config` writes a config through which
// real ssh, scp and rsync reach a VM through the relay (the ProxyCommand
// is iapdesk tunnel, here this test binary as iapdesk). The VM does not
// hold iapdesk's key: its sshd asks the fake OS Login which keys the
// user has, and the ProxyCommand publishes the key first, as iapdesk ssh
// does. --remove leaves ~/.ssh/config as it was, byte for byte.
func TestE2ESSHConfig(t *testing.T) {
	systest.Require(t, "/usr/sbin/sshd", "ssh", "scp", "rsync", "/usr/bin/env")
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	const account = "tester@example.com"
	project := gcetest.Project{ID: e2eVM.Project, Instances: []gcetest.Instance{
		{Name: e2eVM.Name, Zone: e2eVM.Zone, OS: gcetest.Linux, ID: 7003,
			Metadata: []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "TRUE"}}}}}
	w := newSSHWorld(t, project, []gcetest.OSLoginUser{{Email: account, Username: me.Username}},
		func(srv *gcetest.Server) []string {
			tok := filepath.Join(t.TempDir(), "akc-token")
			if err := os.WriteFile(tok, []byte(e2eToken), 0o600); err != nil {
				t.Fatal(err)
			}
			lines, err := demo.KeysCommandConfig(srv.URL, tok, e2eVM, me.Username)
			if err != nil {
				t.Fatal(err)
			}
			return lines
		})
	// The explorer's projects, as the window keeps them.
	cfgDir := filepath.Join(w.home, ".config", "iapdesk")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "projects.json"), []byte(`{"version":1,"projects":[{"id":"`+e2eVM.Project+`"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sshDir := filepath.Join(w.home, ".ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	userConfig := filepath.Join(sshDir, "config")
	if err := os.WriteFile(userConfig, []byte(userSSHConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if keys, err := w.gce.AuthorizedKeys(e2eVM.Project, e2eVM.Zone, e2eVM.Name, me.Username); err != nil || len(keys) != 0 {
		t.Fatalf("before: the VM accepts %q (%v) for %s, want no key", keys, err, me.Username)
	}

	flags := []string{"--account=" + account, "--access-token-file=" + w.tokenFile, "--iap-tunnel-url-override=" + w.relay.URL,
		"--compute-endpoint=" + w.gce.URL + "/compute/v1/", "--oslogin-endpoint=" + w.gce.URL + "/"}
	for i := range 2 { // the second run changes nothing
		code, out, errOut := run(t, nil, append([]string{"ssh-config"}, flags...)...)
		if code != 0 || !strings.Contains(out, "Wrote 1 hosts") {
			t.Fatalf("iapdesk ssh-config (run %d) = %d, %q\n%s", i+1, code, out, errOut)
		}
	}
	managed := filepath.Join(sshDir, "iapdesk.config")
	b, err := os.ReadFile(userConfig)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "Include "); n != 1 || !strings.HasSuffix(string(b), userSSHConfig) ||
		!strings.HasPrefix(string(b), "# Added by `iapdesk ssh-config`") {
		t.Errorf("~/.ssh/config after ssh-config twice =\n%s\nwant one Include at the top, then the user's own config", b)
	}
	gen, err := os.ReadFile(managed)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Host vm-1.us-east1-b.e2e-project vm-1\n", "User " + me.Username + "\n",
		"HostKeyAlias compute.7003\n", "--publish-ssh-key=" + me.Username} {
		if !strings.Contains(string(gen), want) {
			t.Errorf("generated config lacks %q:\n%s", want, gen)
		}
	}

	// Writing the config published nothing: the ProxyCommand will.
	if keys, err := w.gce.AuthorizedKeys(e2eVM.Project, e2eVM.Zone, e2eVM.Name, me.Username); err != nil || len(keys) != 0 {
		t.Fatalf("after ssh-config: the VM accepts %q (%v) for %s, want no key yet", keys, err, me.Username)
	}

	// ssh runs the ProxyCommand, this test binary as iapdesk, in this
	// environment (HOME: the same config directory and key).
	t.Setenv(asCLIEnv, "1")
	sshOpts := []string{"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new"}
	for _, cfg := range []string{managed, userConfig} {
		for _, host := range []string{"vm-1.us-east1-b.e2e-project", "vm-1"} {
			cmd := exec.Command("ssh", append(append([]string{"-F", cfg}, sshOpts...), host, "echo", "via-$(id -un)")...)
			out, err := cmd.CombinedOutput()
			if want := "via-" + me.Username; err != nil || !strings.Contains(string(out), want) {
				t.Fatalf("ssh -F %s %s = %v\n%s\nsshd log:\n%s", cfg, host, err, out, w.sshd.Log())
			}
		}
	}
	if keys, err := w.gce.AuthorizedKeys(e2eVM.Project, e2eVM.Zone, e2eVM.Name, me.Username); err != nil || len(keys) == 0 {
		t.Errorf("after: the VM accepts %q (%v), want iapdesk's key published by the ProxyCommand", keys, err)
	}

	// scp and rsync (the VM's files are this machine's: sshd runs here).
	src := t.TempDir()
	payload := bytes.Repeat([]byte("through IAP\n"), 50000)
	if err := os.WriteFile(filepath.Join(src, "a.txt"), payload, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sub", "b.txt"), []byte("b"), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	scp := exec.Command("scp", append(append([]string{"-F", managed}, sshOpts...), filepath.Join(src, "a.txt"), "vm-1:"+filepath.Join(dst, "scp.txt"))...)
	if out, err := scp.CombinedOutput(); err != nil {
		t.Fatalf("scp -F %s: %v\n%s", managed, err, out)
	}
	if got, err := os.ReadFile(filepath.Join(dst, "scp.txt")); err != nil || !bytes.Equal(got, payload) {
		t.Errorf("scp copied %d bytes (%v), want %d", len(got), err, len(payload))
	}
	rsync := exec.Command("rsync", "-a", "-e", "ssh -F "+managed+" "+strings.Join(sshOpts, " "),
		src+"/", "vm-1.us-east1-b.e2e-project:"+filepath.Join(dst, "rsync")+"/")
	if out, err := rsync.CombinedOutput(); err != nil {
		t.Fatalf("rsync -e 'ssh -F %s': %v\n%s", managed, err, out)
	}
	for _, f := range []string{"a.txt", "sub/b.txt"} {
		want, _ := os.ReadFile(filepath.Join(src, f))
		if got, err := os.ReadFile(filepath.Join(dst, "rsync", f)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("rsync copied %s: %d bytes (%v), want %d", f, len(got), err, len(want))
		}
	}

	t.Setenv(asCLIEnv, "")
	code, out, errOut := run(t, nil, append([]string{"ssh-config", "--remove"}, flags...)...)
	if code != 0 {
		t.Fatalf("iapdesk ssh-config --remove = %d, %q\n%s", code, out, errOut)
	}
	if b, err := os.ReadFile(userConfig); err != nil || string(b) != userSSHConfig {
		t.Errorf("~/.ssh/config after --remove = %q (%v), want the user's own config byte for byte: %q", b, err, userSSHConfig)
	}
	if _, err := os.Stat(managed); !os.IsNotExist(err) {
		t.Errorf("%s after --remove: %v, want it gone", managed, err)
	}
}
