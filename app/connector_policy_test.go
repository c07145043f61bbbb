package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/app/gce"
	"iapdesk/app/gcetest"
	"iapdesk/app/settings"
	"iapdesk/platform"
	"iapdesk/tunnel"
)

// policyEnv is a Connector over real saved connections (a config store in
// t.TempDir(), a memory keyring) whose tunnels and launcher are never used:
// the tests call Prepare, the connect policy alone.
type policyEnv struct {
	*profilesEnv
	c   *app.Connector
	vms instanceTable
}

// instanceTable is an InstanceGetter over fixed VMs; others are not found,
// and those named "unreadable…" cannot be read (no compute.instances.get).
type instanceTable map[app.InstanceRef]app.Instance

func (t instanceTable) GetInstance(_ context.Context, ref app.InstanceRef) (*app.Instance, error) {
	in, ok := t[ref]
	if !ok && strings.HasPrefix(ref.Name, "unreadable") {
		return nil, fmt.Errorf("get %s: %w", ref, app.ErrPermissionDenied)
	}
	if !ok {
		return nil, fmt.Errorf("get %s: %w", ref, app.ErrInstanceNotFound)
	}
	return &in, nil
}

func newPolicyEnv(t *testing.T, cfg app.ConnectorConfig) *policyEnv {
	t.Helper()
	e := &policyEnv{profilesEnv: newProfilesEnv(t), vms: instanceTable{}}
	tunnels, err := app.NewTunnels(app.TunnelsConfig{Dialer: &tunnel.Dialer{TokenSource: staticToken{}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tunnels.Shutdown)
	launcher, err := platform.New(platform.Config{ConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tunnels, cfg.Launcher, cfg.Logger = tunnels, launcher, slog.New(slog.DiscardHandler)
	cfg.Profiles, cfg.Passwords = e.ps, e.creds
	if cfg.Instances == nil {
		cfg.Instances = e.vms
	}
	if e.c, err = app.NewConnector(cfg); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestConnectorResolvesSettings: a request takes its settings from the
// project → zone → VM → profile levels and the request's overrides (an
// iap-rdp link), its password from the keyring (the profile's, else the
// VM's), and a VM known only by name is read first.
func TestConnectorResolvesSettings(t *testing.T) {
	e := newPolicyEnv(t, app.ConnectorConfig{})
	ctx := context.Background()
	ref := app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "iis-prod-01"}
	e.vms[ref] = app.Instance{InstanceRef: ref, Status: "RUNNING", OS: app.OSWindows, ID: 42}
	if err := e.ps.SaveSettings(ctx, settings.ProjectScope(ref.Project), settings.Settings{
		RDP: settings.RDPSettings{Domain: settings.Some("ACME"), ColorDepth: settings.Some(16)}}); err != nil {
		t.Fatal(err)
	}
	if err := e.ps.SaveSettings(ctx, ref.Scope(), settings.Settings{
		RDP: settings.RDPSettings{Username: settings.Some("vm-user")}, Tunnel: settings.TunnelSettings{KeepOpen: settings.Some(true)}}); err != nil {
		t.Fatal(err)
	}
	if err := e.creds.SetRDPPassword(ctx, app.InstanceSecret(ref), "vm-pass"); err != nil {
		t.Fatal(err)
	}
	p := sampleProfile("IIS")
	p.Settings.RDP.Username = settings.Some("profile-user")
	p.Settings.RDP.ColorDepth = settings.Some(32)
	p = e.add(t, p)

	// The profile has no password of its own: the VM's is used; the VM,
	// known by the profile only, is read.
	req, err := e.c.Prepare(ctx, app.Request{ProfileID: p.ID}, nil)
	if err != nil {
		t.Fatalf("Prepare(profile) = %v", err)
	}
	if req.Instance.ID != 42 || req.Protocol != app.ProtocolRDP || req.Port != 3389 || !req.KeepOpen {
		t.Errorf("Prepare(profile) = %+v, want the VM read by name, RDP on 3389, kept open", req)
	}
	if req.RDP.Username != "profile-user" || req.RDP.Domain != "ACME" || req.RDP.Options.ColorDepth != 32 || req.RDP.Password != "vm-pass" {
		t.Errorf("Prepare(profile).RDP = %+v (password set: %v), want profile-user/ACME/32 with the VM's password", req.RDP, req.RDP.Password != "")
	}
	if err := e.creds.SetRDPPassword(ctx, app.ProfileSecret(p.ID), "profile-pass"); err != nil {
		t.Fatal(err)
	}
	if req, _ = e.c.Prepare(ctx, app.Request{ProfileID: p.ID}, nil); req.RDP.Password != platform.Password("profile-pass") {
		t.Errorf("Prepare(profile with a password) password = set %v, want the profile's", req.RDP.Password != "")
	}

	req, err = e.c.Prepare(ctx, app.Request{Instance: e.vms[ref]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.Protocol != app.ProtocolRDP || req.RDP.Username != "vm-user" || req.RDP.Options.ColorDepth != 16 || req.RDP.Password != "vm-pass" {
		t.Errorf("Prepare(VM) = %+v, want the VM's levels", req)
	}

	u, err := app.ParseIAPRDPURL("iap-rdp:///acme-prod-web/us-central1-a/iis-prod-01?username=link-user&ColorDepth=1&RdpPort=13389")
	if err != nil {
		t.Fatal(err)
	}
	req, err = e.c.Prepare(ctx, app.Request{Instance: app.Instance{InstanceRef: u.Instance}, Protocol: app.ProtocolRDP,
		Port: u.Port, Overrides: u.Settings}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.RDP.Username != "link-user" || req.RDP.Options.ColorDepth != 24 || req.Port != 13389 || req.RDP.Domain != "ACME" {
		t.Errorf("Prepare(link) = %+v, want the link's username, colour depth and port over the saved domain", req)
	}

	onprem := e.add(t, app.Profile{Name: "host", Protocol: app.ProfileSSH,
		Target: app.ProfileTarget{Project: "acme-prod-web", Region: "us-central1", Network: "default", Host: "10.0.0.1", DestGroup: "g"}})
	if _, err := e.c.Prepare(ctx, app.Request{ProfileID: onprem.ID}, nil); !errors.Is(err, app.ErrUnsupportedTarget) {
		t.Errorf("Prepare(on-prem profile) = %v, want ErrUnsupportedTarget", err)
	}
}

// TestConnectorReadsUnknownVM: a VM named only is read from Compute
// Engine: a stopped one, or one that does not exist, is refused before
// anything else (no credentials are asked for); one that cannot be read is
// connected to by name, its OS guessed from the protocol.
func TestConnectorReadsUnknownVM(t *testing.T) {
	e := newPolicyEnv(t, app.ConnectorConfig{SSH: app.SSHParams{Username: "me"}})
	ctx := context.Background()
	stopped := app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "stopped-vm"}
	e.vms[stopped] = app.Instance{InstanceRef: stopped, Status: "TERMINATED", OS: app.OSLinux}
	for _, cli := range []bool{false, true} {
		_, err := e.c.Prepare(ctx, app.Request{Instance: app.Instance{InstanceRef: stopped}, CommandLine: cli}, nil)
		var ue *app.UserError
		if !errors.Is(err, app.ErrInstanceNotRunning) || !errors.As(err, &ue) || strings.Contains(ue.Fix, "gcloud") != cli {
			t.Errorf("Prepare(stopped VM, command line %v) = %v, want ErrInstanceNotRunning with a fix for that surface", cli, err)
		}
	}
	missing := app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "no-such-vm"}
	for _, cli := range []bool{false, true} {
		prompt := &recordingPrompter{creds: app.RDPParams{Username: "u", Password: "p"}}
		_, err := e.c.Prepare(ctx, app.Request{Instance: app.Instance{InstanceRef: missing}, Protocol: app.ProtocolRDP, CommandLine: cli}, prompt)
		var ue *app.UserError
		if !errors.Is(err, app.ErrInstanceNotFound) || !errors.As(err, &ue) || !strings.Contains(ue.Why, "does not exist") ||
			strings.Contains(ue.Fix, "--zone") != cli {
			t.Errorf("Prepare(missing VM, command line %v) = %v, want ErrInstanceNotFound saying so for that surface", cli, err)
		}
		if n := prompt.count(); n != 0 {
			t.Errorf("Prepare(missing VM) asked for credentials %d times, want none", n)
		}
	}
	unknown := app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "unreadable"}
	tests := []struct {
		proto  app.Protocol
		wantOS app.OS
	}{{app.ProtocolSSH, app.OSLinux}, {app.ProtocolAuto, app.OSLinux}, {app.ProtocolRDP, app.OSWindows}}
	for _, tc := range tests {
		req, err := e.c.Prepare(ctx, app.Request{Instance: app.Instance{InstanceRef: unknown}, Protocol: tc.proto,
			RDP: app.RDPParams{Username: "u", Password: "p"}}, nil)
		if err != nil || req.Instance.OS != tc.wantOS || req.Instance.InstanceRef != unknown {
			t.Errorf("Prepare(unreadable VM, %v) = %+v, %v; want it by name as %v", tc.proto, req.Instance, err, tc.wantOS)
		}
	}
}

// recordingPrompter answers RDPCredentials with creds and save, and
// records what it was asked.
type recordingPrompter struct {
	mu    sync.Mutex // guards asked
	asked []app.CredentialPrompt
	creds app.RDPParams
	save  bool
	err   error
}

func (p *recordingPrompter) RDPCredentials(_ context.Context, cp app.CredentialPrompt) (app.RDPParams, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, cp)
	return p.creds, p.save, p.err
}

func (p *recordingPrompter) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.asked)
}

// TestConnectorPromptsForRDPCredentials: without a saved password the
// caller's prompter is asked; with "save" the password goes to the keyring
// under the VM (or the profile) and the user name and domain to its
// settings, so the next connect asks nothing. Unsaved, nothing is kept; a
// declined prompt and a missing prompter are ErrCredentialsRequired.
func TestConnectorPromptsForRDPCredentials(t *testing.T) {
	tests := []struct {
		name    string
		profile bool
		save    bool
	}{
		{"vm, saved", false, true},
		{"vm, not saved", false, false},
		{"profile, saved", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newPolicyEnv(t, app.ConnectorConfig{})
			ctx := context.Background()
			ref := app.InstanceRef{Project: "acme-prod-web", Zone: "us-central1-a", Name: "iis-prod-01"}
			inst := app.Instance{InstanceRef: ref, Status: "RUNNING", OS: app.OSWindows}
			req := app.Request{Instance: inst}
			key := app.InstanceSecret(ref)
			if tc.profile {
				p := e.add(t, sampleProfile("IIS"))
				req, key = app.Request{Instance: inst, ProfileID: p.ID}, app.ProfileSecret(p.ID)
			}
			if _, err := e.c.Prepare(ctx, req, nil); !errors.Is(err, app.ErrCredentialsRequired) {
				t.Fatalf("Prepare without a prompter = %v, want ErrCredentialsRequired", err)
			}
			prompt := &recordingPrompter{creds: app.RDPParams{Username: "admin", Domain: "CORP", Password: "s3cret"}, save: tc.save}
			got, err := e.c.Prepare(ctx, req, prompt)
			if err != nil {
				t.Fatalf("Prepare = %v", err)
			}
			if got.RDP.Username != "admin" || got.RDP.Domain != "CORP" || got.RDP.Password != "s3cret" {
				t.Errorf("Prepare().RDP = %q %q (password set %v), want the typed credentials", got.RDP.Username, got.RDP.Domain, got.RDP.Password != "")
			}
			if prompt.count() != 1 || !prompt.asked[0].CanSave || prompt.asked[0].ProfileID != req.ProfileID ||
				!errors.Is(prompt.asked[0].Reason, app.ErrCredentialsRequired) {
				t.Errorf("prompter asked %+v, want once, for the profile %q, with saving offered", prompt.asked, req.ProfileID)
			}
			v, err := e.secrets.Get(ctx, string(key))
			if tc.save != (err == nil && v == "s3cret") {
				t.Errorf("keyring %s = %q, %v; want the password saved = %v", key, v, err, tc.save)
			}
			got, err = e.c.Prepare(ctx, req, prompt)
			if tc.save && (err != nil || prompt.count() != 1 || got.RDP.Username != "admin" || got.RDP.Domain != "CORP") {
				t.Errorf("second Prepare = %+v, %v after %d prompts; want the saved credentials, no prompt", got.RDP, err, prompt.count())
			}
			if !tc.save && prompt.count() != 2 {
				t.Errorf("second Prepare prompted %d times in all, want 2: nothing was saved", prompt.count())
			}
			declined := &recordingPrompter{err: app.ErrCredentialsRequired}
			if !tc.save {
				if _, err := e.c.Prepare(ctx, req, declined); !errors.Is(err, app.ErrCredentialsRequired) {
					t.Errorf("Prepare with a declined prompt = %v, want ErrCredentialsRequired", err)
				}
			}
		})
	}
}

