package gcetest_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	oslogin "google.golang.org/api/oslogin/v1"

	"iapdesk/app/gcetest"
)

// managed returns a gcloud-style expiring ssh-keys line.
func managed(user, key, email string, expire time.Time) string {
	return user + ":" + key + ` google-ssh {"userName":"` + email + `","expireOn":"` + expire.UTC().Format("2006-01-02T15:04:05-0700") + `"}`
}

func TestAuthorizedKeys(t *testing.T) {
	instKey, projKey, expiredKey, otherKey, legacyKey := "ssh-ed25519 AAAAinst", "ssh-ed25519 AAAAproj", "ssh-ed25519 AAAAold", "ssh-ed25519 AAAAother", "ssh-rsa AAAAlegacy"
	future, past := time.Now().Add(time.Hour), time.Now().Add(-time.Hour)
	projectKeys := gcetest.MetadataItem{Key: "ssh-keys", Value: "alice:" + projKey + " alice@laptop\nbob:" + otherKey}
	instanceKeys := gcetest.MetadataItem{Key: "ssh-keys", Value: managed("alice", instKey, "alice@example.com", future) + "\n" +
		managed("alice", expiredKey, "alice@example.com", past) + "\n" + "garbage line"}
	tests := []struct {
		name     string
		project  []gcetest.MetadataItem
		instance []gcetest.MetadataItem
		want     []string
	}{
		{"instance and project", []gcetest.MetadataItem{projectKeys}, []gcetest.MetadataItem{instanceKeys},
			[]string{instKey + ` google-ssh {"userName":"alice@example.com","expireOn":"` + future.UTC().Format("2006-01-02T15:04:05-0700") + `"}`, projKey + " alice@laptop"}},
		{"project keys blocked", []gcetest.MetadataItem{projectKeys}, []gcetest.MetadataItem{instanceKeys, {Key: "block-project-ssh-keys", Value: "TRUE"}},
			[]string{instKey + ` google-ssh {"userName":"alice@example.com","expireOn":"` + future.UTC().Format("2006-01-02T15:04:05-0700") + `"}`}},
		{"blocked at project level", []gcetest.MetadataItem{projectKeys, {Key: "block-project-ssh-keys", Value: "true"}}, nil, nil},
		{"instance unblocks", []gcetest.MetadataItem{projectKeys, {Key: "block-project-ssh-keys", Value: "true"}},
			[]gcetest.MetadataItem{{Key: "block-project-ssh-keys", Value: "false"}}, []string{projKey + " alice@laptop"}},
		{"legacy sshKeys blocks project keys", []gcetest.MetadataItem{projectKeys},
			[]gcetest.MetadataItem{{Key: "sshKeys", Value: "alice:" + legacyKey}}, []string{legacyKey}},
		{"os login ignores metadata keys", []gcetest.MetadataItem{projectKeys, {Key: "enable-oslogin", Value: "TRUE"}}, []gcetest.MetadataItem{instanceKeys}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{{ID: "keys-project", Metadata: tc.project,
				Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a", Metadata: tc.instance}}}}})
			got, err := srv.AuthorizedKeys("keys-project", "us-central1-a", "vm-1", "alice")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("AuthorizedKeys(alice) = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAuthorizedKeysOSLogin goes through the HTTP endpoint an sshd
// AuthorizedKeysCommand would curl.
func TestAuthorizedKeysOSLogin(t *testing.T) {
	srv := newServer(t, gcetest.Config{AccessToken: "tok", Projects: []gcetest.Project{{ID: "oslogin-project",
		Metadata:  []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "TRUE"}},
		Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a"}}}}})
	svc, err := oslogin.NewService(context.Background(), srv.OSLoginOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	key := newSSHKey(t)
	if _, err := svc.Users.ImportSshPublicKey("users/alice@example.com", &oslogin.SshPublicKey{Key: key,
		ExpirationTimeUsec: time.Now().Add(time.Hour).UnixMicro()}).Do(); err != nil {
		t.Fatal(err)
	}
	expired := newSSHKey(t)
	if _, err := svc.Users.ImportSshPublicKey("users/alice@example.com", &oslogin.SshPublicKey{Key: expired,
		ExpirationTimeUsec: time.Now().Add(-time.Hour).UnixMicro()}).Do(); err != nil {
		t.Fatal(err)
	}
	get := func(query string) (int, string) {
		t.Helper()
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/iapdesk-test/authorized-keys?"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer tok") // as the demo's AuthorizedKeysCommand sends it
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("project=oslogin-project&zone=us-central1-a&instance=vm-1&user=alice_example_com")
	if code != http.StatusOK || strings.TrimSpace(body) != key {
		t.Errorf("authorized-keys = %d %q, want 200 and only the unexpired key %q", code, body, key)
	}
	if code, _ := get("project=oslogin-project&zone=us-central1-a&instance=nope&user=x"); code != http.StatusNotFound {
		t.Errorf("authorized-keys for an unknown VM = %d, want 404", code)
	}
	if code, _ := get("project=oslogin-project"); code != http.StatusBadRequest {
		t.Errorf("authorized-keys without all parameters = %d, want 400", code)
	}
}
