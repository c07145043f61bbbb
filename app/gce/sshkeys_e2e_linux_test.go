//go:build linux

package gce_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/app/demo"
	"iapdesk/app/gce"
	"iapdesk/app/gcetest"
	"iapdesk/platform/systest"
)

// e2eToken is the fake API's bearer token: the keys command sends it, as
// a root sshd must never trust an open API.
const e2eToken = "e2e-api-token"

// keysCommand returns the sshd_config lines that make sshd ask srv for
// ref's keys (demo.KeysCommandConfig), with the token in a 0600 file.
func keysCommand(t *testing.T, srv *gcetest.Server, ref app.InstanceRef, login string) []string {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "api-token")
	if err := os.WriteFile(tokenFile, []byte(e2eToken), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, err := demo.KeysCommandConfig(srv.URL, tokenFile, ref, login)
	if err != nil {
		t.Fatal(err)
	}
	return lines
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
			srv, err := gcetest.NewServer(gcetest.Config{OperationDelay: time.Millisecond, AccessToken: e2eToken,
				OSLoginUsers: []gcetest.OSLoginUser{{Email: account, Username: me.Username}},
				Projects:     []gcetest.Project{{ID: project, Instances: []gcetest.Instance{{Name: ref.Name, Zone: zone, Metadata: tc.meta}}}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			sshd := systest.StartSSHD(t, systest.SSHDConfig{Extra: keysCommand(t, srv, ref, me.Username)})
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

			pub, err := gce.NewSSHPublisher(ctx, gce.SSHPublisherConfig{API: fakeAPI(srv)})
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
