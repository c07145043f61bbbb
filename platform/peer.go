package platform

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
)

// tcpEstablished is the state column value of an ESTABLISHED socket in
// /proc/net/tcp.
const tcpEstablished = 0x01

// procSocket is one line of /proc/net/tcp or /proc/net/tcp6.
type procSocket struct {
	Local, Remote netip.AddrPort
	State         int
	UID           int
}

// parseProcNetTCP parses the content of /proc/net/tcp or /proc/net/tcp6.
// The kernel prints each 32-bit word of an address as the hex of its value in
// host memory order, so order is the byte order of the machine that wrote it
// (binary.NativeEndian for the live file). Ports are plain hex numbers. It
// allocates only the result: a busy host has thousands of sockets and the
// tunnel checks every accepted connection.
func parseProcNetTCP(data []byte, order binary.ByteOrder) ([]procSocket, error) {
	little := order.Uint32([]byte{1, 0, 0, 0}) == 1
	var out []procSocket
	var f [8][]byte
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		nf := fields(line, f[:])
		if nf == 0 || n == 1 && string(f[0]) == "sl" {
			continue // blank line or header
		}
		if nf < len(f) {
			return nil, fmt.Errorf("parse /proc/net/tcp line %d: %d fields, want at least %d", n, nf, len(f))
		}
		local, err := parseProcAddr(f[1], little)
		if err != nil {
			return nil, fmt.Errorf("parse /proc/net/tcp line %d local address: %w", n, err)
		}
		remote, err := parseProcAddr(f[2], little)
		if err != nil {
			return nil, fmt.Errorf("parse /proc/net/tcp line %d remote address: %w", n, err)
		}
		st, ok := parseHex(f[3], 2)
		if !ok {
			return nil, fmt.Errorf("parse /proc/net/tcp line %d state %q: want 2 hex digits", n, f[3])
		}
		uid, ok := parseUID(f[7])
		if !ok {
			return nil, fmt.Errorf("parse /proc/net/tcp line %d uid %q: want a decimal uid", n, f[7])
		}
		out = append(out, procSocket{Local: local, Remote: remote, State: int(st), UID: int(uid)})
	}
	return out, nil
}

// fields splits line at spaces and tabs into dst and returns how many it
// filled (at most len(dst); the rest of the line is ignored).
func fields(line []byte, dst [][]byte) int {
	n := 0
	for n < len(dst) {
		for len(line) > 0 && (line[0] == ' ' || line[0] == '\t' || line[0] == '\r') {
			line = line[1:]
		}
		if len(line) == 0 {
			break
		}
		end := bytes.IndexAny(line, " \t\r")
		if end < 0 {
			end = len(line)
		}
		dst[n], line = line[:end], line[end:]
		n++
	}
	return n
}

// parseUID parses a decimal 32-bit uid.
func parseUID(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return uint32(v), v <= 1<<32-1
}

// parseHex parses exactly digits hex digits.
func parseHex(b []byte, digits int) (uint32, bool) {
	if len(b) != digits {
		return 0, false
	}
	var v uint32
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(c)
	}
	return v, true
}

// parseProcAddr parses "0100007F:1F90" (IPv4) or 32 hex digits and a port
// (IPv6); little says the words were printed by a little-endian machine.
func parseProcAddr(s []byte, little bool) (netip.AddrPort, error) {
	colon := bytes.IndexByte(s, ':')
	if colon < 0 {
		return netip.AddrPort{}, fmt.Errorf("address %q: want HEXIP:HEXPORT", s)
	}
	ipHex := s[:colon]
	port, ok := parseHex(s[colon+1:], 4)
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("address %q: port is not 4 hex digits", s)
	}
	if len(ipHex) != 8 && len(ipHex) != 32 {
		return netip.AddrPort{}, fmt.Errorf("address %q: %d hex digits, want 8 or 32", s, len(ipHex))
	}
	// Each printed 32-bit word is the value of 4 address bytes read in host
	// order; write it back in host order to get the bytes.
	var ip [16]byte
	for i := 0; i < len(ipHex); i += 8 {
		w, ok := parseHex(ipHex[i:i+8], 8)
		if !ok {
			return netip.AddrPort{}, fmt.Errorf("address %q: not hex", s)
		}
		b := ip[i/2 : i/2+4]
		if little {
			b[0], b[1], b[2], b[3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
		} else {
			b[0], b[1], b[2], b[3] = byte(w>>24), byte(w>>16), byte(w>>8), byte(w)
		}
	}
	var addr netip.Addr
	if len(ipHex) == 8 {
		addr = netip.AddrFrom4([4]byte(ip[:4]))
	} else {
		addr = netip.AddrFrom16(ip).Unmap()
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// findPeerUID returns the uid owning the ESTABLISHED socket whose local end
// is peer and whose remote end is self, i.e. the other end of our
// connection. IPv4-mapped IPv6 addresses compare equal to IPv4 ones.
func findPeerUID(socks []procSocket, self, peer netip.AddrPort) (int, bool) {
	self = netip.AddrPortFrom(self.Addr().Unmap(), self.Port())
	peer = netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port())
	for _, s := range socks {
		if s.State == tcpEstablished && s.Local == peer && s.Remote == self {
			return s.UID, true
		}
	}
	return 0, false
}

// connAddrs returns the local and remote address of a loopback TCP
// connection.
func connAddrs(c net.Conn) (self, peer netip.AddrPort, err error) {
	la, ok1 := c.LocalAddr().(*net.TCPAddr)
	ra, ok2 := c.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return self, peer, fmt.Errorf("check peer of %s: not a TCP connection", c.RemoteAddr())
	}
	self, peer = la.AddrPort(), ra.AddrPort()
	if !peer.Addr().Unmap().IsLoopback() {
		return self, peer, fmt.Errorf("check peer of %s: not a loopback connection", peer)
	}
	return self, peer, nil
}
