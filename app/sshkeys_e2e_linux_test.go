//go:build linux

package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/app/gcetest"
	"iapdesk/platform/systest"
)

// Environment of TestAuthorizedKeysCommandProcess.
const (
	envAKCURL  = "IAPDESK_TEST_AKC_URL"
	envAKCUser = "IAPDESK_TEST_AKC_USER"
)

// TestAuthorizedKeysCommandProcess is not a test on its own: sshd runs the
// test binary with it as its AuthorizedKeysCommand, and it prints the keys
// the fake VM accepts for the user (gcetest's /iapdesk-test/authorized-keys).
func TestAuthorizedKeysCommandProcess(t *testing.T) {
	base := os.Getenv(envAKCURL)
	if base == "" {
		t.Skip("helper process of TestE2ESSHKeyPublishing")
	}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	resp, err := hc.Get(base + "&user=" + url.QueryEscape(os.Getenv(envAKCUser)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, resp.Status)
		os.Exit(1)
	}
	io.Copy(os.Stdout, resp.Body)
	// Exit before the test framework prints PASS on stdout, which sshd
	// would read as a key line.
	os.Exit(0)
}

// rootOnlyDir returns a new directory whose every ancestor is owned by root
// and not writable by group or others: sshd runs an AuthorizedKeysCommand
// only from such a path, so /tmp (world-writable) will not do.
func rootOnlyDir(t *testing.T) string {
	t.Helper()
	var candidates []string
	if d, err := os.UserCacheDir(); err == nil {
		candidates = append(candidates, d)
	}
	candidates = append(candidates, "/var/cache", "/var/lib", "/run")
	safe := func(p string) bool {
		for {
			fi, err := os.Stat(p)
			if err != nil {
				return false
			}
			st, ok := fi.Sys().(*syscall.Stat_t)
			if !ok || st.Uid != 0 || fi.Mode().Perm()&0o022 != 0 {
				return false
			}
			if p == "/" {
				return true
			}
			p = filepath.Dir(p)
		}
	}
	for _, c := range candidates {
		if err := os.MkdirAll(c, 0o755); err != nil || !safe(c) {
			continue
		}
		d, err := os.MkdirTemp(c, "iapdesk-akc-")
		if err != nil {
			continue
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		return d
	}
	t.Fatalf("no root-owned directory without group/other write access among %q for sshd's AuthorizedKeysCommand", candidates)
	return ""
}

// authorizedKeysCommand writes the script sshd runs to learn the fake VM's
// keys for a user.
func authorizedKeysCommand(t *testing.T, srv *gcetest.Server, ref app.InstanceRef) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"project": {ref.Project}, "zone": {ref.Zone}, "instance": {ref.Name}}
	script := filepath.Join(rootOnlyDir(t), "authorized-keys")
	body := fmt.Sprintf("#!/bin/sh\nexec env %s='%s' %s=\"$1\" '%s' -test.run='^TestAuthorizedKeysCommandProcess$'\n",
		envAKCURL, srv.URL+"/iapdesk-test/authorized-keys?"+q.Encode(), envAKCUser, exe)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// sshRun runs the real ssh client against sshd with only key, and returns
// its output and error.
func sshRun(t *testing.T, sshd *systest.SSHD, keyFile, user string, command ...string) (string, error) {
	t.Helper()
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(sshd.KnownHostsLine("iapdesk-e2e")), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-F", "/dev/null", "-i", keyFile, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "UserKnownHostsFile=" + kh, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
		"-o", "HostKeyAlias=iapdesk-e2e", "-o", "BatchMode=yes", "-o", "ConnectTimeout=20",
		"-o", "PreferredAuthentications=publickey", "-p", fmt.Sprint(sshd.Port), user + "@127.0.0.1"}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ssh", append(args, command...)...).CombinedOutput()
	return string(out), err
}

// TestE2ESSHKeyPublishing logs in to a real sshd whose AuthorizedKeysCommand
// asks the fake for the VM's keys, as the guest agent would install them:
// the key iapdesk generates is refused before publishing and accepted after,
// through metadata and through OS Login.
func TestE2ESSHKeyPublishing(t *testing.T) {
	systest.Require(t, "/usr/sbin/sshd", "ssh", "ssh-keygen")
	if os.Geteuid() != 0 {
		msg := "an sshd AuthorizedKeysCommand must be root-owned and run as root; run as root"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	const project, zone, account = "e2e-project", "us-central1-a", "tester@example.com"
	ref := app.InstanceRef{Project: project, Zone: zone, Name: "vm-1"}
	tests := []struct {
		name       string
		meta       []gcetest.MetadataItem
		keyType    app.SSHKeyType
		username   string // the ssh.username setting
		wantMethod app.PublishMethod
	}{
		// Metadata keys are published for the OS user running the test.
		{"metadata", nil, app.SSHKeyEd25519, me.Username, app.PublishProjectMetadata},
		{"metadata on the VM", []gcetest.MetadataItem{{Key: "block-project-ssh-keys", Value: "true"}}, app.SSHKeyEd25519, me.Username, app.PublishInstanceMetadata},
		// OS Login's POSIX name for the account is the OS user.
		{"os login", []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "TRUE"}}, app.SSHKeyRSA, "", app.PublishOSLogin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := gcetest.NewServer(gcetest.Config{OperationDelay: time.Millisecond,
				OSLoginUsers: []gcetest.OSLoginUser{{Email: account, Username: me.Username}},
				Projects:     []gcetest.Project{{ID: project, Instances: []gcetest.Instance{{Name: ref.Name, Zone: zone, Metadata: tc.meta}}}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			sshd := systest.StartSSHD(t, systest.SSHDConfig{Extra: []string{
				"AuthorizedKeysCommand " + authorizedKeysCommand(t, srv, ref) + " %u",
				"AuthorizedKeysCommandUser root",
			}})
			ks, err := app.NewSSHKeys(app.SSHKeysConfig{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			key, err := ks.Key(ctx, tc.keyType)
			if err != nil {
				t.Fatal(err)
			}

			if out, err := sshRun(t, sshd, key.PrivateKeyFile, sshd.User, "true"); err == nil || !strings.Contains(out, "Permission denied") {
				t.Fatalf("ssh before publishing: %v\n%s\nwant Permission denied", err, out)
			}

			pub, err := app.NewSSHPublisher(ctx, app.SSHPublisherConfig{ComputeOptions: srv.ComputeOptions(), OSLoginOptions: srv.OSLoginOptions()})
			if err != nil {
				t.Fatal(err)
			}
			published, err := pub.Publish(ctx, app.PublishRequest{Instance: ref, Key: key, Account: account, Username: tc.username})
			if err != nil {
				t.Fatalf("Publish = %v", err)
			}
			if published.Method != tc.wantMethod || published.Username != sshd.User {
				t.Fatalf("Publish() = %+v, want %s as %s", published, tc.wantMethod, sshd.User)
			}
			params := published.Params(app.SSHParams{})
			const token = "iapdesk-e2e-ok"
			out, err := sshRun(t, sshd, params.KeyFile, params.Username, "echo", token)
			if err != nil || !strings.Contains(out, token) {
				t.Fatalf("ssh after publishing: %v\n%s\nsshd log:\n%s", err, out, sshd.Log())
			}
		})
	}
}
