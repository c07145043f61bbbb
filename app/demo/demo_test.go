package demo_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"iapdesk/app"
	"iapdesk/app/demo"
	"iapdesk/app/settings"
	"iapdesk/platform/systest"
	"iapdesk/tunnel"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start starts a demo world for the test.
func start(t *testing.T, cfg demo.Config) *demo.World {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := demo.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	t.Cleanup(w.Close)
	return w
}

// TestLinuxVMReachesSSH: a tunnel to a Linux VM's port 22 reaches a real SSH
// server that logs the current user in with the demo key, checking the host
// key with the demo known_hosts under the VM's HostKeyAlias — with the
// system sshd and with the built-in server.
func TestLinuxVMReachesSSH(t *testing.T) {
	for _, kind := range []string{demo.SSHSystem, demo.SSHBuiltin} {
		t.Run(kind, func(t *testing.T) {
			if kind == demo.SSHSystem {
				systest.Require(t, "/usr/sbin/sshd")
			}
			w := start(t, demo.Config{SSHServer: kind, NoRDP: true})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			inst, err := w.Instance(ctx, demo.LinuxVM.Name)
			if err != nil {
				t.Fatalf("Instance(%q) = %v", demo.LinuxVM.Name, err)
			}
			key := app.TunnelKey{Ref: inst.InstanceRef, Port: 22}
			info, err := w.Tunnels.Acquire(ctx, key, false)
			if err != nil {
				t.Fatalf("Acquire(%v) = %v", key, err)
			}
			defer w.Tunnels.Release(key)
			out := runSSH(t, w, info.LocalAddr, fmt.Sprintf("compute.%d", inst.ID), "echo hello from $(id -un)")
			if want := "hello from " + w.SSH.Username; strings.TrimSpace(out) != want {
				t.Errorf("ssh echo = %q, want %q", out, want)
			}
		})
	}
}

// runSSH logs in through addr as the demo user and runs cmd.
func runSSH(t *testing.T, w *demo.World, addr, alias, cmd string) string {
	t.Helper()
	out, err := sshAs(t, w, addr, alias, w.SSH.Username, w.SSH.KeyFile, cmd)
	if err != nil {
		t.Fatalf("ssh %q: %v\n%s", cmd, err, out)
	}
	return out
}

