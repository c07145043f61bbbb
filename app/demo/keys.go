package demo

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"iapdesk/platform/atomicfile"
)

// sshKeys are the demo's SSH host key and user key, on disk in dir.
type sshKeys struct {
	host       ssh.Signer
	userPub    ssh.PublicKey
	hostKey    string // private host key file, for sshd
	userKey    string // private user key file, for ssh -i
	authorized string // authorized_keys holding the user key
	knownHosts string // known_hosts trusting the host key for every VM
}

// newSSHKeys generates both keys and writes them, with authorized_keys and
// known_hosts, to dir (0600 files).
func newSSHKeys(dir string) (*sshKeys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	k := &sshKeys{
		hostKey:    filepath.Join(dir, "ssh_host_ed25519_key"),
		userKey:    filepath.Join(dir, "id_ed25519"),
		authorized: filepath.Join(dir, "authorized_keys"),
		knownHosts: filepath.Join(dir, "known_hosts"),
	}
	hostSigner, hostPub, err := writeKey(k.hostKey, "iapdesk-demo-host")
	if err != nil {
		return nil, err
	}
	_, userPub, err := writeKey(k.userKey, "iapdesk-demo-user")
	if err != nil {
		return nil, err
	}
	k.host, k.userPub = hostSigner, userPub
	if err := atomicfile.Write(k.authorized, ssh.MarshalAuthorizedKey(userPub)); err != nil {
		return nil, err
	}
	// ssh checks host keys under HostKeyAlias=compute.<instance id>: one
	// wildcard line vouches for the demo server as every VM.
	line := "compute.* " + string(ssh.MarshalAuthorizedKey(hostPub))
	if err := atomicfile.Write(k.knownHosts, []byte(line)); err != nil {
		return nil, err
	}
	return k, nil
}

// writeKey generates an Ed25519 key, writes the private key in OpenSSH
// format to path and the public key to path.pub.
func writeKey(path, comment string) (ssh.Signer, ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate ssh key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, nil, fmt.Errorf("encode ssh key: %w", err)
	}
	if err := atomicfile.Write(path, pem.EncodeToMemory(block)); err != nil {
		return nil, nil, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	if err := atomicfile.Write(path+".pub", ssh.MarshalAuthorizedKey(sshPub)); err != nil {
		return nil, nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, nil, err
	}
	return signer, sshPub, nil
}
