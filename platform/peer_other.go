//go:build !linux

package platform

import (
	"errors"
	"net"
)

// PeerIsSameUser checks that the local program at the other end of c runs
// as the same OS user. Only Linux can tell (from /proc/net/tcp); here it
// returns errors.ErrUnsupported and the caller decides (the tunnel allows the
// connection).
func PeerIsSameUser(c net.Conn) error {
	if _, _, err := connAddrs(c); err != nil {
		return err
	}
	return errors.ErrUnsupported
}
