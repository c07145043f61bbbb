package gce

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"iapdesk/app"
)

// maxFuzzSSHKeysLen bounds FuzzAddSSHKey's ssh-keys value: many lines fit,
// and the 256 KiB metadata limit is not this function's concern.
const maxFuzzSSHKeysLen = 16 << 10

// FuzzAddSSHKey feeds the ssh-keys metadata editor arbitrary values (any
// project member can write project metadata): it must not panic; the
// result holds our key for the user exactly once; an unchanged result is
// the old value without its blank lines; and adding the key to the result
// changes nothing, so a second connect does not write metadata again.
func FuzzAddSSHKey(f *testing.F) {
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public())
	if err != nil {
		f.Fatal(err)
	}
	key := app.SSHKey{Type: app.SSHKeyEd25519, PublicKey: pub}
	wire := strings.Fields(string(ssh.MarshalAuthorizedKey(pub)))
	const user, email = "alice", "alice@example.com"
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	ours := user + ":" + wire[0] + " " + wire[1]
	f.Add(ours + ` google-ssh {"userName":"alice@example.com","expireOn":"2024-05-01T20:00:00+0000"}`)
	f.Add(ours + ` google-ssh {"userName":"alice@example.com","expireOn":"2024-05-01T10:30:00Z"}` + "\n" + ours + " alice@laptop")
	f.Add("bob:ssh-rsa AAAAB3NzaC1yc2E bob@host\n\n  \ncarol:ssh-ed25519 AAAAC3Nz google-ssh {\"expireOn\":\"2020-01-01T00:00:00Z\"}\nnot a key")
	f.Add("")
	f.Fuzz(func(t *testing.T, old string) {
		if len(old) > maxFuzzSSHKeysLen {
			return
		}
		val, expires, changed := addSSHKey(old, key, user, email, now, app.DefaultSSHKeyValidity)
		n := 0
		for _, l := range strings.Split(val, "\n") {
			if k, ok := parseSSHKeyLine(l); ok && k.user == user && k.keyType == wire[0] && k.blob == wire[1] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("addSSHKey(%q) = %q with our key %d times, want once", old, val, n)
		}
		if !changed {
			var kept []string
			for _, l := range strings.Split(old, "\n") {
				if strings.TrimSpace(l) != "" {
					kept = append(kept, l)
				}
			}
			if want := strings.Join(kept, "\n"); val != want {
				t.Fatalf("addSSHKey(%q) = %q, unchanged; want %q", old, val, want)
			}
		}
		again, againExpires, changed := addSSHKey(val, key, user, email, now, app.DefaultSSHKeyValidity)
		if changed || again != val || !againExpires.Equal(expires) {
			t.Fatalf("addSSHKey(addSSHKey(%q)) = %q, expires %v, changed %v; want %q, expires %v, unchanged",
				old, again, againExpires, changed, val, expires)
		}
	})
}
