package gcetest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"math/big"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	"iapdesk/app/gcetest"
)

const (
	winProject = "win-project"
	winZone    = "europe-west1-b"
	winVM      = "win-1"
)

func winServer(t *testing.T, agent gcetest.AgentMode, meta ...gcetest.MetadataItem) (*gcetest.Server, *compute.Service) {
	t.Helper()
	srv := newServer(t, gcetest.Config{AgentDelay: 10 * time.Millisecond, OperationDelay: time.Millisecond,
		Projects: []gcetest.Project{{ID: winProject, Instances: []gcetest.Instance{
			{Name: winVM, Zone: winZone, OS: gcetest.Windows, Agent: agent, Metadata: meta},
			{Name: "linux-1", Zone: winZone},
		}}}})
	return srv, computeClient(t, srv)
}

var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err) // test setup
	}
	return k
}()

// keyLine is a windows-keys request line for testKey.
func keyLine(user, hashFn string, expire time.Time) (line, modulus string) {
	modulus = base64.StdEncoding.EncodeToString(testKey.N.Bytes())
	req := map[string]any{
		"userName": user, "email": user + "@example.com", "modulus": modulus,
		"exponent": base64.StdEncoding.EncodeToString(big.NewInt(int64(testKey.E)).Bytes()),
		"expireOn": expire.UTC().Format(time.RFC3339),
	}
	if hashFn != "" {
		req["hashFunction"] = hashFn
	}
	b, _ := json.Marshal(req)
	return string(b), modulus
}

// setWindowsKeys does the client's read-modify-write of instance metadata.
func setWindowsKeys(t *testing.T, svc *compute.Service, name, value string) {
	t.Helper()
	in, err := svc.Instances.Get(winProject, winZone, name).Do()
	if err != nil {
		t.Fatal(err)
	}
	md := in.Metadata
	md.Items = append(md.Items, &compute.MetadataItems{Key: "windows-keys", Value: &value})
	op, err := svc.Instances.SetMetadata(winProject, winZone, name, md).Do()
	if err != nil {
		t.Fatalf("SetMetadata: %v", err)
	}
	if _, err := svc.ZoneOperations.Wait(winProject, winZone, op.Name).Do(); err != nil {
		t.Fatal(err)
	}
}

type agentLine struct {
	ErrorMessage      string `json:"errorMessage"`
	EncryptedPassword string `json:"encryptedPassword"`
	UserName          string `json:"userName"`
	PasswordFound     bool   `json:"passwordFound"`
	Modulus           string `json:"modulus"`
	HashFunction      string `json:"hashFunction"`
}

// pollCOM4 polls serial port 4 the way a client does (start = previous
// next) until want lines with modulus showed up or d passes; it returns the
// lines found.
func pollCOM4(t *testing.T, svc *compute.Service, modulus string, want int, d time.Duration) []agentLine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var start int64
	var buf string
	var found []agentLine
	for {
		out, err := svc.Instances.GetSerialPortOutput(winProject, winZone, winVM).Port(4).Start(start).Context(ctx).Do()
		if err == nil {
			start = out.Next
			buf += out.Contents
			for {
				line, rest, ok := strings.Cut(buf, "\n")
				if !ok {
					break
				}
				buf = rest
				var l agentLine
				if json.Unmarshal([]byte(line), &l) == nil && l.Modulus == modulus {
					found = append(found, l)
				}
			}
			if len(found) >= want {
				return found
			}
		}
		select {
		case <-ctx.Done():
			return found
		case <-tick.C:
		}
	}
}

