package proxyreq_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"unicode"

	"iapdesk/internal/proxyreq"
)

// FuzzRead: whatever a local client sends, Read does not panic, and a
// request it accepts names a clean host and a port in 1-65535 that reads back the
// same when sent again, in either protocol.
func FuzzRead(f *testing.F) {
	f.Add(socks5(1, 3, []byte("web-1.us-central1-a.my-proj"), 80))
	f.Add(socks5(1, 1, []byte{10, 128, 0, 7}, 5432))
	f.Add(socks5(1, 4, netip.MustParseAddr("fd20::7").AsSlice(), 22))
	f.Add([]byte("CONNECT vm-1:22 HTTP/1.1\r\nHost: vm-1:22\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &conn{in: bytes.NewReader(in)}
		r, err := proxyreq.Read(c)
		if err != nil {
			return
		}
		if r.Port < 1 || r.Port > 65535 {
			t.Fatalf("Read(%q) port %d, want 1-65535", in, r.Port)
		}
		if r.Host == "" || strings.IndexFunc(r.Host, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) || c == '/' }) >= 0 {
			t.Fatalf("Read(%q) host %q, want a host name or an address", in, r.Host)
		}
		again := []*proxyreq.Request{}
		for _, b := range [][]byte{encodeSOCKS5(r), []byte(fmt.Sprintf("CONNECT %s HTTP/1.1\r\n\r\n", r.Addr()))} {
			r2, err := proxyreq.Read(&conn{in: bytes.NewReader(b)})
			if err != nil {
				t.Fatalf("Read(%q) = %v; it came from Read(%q) = %+v", b, err, in, r)
			}
			again = append(again, r2)
		}
		for _, r2 := range again {
			if r2.Host != r.Host || r2.Port != r.Port {
				t.Fatalf("%v sent again reads back as %s, want %s", r2.Protocol, r2.Addr(), r.Addr())
			}
		}
	})
}

// encodeSOCKS5 is r as a SOCKS5 client sends it.
func encodeSOCKS5(r *proxyreq.Request) []byte {
	if ip, err := netip.ParseAddr(r.Host); err == nil {
		if ip.Is4() {
			return socks5(1, 1, ip.AsSlice(), uint16(r.Port))
		}
		return socks5(1, 4, ip.AsSlice(), uint16(r.Port))
	}
	return socks5(1, 3, []byte(r.Host), uint16(r.Port))
}
