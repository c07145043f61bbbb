package app

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"iapdesk/platform/atomicfile"
)

// SSHKeyType is the type of a generated SSH key.
type SSHKeyType string

// Key types. Ed25519 is the default: small, fast, accepted by every
// supported guest. RSA (3072 bits, as IAP Desktop's RSA keys) is for old
// sshd builds.
const (
	SSHKeyEd25519 SSHKeyType = "ed25519"
	SSHKeyRSA     SSHKeyType = "rsa"
)

// rsaKeyBits is the size of generated RSA keys.
const rsaKeyBits = 3072

// SSHKeysConfig configures SSHKeys.
type SSHKeysConfig struct {
	// Dir is the configuration directory; keys live in Dir/ssh. Empty:
	// DefaultConfigDir().
	Dir string
	// Credentials keeps key passphrases; nil allows only keys without one.
	Credentials *Credentials
	// Comment ends the public key line; empty means "iapdesk".
	Comment string
}

// SSHKeys keeps iapdesk's own SSH key pairs, one per type, in OpenSSH
// format: Dir/ssh/id_ed25519 (0600) and id_ed25519.pub, likewise id_rsa. A
// passphrase, when set, is kept in the OS keyring only. Generation holds a
// file lock so two iapdesk processes never publish different keys.
type SSHKeys struct {
	dir     string
	creds   *Credentials
	comment string
}

// NewSSHKeys returns the key store; it does no I/O.
func NewSSHKeys(cfg SSHKeysConfig) (*SSHKeys, error) {
	dir := cfg.Dir
	if dir == "" {
		var err error
		if dir, err = DefaultConfigDir(); err != nil {
			return nil, err
		}
	}
	k := &SSHKeys{dir: filepath.Join(dir, "ssh"), creds: cfg.Credentials, comment: cfg.Comment}
	if k.comment == "" {
		k.comment = "iapdesk"
	}
	return k, nil
}

// SSHKey is a key pair on disk.
type SSHKey struct {
	Type           SSHKeyType
	PrivateKeyFile string // for ssh -i
	PublicKey      ssh.PublicKey
	Comment        string
}

// AuthorizedKey is the public key as an authorized_keys line without the
// newline: "ssh-ed25519 AAAA… comment".
func (k SSHKey) AuthorizedKey() string {
	s := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.PublicKey)))
	if k.Comment != "" {
		s += " " + k.Comment
	}
	return s
}

// Fingerprint is the key's SHA256 fingerprint, as ssh-keygen -l shows it.
func (k SSHKey) Fingerprint() string { return ssh.FingerprintSHA256(k.PublicKey) }

func (ks *SSHKeys) file(t SSHKeyType) (string, error) {
	switch t {
	case SSHKeyEd25519, "":
		return filepath.Join(ks.dir, "id_ed25519"), nil
	case SSHKeyRSA:
		return filepath.Join(ks.dir, "id_rsa"), nil
	}
	return "", fmt.Errorf("ssh key type %q: want ed25519 or rsa", t)
}

// Key returns the key of type t, generating it (without a passphrase) the
// first time.
func (ks *SSHKeys) Key(ctx context.Context, t SSHKeyType) (SSHKey, error) {
	var key SSHKey
	err := ks.locked(ctx, func() error {
		var ok bool
		var err error
		if key, ok, err = ks.load(t); err != nil || ok {
			return err
		}
		key, err = ks.generate(ctx, t, "")
		return err
	})
	return key, err
}

// Generate replaces the key of type t by a new one, encrypted with
// passphrase when it is not empty (the passphrase then goes to the
// keyring). Keys published before stop working when they expire.
func (ks *SSHKeys) Generate(ctx context.Context, t SSHKeyType, passphrase Passphrase) (SSHKey, error) {
	if passphrase != "" && ks.creds == nil {
		return SSHKey{}, errors.New("generate ssh key: a passphrase needs SSHKeysConfig.Credentials")
	}
	var key SSHKey
	err := ks.locked(ctx, func() error {
		var err error
		key, err = ks.generate(ctx, t, passphrase)
		return err
	})
	return key, err
}

// Load returns the key of type t if it exists.
func (ks *SSHKeys) Load(t SSHKeyType) (SSHKey, bool, error) { return ks.load(t) }

func (ks *SSHKeys) locked(ctx context.Context, fn func() error) error {
	unlock, err := atomicfile.Lock(ctx, filepath.Join(ks.dir, "keys.lock"))
	if err != nil {
		return fmt.Errorf("lock ssh keys: %w", err)
	}
	defer unlock()
	return fn()
}

func (ks *SSHKeys) load(t SSHKeyType) (SSHKey, bool, error) {
	path, err := ks.file(t)
	if err != nil {
		return SSHKey{}, false, err
	}
	// A crash between writing the private and the public file leaves half
	// a pair: that counts as no key, and the next Key generates a new one.
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return SSHKey{}, false, nil
	}
	b, err := os.ReadFile(path + ".pub")
	if errors.Is(err, fs.ErrNotExist) {
		return SSHKey{}, false, nil
	}
	if err != nil {
		return SSHKey{}, false, fmt.Errorf("read ssh public key: %w", err)
	}
	pub, comment, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return SSHKey{}, false, fmt.Errorf("parse ssh public key %s.pub: %w", path, err)
	}
	if t == "" {
		t = SSHKeyEd25519
	}
	return SSHKey{Type: t, PrivateKeyFile: path, PublicKey: pub, Comment: comment}, true, nil
}

func (ks *SSHKeys) generate(ctx context.Context, t SSHKeyType, passphrase Passphrase) (SSHKey, error) {
	path, err := ks.file(t)
	if err != nil {
		return SSHKey{}, err
	}
	var priv crypto.PrivateKey
	var pub crypto.PublicKey
	switch t {
	case SSHKeyRSA:
		k, err := rsa.GenerateKey(rand.Reader, rsaKeyBits)
		if err != nil {
			return SSHKey{}, fmt.Errorf("generate rsa key: %w", err)
		}
		priv, pub = k, &k.PublicKey
	default:
		t = SSHKeyEd25519
		p, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return SSHKey{}, fmt.Errorf("generate ed25519 key: %w", err)
		}
		priv, pub = k, p
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, ks.comment, []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(priv, ks.comment)
	}
	if err != nil {
		return SSHKey{}, fmt.Errorf("encode ssh private key: %w", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return SSHKey{}, fmt.Errorf("encode ssh public key: %w", err)
	}
	key := SSHKey{Type: t, PrivateKeyFile: path, PublicKey: sshPub, Comment: ks.comment}
	if passphrase != "" {
		// The passphrase goes first: a key file whose passphrase is lost
		// would be useless.
		if err := ks.creds.SetSSHPassphrase(ctx, path, passphrase); err != nil {
			return SSHKey{}, err
		}
	}
	if err := writeFileAtomic(path, pem.EncodeToMemory(block)); err != nil {
		return SSHKey{}, fmt.Errorf("save ssh private key: %w", err)
	}
	if err := writeFileAtomic(path+".pub", []byte(key.AuthorizedKey()+"\n")); err != nil {
		return SSHKey{}, fmt.Errorf("save ssh public key: %w", err)
	}
	return key, nil
}
