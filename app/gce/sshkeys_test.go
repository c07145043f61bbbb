package gce_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"iapdesk/app"
	"iapdesk/app/gce"
	"iapdesk/app/gcetest"
)

const (
	sshProject = "acme-dev-sandbox"
	sshZone    = "us-central1-a"
	sshAccount = "alice@example.com"
)

// sshFake starts gcetest with one Linux VM "vm-1".
func sshFake(t *testing.T, project gcetest.Project, instMeta []gcetest.MetadataItem, users ...gcetest.OSLoginUser) *gcetest.Server {
	t.Helper()
	project.ID = sshProject
	project.Instances = []gcetest.Instance{{Name: "vm-1", Zone: sshZone, Metadata: instMeta}}
	srv, err := gcetest.NewServer(gcetest.Config{OperationDelay: time.Millisecond, Projects: []gcetest.Project{project}, OSLoginUsers: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func newPublisher(t *testing.T, srv *gcetest.Server, now func() time.Time) *gce.SSHPublisher {
	t.Helper()
	p, err := gce.NewSSHPublisher(context.Background(), gce.SSHPublisherConfig{
		API: fakeAPI(srv), RetryDelay: time.Millisecond, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testSSHKey(t *testing.T) app.SSHKey {
	t.Helper()
	ks, err := app.NewSSHKeys(app.SSHKeysConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	k, err := ks.Key(context.Background(), app.SSHKeyEd25519)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// accepts reports whether the fake VM would let user in with key.
func accepts(t *testing.T, srv *gcetest.Server, user string, key app.SSHKey) bool {
	t.Helper()
	lines, err := srv.AuthorizedKeys(sshProject, sshZone, "vm-1", user)
	if err != nil {
		t.Fatal(err)
	}
	wire := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key.PublicKey)))
	return slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, wire) })
}

func metadataValue(items []gcetest.MetadataItem, key string) string {
	for _, it := range items {
		if it.Key == key {
			return it.Value
		}
	}
	return ""
}

func TestSSHPublishMetadata(t *testing.T) {
	tests := []struct {
		name       string
		project    gcetest.Project
		inst       []gcetest.MetadataItem
		username   string
		wantMethod app.PublishMethod
		wantUser   string
	}{
		{"project metadata", gcetest.Project{}, nil, "", app.PublishProjectMetadata, "alice"},
		{"preferred username", gcetest.Project{}, nil, "deploy", app.PublishProjectMetadata, "deploy"},
		{"VM blocks project keys", gcetest.Project{}, []gcetest.MetadataItem{{Key: "block-project-ssh-keys", Value: "true"}}, "", app.PublishInstanceMetadata, "alice"},
		{"project blocks project keys", gcetest.Project{Metadata: []gcetest.MetadataItem{{Key: "block-project-ssh-keys", Value: "Yes"}}}, nil, "", app.PublishInstanceMetadata, "alice"},
		{"VM unblocks", gcetest.Project{Metadata: []gcetest.MetadataItem{{Key: "block-project-ssh-keys", Value: "TRUE"}}},
			[]gcetest.MetadataItem{{Key: "block-project-ssh-keys", Value: "false"}}, "", app.PublishProjectMetadata, "alice"},
		{"legacy sshKeys on the VM", gcetest.Project{}, []gcetest.MetadataItem{{Key: "sshKeys", Value: "bob:ssh-rsa AAAAB3Nza bob"}}, "", app.PublishInstanceMetadata, "alice"},
		{"project not writable", gcetest.Project{Denied: []string{"compute.projects.setCommonInstanceMetadata"}}, nil, "", app.PublishInstanceMetadata, "alice"},
		{"OS Login off on the VM", gcetest.Project{Metadata: []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "TRUE"}}},
			[]gcetest.MetadataItem{{Key: "enable-oslogin", Value: "FALSE"}}, "", app.PublishProjectMetadata, "alice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := sshFake(t, tc.project, tc.inst)
			key := testSSHKey(t)
			if accepts(t, srv, tc.wantUser, key) {
				t.Fatal("key accepted before publishing")
			}
			got, err := newPublisher(t, srv, nil).Publish(context.Background(),
				app.PublishRequest{Instance: app.InstanceRef{Project: sshProject, Zone: sshZone, Name: "vm-1"}, Key: key, Account: sshAccount, Username: tc.username})
			if err != nil {
				t.Fatalf("Publish = %v", err)
			}
			if got.Method != tc.wantMethod || got.Username != tc.wantUser || got.KeyFile != key.PrivateKeyFile || got.Reused {
				t.Errorf("Publish() = %+v, want %s for %s", got, tc.wantMethod, tc.wantUser)
			}
			if d := time.Until(got.Expires); d < 23*time.Hour || d > 25*time.Hour {
				t.Errorf("Expires in %v, want about 24h", d)
			}
			if !accepts(t, srv, tc.wantUser, key) {
				t.Errorf("the VM does not accept the key for %s after Publish", tc.wantUser)
			}
			var items []gcetest.MetadataItem
			if tc.wantMethod == app.PublishProjectMetadata {
				items, _, _ = srv.ProjectMetadata(sshProject)
			} else {
				items, _, _ = srv.Metadata(sshProject, sshZone, "vm-1")
			}
			line := metadataValue(items, "ssh-keys")
			wantPrefix := tc.wantUser + ":" + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key.PublicKey))) +
				` google-ssh {"userName":"alice@example.com","expireOn":"`
			if !strings.HasPrefix(line, wantPrefix) || !strings.HasSuffix(line, `+0000"}`) {
				t.Errorf("ssh-keys = %q, want %q…+0000\"}", line, wantPrefix)
			}
			p := app.PublishedKey{Username: "u", KeyFile: "k"}.Params(app.SSHParams{ProxyCommand: true})
			if p.Username != "u" || p.KeyFile != "k" || !p.ProxyCommand {
				t.Errorf("Params() = %+v", p)
			}
		})
	}
}

