package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"iapdesk/platform/atomicfile"
)

// Host key errors of the embedded SSH client.
var (
	// ErrHostKeyChanged reports a VM whose host key differs from the one
	// recorded in known_hosts: a re-created VM, or someone in the middle.
	// *HostKeyError unwraps to it.
	ErrHostKeyChanged = errors.New("host key changed")
	// ErrHostKeyUnknown reports a VM with no recorded host key while host
	// key checking is strict (StrictHostKeyChecking=yes) or the user
	// declined it.
	ErrHostKeyUnknown = errors.New("host key not known")
)

// HostKeyError is a host key that known_hosts does not vouch for.
type HostKeyError struct {
	Alias       string // compute.<id>: the name the key is recorded under
	File        string // the known_hosts file
	Fingerprint string // the key the VM offered, SHA256:…
	Line        int    // the line of the recorded key (ErrHostKeyChanged); 0 otherwise
	Err         error  // ErrHostKeyChanged or ErrHostKeyUnknown
}

func (e *HostKeyError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("host key of %s (%s) does not match %s:%d: %v", e.Alias, e.Fingerprint, e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("host key of %s (%s) in %s: %v", e.Alias, e.Fingerprint, e.File, e.Err)
}

// Unwrap returns ErrHostKeyChanged or ErrHostKeyUnknown.
func (e *HostKeyError) Unwrap() error { return e.Err }

// HostKeyAlias is the name a VM's host key is kept under in known_hosts,
// as ssh's HostKeyAlias=compute.<id> (platform.SSHSpec.HostKeyAlias): the
// VM's numeric ID, or its name when the ID is unknown. The embedded client
// and the system ssh read and write the same lines.
func HostKeyAlias(inst Instance) string { return "compute." + instanceID(inst) }

// hostKeyChecker checks host keys against a known_hosts file as ssh does
// with HostKeyAlias and StrictHostKeyChecking: a recorded key must match
// (whatever the policy: a changed key is always refused); an unknown key
// is refused with "yes", recorded with "accept-new" and "no", and with
// "ask" (or "") recorded once confirm says so.
type hostKeyChecker struct {
	file    string
	alias   string
	policy  string
	confirm func(fingerprint string) (bool, error) // nil: refuse like "yes"
	ctx     context.Context                        // bounds the file lock only
}

// callback is the ssh.HostKeyCallback. The address ssh dials is ignored:
// the tunnel's end is the VM, whatever local port it has.
func (h *hostKeyChecker) callback(_ string, _ net.Addr, key ssh.PublicKey) error {
	fp := ssh.FingerprintSHA256(key)
	known, err := h.lookup(key)
	if err == nil && known {
		return nil
	}
	var ke *knownhosts.KeyError
	if errors.As(err, &ke) && len(ke.Want) > 0 {
		return &HostKeyError{Alias: h.alias, File: h.file, Fingerprint: fp, Line: ke.Want[0].Line, Err: ErrHostKeyChanged}
	}
	if err != nil && !errors.As(err, &ke) {
		return fmt.Errorf("check host key of %s in %s: %w", h.alias, h.file, err)
	}
	switch h.policy {
	case "accept-new", "no":
	case "yes":
		return &HostKeyError{Alias: h.alias, File: h.file, Fingerprint: fp, Err: ErrHostKeyUnknown}
	default: // "ask", ""
		ok := false
		if h.confirm != nil {
			if ok, err = h.confirm(fp); err != nil {
				return err
			}
		}
		if !ok {
			return &HostKeyError{Alias: h.alias, File: h.file, Fingerprint: fp, Err: ErrHostKeyUnknown}
		}
	}
	return h.record(key)
}

// lookup reports whether the file vouches for key under the alias; a
// *knownhosts.KeyError with Want set means another key is recorded.
func (h *hostKeyChecker) lookup(key ssh.PublicKey) (bool, error) {
	if _, err := os.Stat(h.file); errors.Is(err, fs.ErrNotExist) {
		return false, &knownhosts.KeyError{}
	}
	cb, err := knownhosts.New(h.file)
	if err != nil {
		return false, err
	}
	// Port 22 normalises to the bare alias, which is what ssh writes
	// with HostKeyAlias.
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}
	if err := cb(h.alias+":22", addr, key); err != nil {
		return false, err
	}
	return true, nil
}

// algorithms are the host key algorithms of the keys recorded under the
// alias, best first, for ssh.ClientConfig.HostKeyAlgorithms: as ssh does,
// a VM with a recorded key is asked for a key of that type, so a VM that
// also has keys of other types is not mistaken for a changed one. Nil when
// none is recorded (any type is then accepted).
func (h *hostKeyChecker) algorithms() []string {
	_, err := h.lookup(probeKey)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil
	}
	var algos []string
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			algos = append(algos, t)
		}
	}
	return algos
}

// probeKey is a key no VM has: looking it up lists the recorded keys.
var probeKey = func() ssh.PublicKey {
	k, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		panic(err) // a fixed, valid key
	}
	return k
}()

// record appends the key under the alias, atomically and under a lock so a
// concurrent first connection to another VM is not lost.
func (h *hostKeyChecker) record(key ssh.PublicKey) error {
	ctx := h.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if err := os.MkdirAll(filepath.Dir(h.file), 0o700); err != nil {
		return fmt.Errorf("record host key of %s: %w", h.alias, err)
	}
	unlock, err := atomicfile.Lock(ctx, h.file+".lock")
	if err != nil {
		return fmt.Errorf("record host key of %s: %w", h.alias, err)
	}
	defer unlock()
	old, err := os.ReadFile(h.file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("record host key of %s: %w", h.alias, err)
	}
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		old = append(old, '\n')
	}
	line := knownhosts.Line([]string{h.alias}, key)
	if strings.Contains(string(old), line) {
		return nil
	}
	if err := writeFileAtomic(h.file, append(old, line+"\n"...)); err != nil {
		return fmt.Errorf("record host key of %s: %w", h.alias, err)
	}
	return nil
}
