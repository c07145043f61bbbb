package app

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func newHostKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestHostKeyChecker: the embedded client's known_hosts policy, as ssh's
// with HostKeyAlias=compute.<id>: a recorded key (plain, hashed or under a
// wildcard) passes whatever the policy; a changed key is refused even with
// "no"; an unknown key is refused with "yes", recorded with "accept-new"
// and "no", and with "ask" recorded only when the user says yes.
func TestHostKeyChecker(t *testing.T) {
	const alias = "compute.4711"
	key, other := newHostKey(t), newHostKey(t)
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50022}
	tests := []struct {
		name     string
		file     string // known_hosts before
		policy   string
		answer   bool // to "ask"
		wantErr  error
		recorded bool // the key is in the file after
	}{
		{"recorded", knownhosts.Line([]string{alias}, key), "yes", false, nil, true},
		{"recorded hashed", knownhosts.Line([]string{knownhosts.HashHostname(alias)}, key), "yes", false, nil, true},
		{"recorded under a wildcard", knownhosts.Line([]string{"compute.*"}, key), "yes", false, nil, true},
		{"changed", knownhosts.Line([]string{alias}, other), "no", false, ErrHostKeyChanged, false},
		{"another VM's key is not this one's", knownhosts.Line([]string{"compute.1"}, key), "yes", false, ErrHostKeyUnknown, false},
		{"unknown strict", "", "yes", false, ErrHostKeyUnknown, false},
		{"unknown accept-new", "", "accept-new", false, nil, true},
		{"unknown no", "", "no", false, nil, true},
		{"unknown ask yes", "", "ask", true, nil, true},
		{"unknown ask no", "", "", false, ErrHostKeyUnknown, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "known_hosts")
			if tc.file != "" {
				if err := os.WriteFile(file, []byte(tc.file+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			h := &hostKeyChecker{file: file, alias: alias, policy: tc.policy,
				confirm: func(fp string) (bool, error) {
					if fp != ssh.FingerprintSHA256(key) {
						t.Errorf("asked about %s, want the offered key's fingerprint", fp)
					}
					return tc.answer, nil
				}}
			err := h.callback("127.0.0.1:50022", addr, key)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("callback(%q, policy %q) = %v, want %v", tc.file, tc.policy, err, tc.wantErr)
			}
			// The file now vouches for the key exactly when it was recorded.
			if got, _ := h.lookup(key); got != tc.recorded {
				t.Errorf("after: known = %v, want %v", got, tc.recorded)
			}
			if fi, err := os.Stat(file); err == nil && fi.Mode().Perm() != 0o600 {
				t.Errorf("known_hosts mode %v, want 0600", fi.Mode().Perm())
			}
		})
	}
}

// TestHostKeyCheckerChangedNamesTheLine: the refusal of a changed key
// names the file and line of the old one, for the warning.
func TestHostKeyCheckerChangedNamesTheLine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known_hosts")
	content := knownhosts.Line([]string{"compute.1"}, newHostKey(t)) + "\n" + knownhosts.Line([]string{"compute.2"}, newHostKey(t)) + "\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &hostKeyChecker{file: file, alias: "compute.2", policy: "accept-new"}
	err := h.callback("x", nil, newHostKey(t))
	var he *HostKeyError
	if !errors.As(err, &he) || he.Line != 2 || he.File != file || !strings.HasPrefix(he.Fingerprint, "SHA256:") {
		t.Fatalf("callback = %#v, want a HostKeyError for line 2 of %s", err, file)
	}
	ue := hostKeyError(Request{Instance: Instance{InstanceRef: InstanceRef{Name: "vm"}}}, err)
	if !strings.Contains(ue.What, "WARNING") || !strings.Contains(ue.Fix, "ssh-keygen -R compute.2") {
		t.Errorf("hostKeyError = %+v, want a warning and the ssh-keygen -R fix", ue)
	}
}

// TestHostKeyAlgorithms: a VM with a recorded key is asked for a key of
// that type, as ssh does, so its other keys are not taken for a change.
func TestHostKeyAlgorithms(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(file, []byte(knownhosts.Line([]string{"compute.9"}, newHostKey(t))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := (&hostKeyChecker{file: file, alias: "compute.9"}).algorithms(); len(got) != 1 || got[0] != ssh.KeyAlgoED25519 {
		t.Errorf("algorithms() = %q, want [ssh-ed25519]", got)
	}
	if got := (&hostKeyChecker{file: file, alias: "compute.10"}).algorithms(); got != nil {
		t.Errorf("algorithms() of an unknown VM = %q, want nil (any)", got)
	}
}