func TestSSHPublishReuseAndCleanup(t *testing.T) {
	now := time.Now()
	past := now.Add(-time.Hour).UTC().Format("2006-01-02T15:04:05-0700")
	expired := `carol:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExpired google-ssh {"userName":"carol@example.com","expireOn":"` + past + `"}`
	unmanaged := "dave:ssh-rsa AAAAB3NzaC1yc2E dave@laptop"
	srv := sshFake(t, gcetest.Project{Metadata: []gcetest.MetadataItem{{Key: "ssh-keys", Value: expired + "\n" + unmanaged}}}, nil)
	clock := now
	pub := newPublisher(t, srv, func() time.Time { return clock })
	key := testSSHKey(t)
	req := app.PublishRequest{Instance: app.InstanceRef{Project: sshProject, Zone: sshZone, Name: "vm-1"}, Key: key, Account: sshAccount}
	ctx := context.Background()
	first, err := pub.Publish(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	items, _, _ := srv.ProjectMetadata(sshProject)
	lines := strings.Split(metadataValue(items, "ssh-keys"), "\n")
	if len(lines) != 2 || lines[0] != unmanaged || !strings.HasPrefix(lines[1], "alice:") {
		t.Errorf("ssh-keys = %q; want the expired key removed, dave's kept, ours added", lines)
	}

	second, err := pub.Publish(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Reused || !second.Expires.Equal(first.Expires) {
		t.Errorf("second Publish = %+v, want Reused with the same expiry", second)
	}
	if n := countFakeRequests(srv, "POST", "/setCommonInstanceMetadata"); n != 1 {
		t.Errorf("%d metadata writes after publishing twice, want 1", n)
	}

	// Past half its validity the key is published again, replacing the
	// old line.
	clock = now.Add(13 * time.Hour)
	third, err := pub.Publish(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if third.Reused || !third.Expires.After(first.Expires) {
		t.Errorf("Publish after 13h = %+v, want a new expiry", third)
	}
	items, _, _ = srv.ProjectMetadata(sshProject)
	if n := strings.Count(metadataValue(items, "ssh-keys"), "alice:"); n != 1 {
		t.Errorf("%d lines for alice's key, want 1", n)
	}
}

func TestSSHPublishOSLogin(t *testing.T) {
	oslogin := gcetest.Project{Metadata: []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "TRUE"}}}
	ref := app.InstanceRef{Project: sshProject, Zone: sshZone, Name: "vm-1"}
	t.Run("imports and logs in as the POSIX account", func(t *testing.T) {
		srv := sshFake(t, oslogin, nil, gcetest.OSLoginUser{Email: sshAccount, Username: "alice_example_com"})
		key := testSSHKey(t)
		got, err := newPublisher(t, srv, nil).Publish(context.Background(), app.PublishRequest{Instance: ref, Key: key, Account: sshAccount, Username: "ignored"})
		if err != nil {
			t.Fatalf("Publish = %v", err)
		}
		if got.Method != app.PublishOSLogin || got.Username != "alice_example_com" {
			t.Errorf("Publish() = %+v, want OS Login as alice_example_com", got)
		}
		if !accepts(t, srv, "alice_example_com", key) {
			t.Error("the VM does not accept the key after the OS Login import")
		}
		items, _, _ := srv.ProjectMetadata(sshProject)
		if metadataValue(items, "ssh-keys") != "" {
			t.Error("OS Login publishing wrote ssh-keys metadata")
		}
		for _, r := range srv.Requests() {
			if strings.HasSuffix(r.Path, ":importSshPublicKey") && r.Query["projectId"][0] != sshProject {
				t.Errorf("importSshPublicKey projectId = %v, want %s", r.Query["projectId"], sshProject)
			}
		}
	})
	t.Run("instance enables it", func(t *testing.T) {
		srv := sshFake(t, gcetest.Project{}, []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "y"}})
		got, err := newPublisher(t, srv, nil).Publish(context.Background(), app.PublishRequest{Instance: ref, Key: testSSHKey(t), Account: sshAccount})
		if err != nil || got.Method != app.PublishOSLogin || got.Username != "alice_example_com" {
			t.Errorf("Publish() = %+v, %v; want OS Login with the derived profile name", got, err)
		}
	})
	t.Run("key management disabled", func(t *testing.T) {
		srv := sshFake(t, oslogin, nil, gcetest.OSLoginUser{Email: sshAccount, KeyManagementDisabled: true})
		_, err := newPublisher(t, srv, nil).Publish(context.Background(), app.PublishRequest{Instance: ref, Key: testSSHKey(t), Account: sshAccount})
		var ue *app.UserError
		if !errors.Is(err, app.ErrOSLoginKeyRejected) || !errors.As(err, &ue) || !strings.Contains(ue.Why, "administrator has disabled") {
			t.Errorf("Publish = %v, want ErrOSLoginKeyRejected with the server's details", err)
		}
	})
	t.Run("forbidden", func(t *testing.T) {
		srv := sshFake(t, oslogin, nil, gcetest.OSLoginUser{Email: sshAccount, Forbidden: true})
		_, err := newPublisher(t, srv, nil).Publish(context.Background(), app.PublishRequest{Instance: ref, Key: testSSHKey(t), Account: sshAccount})
		if !errors.Is(err, app.ErrPermissionDenied) {
			t.Errorf("Publish = %v, want ErrPermissionDenied", err)
		}
	})
}

func TestSSHPublishErrors(t *testing.T) {
	ref := app.InstanceRef{Project: sshProject, Zone: sshZone, Name: "vm-1"}
	srv := sshFake(t, gcetest.Project{}, nil)
	pub := newPublisher(t, srv, nil)
	key := testSSHKey(t)
	tests := []struct {
		name string
		req  app.PublishRequest
		want error
	}{
		{"bad username", app.PublishRequest{Instance: ref, Key: key, Account: sshAccount, Username: "no spaces"}, app.ErrInvalidPOSIXUsername},
		{"missing VM", app.PublishRequest{Instance: app.InstanceRef{Project: sshProject, Zone: sshZone, Name: "gone"}, Key: key, Account: sshAccount}, app.ErrInstanceNotFound},
	}
	for _, tc := range tests {
		if _, err := pub.Publish(context.Background(), tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: Publish = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := pub.Publish(context.Background(), app.PublishRequest{Instance: ref, Key: key}); err == nil {
		t.Error("Publish without an account succeeded")
	}
}