func TestWindowsAgentReply(t *testing.T) {
	tests := []struct {
		hashFn   string
		newHash  func() hash.Hash
		wantEcho string
	}{
		{"sha256", sha256.New, "sha256"},
		{"", sha1.New, ""}, // absent: SHA-1, not echoed (old agents)
		{"sha1", sha1.New, "sha1"},
	}
	for _, tc := range tests {
		t.Run("hash="+tc.hashFn, func(t *testing.T) {
			srv, svc := winServer(t, gcetest.AgentReply)
			line, mod := keyLine("alice", tc.hashFn, time.Now().Add(5*time.Minute))
			setWindowsKeys(t, svc, winVM, line)
			got := pollCOM4(t, svc, mod, 1, 5*time.Second)
			if len(got) != 1 {
				t.Fatalf("agent replies = %+v, want one", got)
			}
			r := got[0]
			if r.ErrorMessage != "" || !r.PasswordFound || r.UserName != "alice" || r.HashFunction != tc.wantEcho {
				t.Fatalf("reply = %+v, want a password for alice with hashFunction %q", r, tc.wantEcho)
			}
			ct, err := base64.StdEncoding.DecodeString(r.EncryptedPassword)
			if err != nil {
				t.Fatal(err)
			}
			pw, err := rsa.DecryptOAEP(tc.newHash(), nil, testKey, ct, nil)
			if err != nil {
				t.Fatalf("DecryptOAEP: %v", err)
			}
			u, ok := srv.WindowsUser(winProject, winZone, winVM, "alice")
			if !ok || u.Password != string(pw) || !u.Admin {
				t.Errorf("decrypted %q; agent user = %v (found %v), want the same password and an admin", pw, u, ok)
			}
			if len(pw) < 15 {
				t.Errorf("password length %d, want at least 15", len(pw))
			}
		})
	}
}

func TestWindowsAgentNoReply(t *testing.T) {
	future := time.Now().Add(5 * time.Minute)
	tests := []struct {
		name  string
		agent gcetest.AgentMode
		meta  []gcetest.MetadataItem
		line  func() (string, string)
	}{
		{"silent agent", gcetest.AgentSilent, nil, func() (string, string) { return keyLine("bob", "sha256", future) }},
		{"expired key", gcetest.AgentReply, nil, func() (string, string) { return keyLine("bob", "sha256", time.Now().Add(-time.Minute)) }},
		{"account manager disabled", gcetest.AgentReply, []gcetest.MetadataItem{{Key: "disable-account-manager", Value: "true"}},
			func() (string, string) { return keyLine("bob", "sha256", future) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, svc := winServer(t, tc.agent, tc.meta...)
			line, mod := tc.line()
			setWindowsKeys(t, svc, winVM, line)
			// Ten times the agent delay without an answer counts as none.
			if got := pollCOM4(t, svc, mod, 1, 100*time.Millisecond); len(got) != 0 {
				t.Errorf("agent replied %+v, want silence", got)
			}
			if _, ok := srv.WindowsUser(winProject, winZone, winVM, "bob"); ok {
				t.Errorf("user bob was created")
			}
		})
	}
}

func TestWindowsAgentFail(t *testing.T) {
	_, svc := winServer(t, gcetest.AgentFail)
	line, mod := keyLine("carol", "sha256", time.Now().Add(5*time.Minute))
	setWindowsKeys(t, svc, winVM, line)
	got := pollCOM4(t, svc, mod, 1, 5*time.Second)
	if len(got) != 1 || got[0].ErrorMessage == "" || got[0].EncryptedPassword != "" {
		t.Errorf("replies = %+v, want one errorMessage line without a password", got)
	}
}

func TestWindowsAgentOncePerKey(t *testing.T) {
	_, svc := winServer(t, gcetest.AgentReply)
	line, mod := keyLine("dave", "sha256", time.Now().Add(5*time.Minute))
	setWindowsKeys(t, svc, winVM, line)
	if got := pollCOM4(t, svc, mod, 1, 5*time.Second); len(got) != 1 {
		t.Fatalf("first request: %d replies, want 1", len(got))
	}
	// Re-sending the same line (plus an unrelated item) does nothing.
	in, err := svc.Instances.Get(winProject, winZone, winVM).Do()
	if err != nil {
		t.Fatal(err)
	}
	v := "bar"
	in.Metadata.Items = append(in.Metadata.Items, &compute.MetadataItems{Key: "foo", Value: &v})
	op, err := svc.Instances.SetMetadata(winProject, winZone, winVM, in.Metadata).Do()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ZoneOperations.Wait(winProject, winZone, op.Name).Do(); err != nil {
		t.Fatal(err)
	}
	if got := pollCOM4(t, svc, mod, 2, 100*time.Millisecond); len(got) != 1 {
		t.Errorf("after re-sending: %d replies on COM4, want still 1", len(got))
	}
}