// sshAs logs in through addr as user with the private key in keyFile
// (checking the host key with the demo known_hosts) and runs cmd.
func sshAs(t *testing.T, w *demo.World, addr, alias, user, keyFile, cmd string) (string, error) {
	t.Helper()
	pem, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	check, err := knownhosts.New(w.SSH.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ClientConfig{
		User: user,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		// As ssh's HostKeyAlias: the key is checked under the VM's alias,
		// not the tunnel's ephemeral port.
		HostKeyCallback: func(_ string, remote net.Addr, key ssh.PublicKey) error {
			return check(alias+":22", remote, key)
		},
		Timeout: 20 * time.Second,
	}
	c, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.CombinedOutput(cmd)
	return string(out), err
}

// TestPublishedKeyReachesSSH: iapdesk's own key, refused by a demo VM until
// published, logs in once the connector (gce.SSHPublisher) has published it through
// project metadata or OS Login — with the system sshd (its
// AuthorizedKeysCommand asks the fake Compute API) and the built-in server.
func TestPublishedKeyReachesSSH(t *testing.T) {
	osLoginVM := app.InstanceRef{Project: "acme-dev-sandbox", Zone: "us-central1-a", Name: "dev-alice-01"}
	for _, kind := range []string{demo.SSHSystem, demo.SSHBuiltin} {
		t.Run(kind, func(t *testing.T) {
			if kind == demo.SSHSystem {
				systest.Require(t, "/usr/sbin/sshd")
			}
			w := start(t, demo.Config{SSHServer: kind, NoRDP: true})
			for _, tc := range []struct {
				ref        app.InstanceRef
				keyType    app.SSHKeyType
				wantMethod string
			}{
				{demo.LinuxVM, app.SSHKeyEd25519, "project metadata"},
				{osLoginVM, app.SSHKeyRSA, "os login"},
			} {
				t.Run(tc.wantMethod, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					inst, err := w.Instance(ctx, tc.ref.Name)
					if err != nil {
						t.Fatal(err)
					}
					key, err := w.SSHKeys.Key(ctx, tc.keyType)
					if err != nil {
						t.Fatal(err)
					}
					tk := app.TunnelKey{Ref: inst.InstanceRef, Port: 22}
					info, err := w.Tunnels.Acquire(ctx, tk, false)
					if err != nil {
						t.Fatalf("Acquire(%v) = %v", tk, err)
					}
					defer w.Tunnels.Release(tk)
					alias := fmt.Sprintf("compute.%d", inst.ID)
					if out, err := sshAs(t, w, info.LocalAddr, alias, w.SSH.Username, key.PrivateKeyFile, "true"); err == nil {
						t.Fatalf("ssh with the unpublished key to %s succeeded (%q), want it refused", tc.ref.Name, out)
					}

					// The connector publishes the key of the ssh.keyType
					// setting and logs in as the user it was published for.
					if err := w.Profiles.SaveSettings(ctx, tc.ref.Scope(), settings.Settings{
						SSH: settings.SSHSettings{KeyType: settings.Some(string(tc.keyType))}}); err != nil {
						t.Fatal(err)
					}
					var stdout, stderr strings.Builder
					err = w.Connector.RunSSH(ctx, app.Request{Instance: inst, SSH: app.SSHParams{Command: []string{"echo published-$(id -un)"}}},
						app.Stdio{In: strings.NewReader(""), Out: &stdout, Err: &stderr})
					if want := "published-" + w.SSH.Username; err != nil || strings.TrimSpace(stdout.String()) != want {
						t.Errorf("RunSSH(%s) = %v, stdout %q, stderr %q; want %q", tc.ref.Name, err, stdout.String(), stderr.String(), want)
					}
					out, err := sshAs(t, w, info.LocalAddr, alias, w.SSH.Username, key.PrivateKeyFile, "echo published-$(id -un)")
					if want := "published-" + w.SSH.Username; err != nil || strings.TrimSpace(out) != want {
						t.Errorf("ssh with the published key to %s = %q, %v; want %q", tc.ref.Name, out, err, want)
					}
					if !strings.HasPrefix(key.PrivateKeyFile, w.Dir) {
						t.Errorf("key file %s is outside the demo directory %s", key.PrivateKeyFile, w.Dir)
					}
				})
			}
		})
	}
}

