package app_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"iapdesk/app"
	"iapdesk/auth/authtest"
)

func TestSSHKeys(t *testing.T) {
	dir := t.TempDir()
	secrets := authtest.NewMemStore()
	creds, err := app.NewCredentials(secrets)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := app.NewSSHKeys(app.SSHKeysConfig{Dir: dir, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		typ      app.SSHKeyType
		wireType string
		file     string
	}{
		{"", ssh.KeyAlgoED25519, "id_ed25519"},
		{app.SSHKeyRSA, ssh.KeyAlgoRSA, "id_rsa"},
	} {
		key, err := ks.Key(ctx, tc.typ)
		if err != nil {
			t.Fatalf("Key(%q) = %v", tc.typ, err)
		}
		if key.PublicKey.Type() != tc.wireType || !strings.HasSuffix(key.PrivateKeyFile, filepath.Join("ssh", tc.file)) {
			t.Errorf("Key(%q) = %s in %s, want %s in …/ssh/%s", tc.typ, key.PublicKey.Type(), key.PrivateKeyFile, tc.wireType, tc.file)
		}
		if runtime.GOOS != "windows" {
			fi, err := os.Stat(key.PrivateKeyFile)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("private key mode = %v, %v; want 0600", fi.Mode().Perm(), err)
			}
		}
		pem, err := os.ReadFile(key.PrivateKeyFile)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			t.Fatalf("private key of %q does not parse: %v", tc.typ, err)
		}
		if string(signer.PublicKey().Marshal()) != string(key.PublicKey.Marshal()) {
			t.Errorf("private and public key of %q do not match", tc.typ)
		}
		if !strings.HasPrefix(key.AuthorizedKey(), tc.wireType+" AAAA") || !strings.HasSuffix(key.AuthorizedKey(), " iapdesk") {
			t.Errorf("AuthorizedKey() = %q", key.AuthorizedKey())
		}
		again, err := ks.Key(ctx, tc.typ)
		if err != nil || again.Fingerprint() != key.Fingerprint() {
			t.Errorf("second Key(%q) = %s, %v; want the same key %s", tc.typ, again.Fingerprint(), err, key.Fingerprint())
		}
	}
	if rsaKey, _, _ := ks.Load(app.SSHKeyRSA); rsaKey.PublicKey != nil {
		if k, _ := ssh.ParsePublicKey(rsaKey.PublicKey.Marshal()); k == nil {
			t.Error("rsa key does not reparse")
		}
	}

	old, _ := ks.Key(ctx, app.SSHKeyEd25519)
	key, err := ks.Generate(ctx, app.SSHKeyEd25519, "correct horse")
	if err != nil {
		t.Fatalf("Generate(passphrase) = %v", err)
	}
	if key.Fingerprint() == old.Fingerprint() {
		t.Error("Generate kept the old key")
	}
	pem, _ := os.ReadFile(key.PrivateKeyFile)
	if _, err := ssh.ParseRawPrivateKey(pem); !errors.As(err, new(*ssh.PassphraseMissingError)) {
		t.Errorf("encrypted key parsed without a passphrase: %v", err)
	}
	pp, ok, err := creds.SSHPassphrase(ctx, key.PrivateKeyFile)
	if err != nil || !ok {
		t.Fatalf("SSHPassphrase = %v, %v", ok, err)
	}
	if _, err := ssh.ParseRawPrivateKeyWithPassphrase(pem, []byte(pp)); err != nil {
		t.Errorf("the keyring's passphrase does not decrypt the key: %v", err)
	}
	if got := (pp.String() + pp.GoString()); strings.Contains(got, "correct") {
		t.Errorf("Passphrase prints as %q", got)
	}
}

func TestPOSIXUsername(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "alice"},
		{"Alice.Smith@example.com", "alice_smith"},
		{"bob+test@example.com", "bob_test"},
		{"1st@example.com", "g1st"},
		{"@example.com", "user"},
		{"x-y_z@e", "x-y_z"},
		{strings.Repeat("a", 40) + "@example.com", strings.Repeat("a", 32)},
		{"émilie@example.com", "_milie"},
	}
	for _, tc := range tests {
		if got := app.POSIXUsername(tc.in); got != tc.want {
			t.Errorf("POSIXUsername(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if err := app.ValidatePOSIXUsername(app.POSIXUsername(tc.in)); err != nil {
			t.Errorf("ValidatePOSIXUsername(POSIXUsername(%q)) = %v", tc.in, err)
		}
	}
	for _, bad := range []string{"", "-x", "a b", "a:b", strings.Repeat("a", 33)} {
		if err := app.ValidatePOSIXUsername(bad); !errors.Is(err, app.ErrInvalidPOSIXUsername) {
			t.Errorf("ValidatePOSIXUsername(%q) = %v, want ErrInvalidPOSIXUsername", bad, err)
		}
	}
}
