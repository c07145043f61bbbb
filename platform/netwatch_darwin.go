package platform

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"
)

// WatchNetwork calls changed for every change of a gateway route (the
// default route among them) or of a local address, read from a routing
// socket, until ctx ends; then it returns nil. It blocks: the caller owns
// the goroutine it runs on. Resume from sleep has no API in
// golang.org/x/sys on macOS (it is IOKit's); the network changes that
// follow a wake are reported.
func WatchNetwork(ctx context.Context, log *slog.Logger, changed func(NetChange)) error {
	fd, err := unix.Socket(unix.AF_ROUTE, unix.SOCK_RAW, unix.AF_UNSPEC)
	if err != nil {
		return fmt.Errorf("watch network: open routing socket: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return fmt.Errorf("watch network: %w", err)
	}
	unix.CloseOnExec(fd)
	f := os.NewFile(uintptr(fd), "route")
	stop := context.AfterFunc(ctx, func() { f.Close() }) // ends a blocked Read
	defer stop()
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, unix.ENOBUFS) {
				changed(NetRoute) // messages were dropped: something changed
				continue
			}
			return fmt.Errorf("watch network: read routing socket: %w", err)
		}
		if c := routingChange(buf[:n]); c != 0 {
			changed(c)
		}
	}
}

// routingChange says what the routing messages in b change: an address,
// a gateway route, or nothing a tunnel depends on (0: host routes that
// ARP and cloning add all the time).
func routingChange(b []byte) NetChange {
	var what NetChange
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		if l < 4 || l > len(b) {
			break
		}
		m := b[:l]
		b = b[l:]
		switch m[3] {
		case unix.RTM_NEWADDR, unix.RTM_DELADDR:
			if what == 0 {
				what = NetAddress
			}
		case unix.RTM_ADD, unix.RTM_DELETE, unix.RTM_CHANGE:
			if len(m) < 12 {
				continue
			}
			flags := int32(binary.NativeEndian.Uint32(m[8:12]))
			if flags&unix.RTF_GATEWAY != 0 && flags&unix.RTF_HOST == 0 {
				what = NetRoute
			}
		}
	}
	return what
}