// TestConnectorPublishesSSHKey: an SSH connect generates iapdesk's key in
// the config directory (of the ssh.keyType setting), publishes it for the
// signed-in account (the fake VM then accepts it) and logs in as the
// derived user with the default known_hosts; without an account, or with a
// key file of the caller's, nothing is published.
func TestConnectorPublishesSSHKey(t *testing.T) {
	const account = "alice@example.com"
	ref := app.InstanceRef{Project: "acme-dev-sandbox", Zone: "us-central1-a", Name: "vm-1"}
	srv, err := gcetest.NewServer(gcetest.Config{OperationDelay: time.Millisecond, Projects: []gcetest.Project{
		{ID: ref.Project, Instances: []gcetest.Instance{{Name: ref.Name, Zone: ref.Zone, OS: gcetest.Linux}}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ctx := context.Background()
	pub, err := gce.NewSSHPublisher(ctx, gce.SSHPublisherConfig{API: fakeAPI(srv), RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	comp, err := gce.NewCompute(ctx, gce.ComputeConfig{API: fakeAPI(srv)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keys, err := app.NewSSHKeys(app.SSHKeysConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defaults := app.SSHParams{Username: "local-user", KnownHostsFile: "/test/known_hosts", StrictHostKeyChecking: "yes"}
	e := newPolicyEnv(t, app.ConnectorConfig{Instances: comp, SSHKeys: keys, Publisher: pub, Account: account, SSH: defaults})
	if err := e.ps.SaveSettings(ctx, settings.ProjectScope(ref.Project), settings.Settings{
		SSH: settings.SSHSettings{KeyType: settings.Some(settings.KeyTypeRSA)}}); err != nil {
		t.Fatal(err)
	}

	req, err := e.c.Prepare(ctx, app.Request{Instance: app.Instance{InstanceRef: ref}}, nil)
	if err != nil {
		t.Fatalf("Prepare(ssh) = %v", err)
	}
	r := req.SSH
	wantUser := app.POSIXUsername(account)
	if req.Protocol != app.ProtocolSSH || r.Username != wantUser || !strings.HasPrefix(r.KeyFile, dir) ||
		r.KnownHostsFile != "/test/known_hosts" || r.StrictHostKeyChecking != "yes" {
		t.Errorf("Prepare(ssh).SSH = %+v, want %s with a key in %s and the default known_hosts", r, wantUser, dir)
	}
	key, ok, err := keys.Load(app.SSHKeyRSA)
	if err != nil || !ok || key.PrivateKeyFile != r.KeyFile {
		t.Fatalf("no RSA key (the ssh.keyType setting) after connecting: %v", err)
	}
	accepted, err := srv.AuthorizedKeys(ref.Project, ref.Zone, ref.Name, wantUser)
	if err != nil {
		t.Fatal(err)
	}
	wire := strings.Join(strings.Fields(key.AuthorizedKey())[:2], " ")
	if !slices.ContainsFunc(accepted, func(k string) bool { return strings.HasPrefix(k, wire) }) {
		t.Errorf("the VM accepts %q for %s, want iapdesk's key among them", accepted, wantUser)
	}

	own := app.Request{Instance: app.Instance{InstanceRef: ref}, SSH: app.SSHParams{KeyFile: "/my/key", Username: "bob"}}
	if req, err := e.c.Prepare(ctx, own, nil); err != nil || req.SSH.KeyFile != "/my/key" || req.SSH.Username != "bob" {
		t.Errorf("Prepare(own key) = %+v, %v; want the caller's key and user, nothing published", req.SSH, err)
	}
	anon := newPolicyEnv(t, app.ConnectorConfig{Instances: comp, SSHKeys: keys, Publisher: pub, SSH: defaults})
	if req, err := anon.c.Prepare(ctx, app.Request{Instance: app.Instance{InstanceRef: ref}}, nil); err != nil || req.SSH.Username != "local-user" {
		t.Errorf("Prepare(no account) = %+v, %v; want the default user, nothing published", req.SSH, err)
	}
}