// TestSavedConnections: the demo's samples are saved, the RDP one with a
// password in the demo's memory keyring, and the Windows agent answers.
func TestSavedConnections(t *testing.T) {
	w := start(t, demo.Config{SSHServer: demo.SSHBuiltin, NoRDP: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := w.Profiles.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]app.Profile{}
	for _, p := range list {
		byName[p.Name] = p
	}
	for _, n := range []string{demo.ProfileWebSSH, demo.ProfileIISRDP, demo.ProfilePostgres} {
		if _, ok := byName[n]; !ok {
			t.Errorf("profiles = %v, want %q among them", list, n)
		}
	}
	iis := byName[demo.ProfileIISRDP]
	pw, ok, err := w.Passwords.RDPPassword(ctx, app.ProfileSecret(iis.ID))
	if err != nil || !ok || pw == "" || iis.Settings.RDP.Username.Value() == "" {
		t.Errorf("profile %s = user %q password set %v, %v; want both", demo.ProfileIISRDP, iis.Settings.RDP.Username.Value(), ok, err)
	}
	if !strings.HasPrefix(w.Desk.ConfigDir(), w.Dir) {
		t.Errorf("config directory %s is outside the demo directory %s", w.Desk.ConfigDir(), w.Dir)
	}
	wc, err := w.WindowsCredentials.Generate(ctx, app.WindowsCredentialRequest{Instance: demo.WindowsVM, Username: "alice"})
	if err != nil || wc.Password == "" {
		t.Errorf("Generate(%s) = %v, want a password", demo.WindowsVM.Name, err)
	}
}

// TestExplorerLoadsDemo: the explorer lists the demo organisation, with the
// project whose API is disabled showing why.
func TestExplorerLoadsDemo(t *testing.T) {
	w := start(t, demo.Config{SSHServer: demo.SSHBuiltin, NoRDP: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Explorer.Refresh(ctx); err != nil {
		t.Fatalf("Refresh = %v", err)
	}
	inv := w.Explorer.Inventory()
	if got := len(inv.Projects); got != 5 {
		t.Errorf("projects = %d, want 5", got)
	}
	if n := inv.InstanceCount(); n < 30 {
		t.Errorf("InstanceCount = %d, want dozens", n)
	}
	p, ok := inv.Project("acme-legacy-erp")
	if !ok || p.Err == nil || !errors.Is(p.Err, app.ErrAPIDisabled) {
		t.Errorf("acme-legacy-erp = %+v, want an ErrAPIDisabled error", p)
	}
	if _, ok := inv.Instance(demo.WindowsVM); !ok {
		t.Errorf("Instance(%v) not found", demo.WindowsVM)
	}
}

// TestWindowsVMWithoutRDPServer: without an RDP server, port 3389 is closed
// and connecting explains the firewall rule, as for a real VM.
func TestWindowsVMWithoutRDPServer(t *testing.T) {
	w := start(t, demo.Config{SSHServer: demo.SSHBuiltin, NoRDP: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inst, err := w.Instance(ctx, demo.WindowsVM.Name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Connector.Connect(ctx, app.Request{Instance: inst, Protocol: app.ProtocolTunnel, Port: 3389}, nil)
	var ue *app.UserError
	if !errors.As(err, &ue) || !errors.Is(err, tunnel.ErrBackendUnreachable) || !strings.Contains(ue.Fix, "35.235.240.0/20") {
		t.Errorf("Connect(%s:3389) = %v, want a firewall hint", inst.Name, err)
	}
}

// TestSignOut: after signing out the demo has no credentials (it never
// falls back to the user's own Application Default Credentials), and
// signing in again works without a browser.
func TestSignOut(t *testing.T) {
	w := start(t, demo.Config{SSHServer: demo.SSHBuiltin, NoRDP: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := w.Desk.Accounts().SignOut(ctx, ""); err != nil {
		t.Fatalf("SignOut = %v", err)
	}
	if _, _, err := w.Desk.Accounts().TokenSource(ctx); !app.NeedsSignIn(err) {
		t.Errorf("TokenSource after sign-out = %v, want an error that asks to sign in", err)
	}
	acct, err := w.Desk.Accounts().SignIn(ctx, "")
	if err != nil || acct.Email != demo.Account {
		t.Fatalf("SignIn = %v, %v, want %s", acct, err, demo.Account)
	}
	if _, _, err := w.Desk.Accounts().TokenSource(ctx); err != nil {
		t.Errorf("TokenSource after sign-in = %v", err)
	}
}

// TestClose removes the demo directory.
func TestClose(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := demo.Start(ctx, demo.Config{SSHServer: demo.SSHBuiltin, NoRDP: true})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := os.Stat(w.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close, stat %s = %v, want it gone", w.Dir, err)
	}
}

// TestSerialOutput: running demo VMs have a boot log on serial port 1.
func TestSerialOutput(t *testing.T) {
	w := start(t, demo.Config{SSHServer: demo.SSHBuiltin, NoRDP: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, ref := range []app.InstanceRef{demo.LinuxVM, demo.WindowsVM} {
		out, err := w.Explorer.SerialOutput(ctx, ref, 1, 0)
		if err != nil || !strings.Contains(out.Contents, ref.Name) || out.Next != int64(len(out.Contents)) {
			t.Errorf("SerialOutput(%s) = %d bytes, next %d, %v; want a boot log naming the VM", ref.Name, len(out.Contents), out.Next, err)
		}
	}
}
