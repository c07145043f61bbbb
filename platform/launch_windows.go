package platform

import (
	"context"
	"encoding/binary"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"unicode/utf16"

	"github.com/danieljoos/wincred"
)

// hostOS selects the launch plans for this OS.
const hostOS = "windows"

// createNewConsole is CREATE_NEW_CONSOLE: the process gets its own console
// window, as `start` would give it, without cmd.exe parsing the arguments.
const createNewConsole = 0x00000010

func applySysAttr(cmd *exec.Cmd, sys sysAttr) {
	if sys.newConsole {
		cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: createNewConsole}
	}
}

// credLocks serialises launches that hand a credential to the same target:
// two mstsc starts to TERMSRV/127.0.0.1 must not overwrite each other's
// login before it was read.
var credLocks struct {
	mu   sync.Mutex               // guards held
	held map[string]chan struct{} // target → closed when released
}

// writeCredential stores the login as a session-only domain-password
// credential for the target (what mstsc itself saves for "Remember me"), so
// that mstsc logs in without a prompt and without the password on its
// command line. The returned func deletes it again; until then other
// launches to the same target wait (bounded by ctx).
func writeCredential(ctx context.Context, c *credential) (func() error, error) {
	release, err := lockTarget(ctx, c.target)
	if err != nil {
		return nil, err
	}
	cred := wincred.NewDomainPassword(c.target)
	cred.UserName = c.user
	cred.CredentialBlob = passwordBlob(c.password)
	defer clear(cred.CredentialBlob) // Write copied it
	cred.Persist = wincred.PersistSession
	cred.Comment = "iapdesk: temporary, removed after the Remote Desktop client read it"
	if err := cred.Write(); err != nil {
		release()
		return nil, fmt.Errorf("store the login for %s in the Windows Credential Manager: %w", c.target, err)
	}
	var once sync.Once
	return func() error {
		var err error
		once.Do(func() {
			defer release()
			if derr := cred.Delete(); derr != nil {
				err = fmt.Errorf("delete %s from the Windows Credential Manager: %w", c.target, derr)
			}
		})
		return err
	}, nil
}

// passwordBlob is a domain password's CredentialBlob: UTF-16LE without the
// terminating NUL, as the CREDENTIAL documentation requires for
// CRED_TYPE_DOMAIN_PASSWORD. (wincred's SetPassword keeps the NUL, which
// made the password mstsc logs in with one character longer.)
func passwordBlob(pw Password) []byte {
	u := utf16.Encode([]rune(string(pw)))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func lockTarget(ctx context.Context, target string) (func(), error) {
	for {
		credLocks.mu.Lock()
		if credLocks.held == nil {
			credLocks.held = map[string]chan struct{}{}
		}
		ch, busy := credLocks.held[target]
		if !busy {
			ch = make(chan struct{})
			credLocks.held[target] = ch
			credLocks.mu.Unlock()
			return func() {
				credLocks.mu.Lock()
				delete(credLocks.held, target)
				credLocks.mu.Unlock()
				close(ch)
			}, nil
		}
		credLocks.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for another Remote Desktop launch to %s: %w", target, ctx.Err())
		}
	}
}
