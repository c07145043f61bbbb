package platform

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"iapdesk/platform/systest"
)

// TestPeerIsSameUserOtherUser connects from a process running as "nobody"
// (needs root to switch user) and expects ErrPeerOtherUser with that uid.
func TestPeerIsSameUserOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching to another uid needs root")
	}
	bash := systest.Require(t, "bash")[0]
	const nobody = 65534
	c := acceptOne(t, "tcp4", "127.0.0.1:0", func(addr string) (func(), error) {
		host, port, _ := net.SplitHostPort(addr)
		cmd := exec.Command(bash, "-c", `exec 3<>/dev/tcp/`+host+`/`+port+`; read -r _ <&3`)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }, nil
	})
	// Accept returned after the handshake, so the peer socket is
	// ESTABLISHED already.
	err := PeerIsSameUser(c)
	if !errors.Is(err, ErrPeerOtherUser) {
		t.Fatalf("PeerIsSameUser(nobody's connection) = %v, want ErrPeerOtherUser", err)
	}
	if !strings.Contains(err.Error(), "uid "+strconv.Itoa(nobody)) {
		t.Errorf("PeerIsSameUser() error %q does not name uid %d", err, nobody)
	}
}
