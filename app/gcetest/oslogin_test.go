package gcetest_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"google.golang.org/api/googleapi"
	oslogin "google.golang.org/api/oslogin/v1"

	"iapdesk/app/gcetest"
)

func osloginClient(t *testing.T, srv *gcetest.Server) *oslogin.Service {
	t.Helper()
	svc, err := oslogin.NewService(context.Background(), srv.OSLoginOptions()...)
	if err != nil {
		t.Fatalf("oslogin.NewService: %v", err)
	}
	return svc
}

// newSSHKey returns a fresh ed25519 public key in authorized_keys form.
func newSSHKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
}

func TestOSLoginImportProfileDelete(t *testing.T) {
	srv := newServer(t, gcetest.Config{})
	svc := osloginClient(t, srv)
	key := newSSHKey(t)
	exp := time.Now().Add(time.Hour).UnixMicro()
	resp, err := svc.Users.ImportSshPublicKey("users/alice@example.com",
		&oslogin.SshPublicKey{Key: key + " alice", ExpirationTimeUsec: exp}).ProjectId("my-project").Do()
	if err != nil {
		t.Fatalf("ImportSshPublicKey: %v", err)
	}
	p := resp.LoginProfile
	if len(p.PosixAccounts) != 1 || !p.PosixAccounts[0].Primary || p.PosixAccounts[0].Username != "alice_example_com" ||
		p.PosixAccounts[0].AccountId != "my-project" || p.PosixAccounts[0].OperatingSystemType != "LINUX" {
		t.Errorf("posixAccounts = %+v, want primary LINUX alice_example_com in my-project", p.PosixAccounts)
	}
	var fp string
	for k, v := range p.SshPublicKeys {
		if strings.Contains(v.Key, key) && v.ExpirationTimeUsec == exp && v.Fingerprint == k {
			fp = k
		}
	}
	if fp == "" {
		t.Fatalf("sshPublicKeys = %+v, want the imported key keyed by its fingerprint", p.SshPublicKeys)
	}
	prof, err := svc.Users.GetLoginProfile("users/alice@example.com").ProjectId("my-project").Do()
	if err != nil || len(prof.SshPublicKeys) != 1 {
		t.Fatalf("GetLoginProfile = %+v, %v; want the one key", prof, err)
	}
	keys, err := srv.AuthorizedKeys("", "", "", "") // no such instance
	if err == nil || keys != nil {
		t.Errorf("AuthorizedKeys(no instance) = %v, %v; want an error", keys, err)
	}
	if _, err := svc.Users.SshPublicKeys.Delete("users/alice@example.com/sshPublicKeys/" + fp).Do(); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	prof, err = svc.Users.GetLoginProfile("users/alice@example.com").Do()
	if err != nil || len(prof.SshPublicKeys) != 0 {
		t.Errorf("profile after delete = %+v, %v; want no keys", prof.SshPublicKeys, err)
	}
	_, err = svc.Users.SshPublicKeys.Delete("users/alice@example.com/sshPublicKeys/" + fp).Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusNotFound {
		t.Errorf("second Delete error = %v, want 404", err)
	}
}

func TestOSLoginPolicies(t *testing.T) {
	srv := newServer(t, gcetest.Config{OSLoginUsers: []gcetest.OSLoginUser{
		{Email: "locked@example.com", KeyManagementDisabled: true},
		{Email: "consumer@gmail.com", Forbidden: true},
		{Email: "custom@example.com", Username: "cu"},
	}})
	svc := osloginClient(t, srv)
	key := newSSHKey(t)
	resp, err := svc.Users.ImportSshPublicKey("users/locked@example.com", &oslogin.SshPublicKey{Key: key}).Do()
	if err != nil {
		t.Fatalf("ImportSshPublicKey(locked): %v", err)
	}
	if len(resp.LoginProfile.SshPublicKeys) != 0 || resp.Details == "" {
		t.Errorf("import with key management disabled = keys %v details %q, want no key and an explanation", resp.LoginProfile.SshPublicKeys, resp.Details)
	}
	_, err = svc.Users.GetLoginProfile("users/consumer@gmail.com").Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusForbidden {
		t.Errorf("GetLoginProfile(forbidden user) error = %v, want 403", err)
	}
	prof, err := svc.Users.GetLoginProfile("users/custom@example.com").Do()
	if err != nil || prof.PosixAccounts[0].Username != "cu" {
		t.Errorf("custom username profile = %+v, %v; want username cu", prof, err)
	}
	_, err = svc.Users.ImportSshPublicKey("users/custom@example.com", &oslogin.SshPublicKey{Key: "not a key"}).Do()
	if !errors.As(err, &gerr) || gerr.Code != http.StatusBadRequest {
		t.Errorf("import of garbage error = %v, want 400", err)
	}
}
