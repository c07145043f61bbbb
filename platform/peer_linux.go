package platform

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
)

// PeerIsSameUser checks that the local program at the other end of c, a TCP
// connection accepted on a loopback listener, runs as the same OS user as
// this process. It finds the peer's socket in /proc/net/tcp and
// /proc/net/tcp6 (its local address is c's remote address and the other way
// round) and compares the socket's uid with os.Getuid().
//
// It returns nil for the same user, an error wrapping ErrPeerOtherUser that
// names the peer's uid, ErrPeerNotFound when the socket is not there (closed
// already, another network namespace), or another error. Only nil means the
// connection may be served. On systems without /proc/net/tcp it returns
// errors.ErrUnsupported, and the caller decides (the tunnel allows the
// connection there).
func PeerIsSameUser(c net.Conn) error {
	self, peer, err := connAddrs(c)
	if err != nil {
		return err
	}
	var readErr error
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(file)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				readErr = errors.Join(readErr, fmt.Errorf("check peer of %s: %w", peer, err))
			}
			continue
		}
		socks, err := parseProcNetTCP(data, binary.NativeEndian)
		if err != nil {
			return fmt.Errorf("check peer of %s: %w", peer, err)
		}
		if uid, ok := findPeerUID(socks, self, peer); ok {
			if me := os.Getuid(); uid != me {
				return fmt.Errorf("connection from %s: owned by uid %d, not uid %d: %w", peer, uid, me, ErrPeerOtherUser)
			}
			return nil
		}
	}
	if readErr != nil {
		return readErr
	}
	return fmt.Errorf("connection from %s: %w", peer, ErrPeerNotFound)
}
