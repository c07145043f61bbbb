package gce

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAppendWindowsKey(t *testing.T) {
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	entry := func(user string, expire time.Time) string {
		return fmt.Sprintf(`{"userName":%q,"expireOn":%q,"modulus":"m","exponent":"AQAB"}`, user, expire.Format(time.RFC3339))
	}
	valid, gone := now.Add(time.Minute), now.Add(-time.Minute)
	gcloudForm := `{"userName":"g","expireOn":"2024-05-01T10:04:00+0000","modulus":"m","exponent":"AQAB"}`
	tests := []struct {
		name string
		old  string
		want []string
	}{
		{"empty", "", []string{"NEW"}},
		{"keeps valid and foreign lines", entry("a", valid) + "\nnot json\n" + `{"noExpiry":true}`,
			[]string{entry("a", valid), "not json", `{"noExpiry":true}`, "NEW"}},
		{"drops expired", entry("old", gone) + "\n" + entry("a", valid), []string{entry("a", valid), "NEW"}},
		{"gcloud expiry format", gcloudForm, []string{gcloudForm, "NEW"}},
		{"unparseable expiry counts as expired", `{"expireOn":"tomorrow"}`, []string{"NEW"}},
		{"blank lines and spaces", "\n  " + entry("a", valid) + "  \n\n", []string{entry("a", valid), "NEW"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := appendWindowsKey(tc.old, "NEW", now)
			if want := strings.Join(tc.want, "\n"); got != want {
				t.Errorf("appendWindowsKey(%q) =\n%q\nwant\n%q", tc.old, got, want)
			}
		})
	}

	// Over 256 KiB the oldest entries go first, the new one always stays.
	big := strings.Repeat("x", 100<<10)
	old := strings.Join([]string{
		entry("oldest", valid) + big, entry("middle", valid) + big, entry("newer", valid) + big, entry("newest", valid),
	}, "\n")
	got := appendWindowsKey(old, entry("ours", valid), now)
	if len(got) > maxMetadataValue {
		t.Errorf("appendWindowsKey over the limit: %d bytes > %d", len(got), maxMetadataValue)
	}
	if strings.Contains(got, `"oldest"`) || !strings.Contains(got, `"middle"`) || !strings.HasSuffix(got, entry("ours", valid)) {
		t.Errorf("appendWindowsKey at the limit kept the wrong entries (%d bytes)", len(got))
	}
}

func TestReplyScanner(t *testing.T) {
	const mod = "ab/cd+ef=="
	ours := `{"encryptedPassword":"eA==","userName":"carol","passwordFound":true,"modulus":"ab/cd+ef==","hashFunction":"sha256"}` + "\n"
	escaped := `{"encryptedPassword":"eA==","userName":"carol","modulus":"ab\/cd+ef=="}` + "\n"
	other := `{"encryptedPassword":"eA==","userName":"bob","modulus":"zz"}` + "\n"
	tests := []struct {
		name   string
		chunks []string
		want   int // index of the chunk that completes our line; -1: never
	}{
		{"one chunk", []string{other + ours}, 0},
		{"split across reads", []string{other + ours[:20], ours[20:50], ours[50:]}, 2},
		{"old agent escapes slashes", []string{escaped}, 0},
		{"not terminated yet", []string{ours[:len(ours)-1]}, -1},
		{"other key only", []string{other, "noise\r\n"}, -1},
		{"modulus prefix of another", []string{strings.Replace(other, `"zz"`, `"ab/cd+ef==xx"`, 1)}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := replyScanner{modulus: mod}
			got := -1
			for i, c := range tc.chunks {
				if r, ok := sc.feed(c); ok {
					if r.UserName != "carol" || r.Modulus != mod {
						t.Errorf("feed() = %+v, want carol's reply", r)
					}
					got = i
					break
				}
			}
			if got != tc.want {
				t.Errorf("reply found at chunk %d, want %d", got, tc.want)
			}
		})
	}
}

func TestDecryptPasswordHashes(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const pw = `a~!@#$%^&*_-+=|\(){}[]:;<>,.?/Z9`
	sha1CT, _ := rsa.EncryptOAEP(sha1.New(), rand.Reader, &key.PublicKey, []byte(pw), nil)
	sha256CT, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, &key.PublicKey, []byte(pw), nil)
	enc := base64.StdEncoding.EncodeToString
	tests := []struct {
		name    string
		reply   agentReply
		wantErr bool
	}{
		{"old agent: no hash means sha1", agentReply{EncryptedPassword: enc(sha1CT)}, false},
		{"sha1 named", agentReply{EncryptedPassword: enc(sha1CT), HashFunction: "SHA1"}, false},
		{"sha256", agentReply{EncryptedPassword: enc(sha256CT), HashFunction: "sha256"}, false},
		{"wrong hash", agentReply{EncryptedPassword: enc(sha256CT)}, true},
		{"unknown hash", agentReply{EncryptedPassword: enc(sha256CT), HashFunction: "md5"}, true},
		{"not base64", agentReply{EncryptedPassword: "!!"}, true},
	}
	for _, tc := range tests {
		got, err := decryptPassword(key, tc.reply)
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != pw) {
			t.Errorf("%s: decryptPassword() = %q, %v; want error %v", tc.name, got, err, tc.wantErr)
		}
	}
}
