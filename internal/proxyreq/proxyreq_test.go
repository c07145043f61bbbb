package proxyreq_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"testing"

	"iapdesk/internal/proxyreq"
)

// conn is a client connection: what the client sent, and what the proxy
// answered.
type conn struct {
	in  io.Reader
	out bytes.Buffer
}

func (c *conn) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *conn) Write(p []byte) (int, error) { return c.out.Write(p) }

// socks5 is a SOCKS5 greeting (no authentication) and a request.
func socks5(cmd, atyp byte, addr []byte, port uint16) []byte {
	b := []byte{5, 1, 0, 5, cmd, 0, atyp}
	if atyp == 3 {
		b = append(b, byte(len(addr)))
	}
	b = append(b, addr...)
	return binary.BigEndian.AppendUint16(b, port)
}

func TestRead(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		want     *proxyreq.Request // nil: an error
		wantErr  error
		answered string // what the proxy wrote before returning (SOCKS5: hex)
	}{
		{"socks5 domain", socks5(1, 3, []byte("Web-1.us-central1-a.My-Proj"), 80),
			&proxyreq.Request{Protocol: proxyreq.SOCKS5, Host: "web-1.us-central1-a.my-proj", Port: 80}, nil, "0500"},
		{"socks5 ipv4", socks5(1, 1, []byte{10, 128, 0, 7}, 5432),
			&proxyreq.Request{Protocol: proxyreq.SOCKS5, Host: "10.128.0.7", Port: 5432}, nil, "0500"},
		{"socks5 ipv6", socks5(1, 4, netip.MustParseAddr("fd20::7").AsSlice(), 22),
			&proxyreq.Request{Protocol: proxyreq.SOCKS5, Host: "fd20::7", Port: 22}, nil, "0500"},
		{"socks5 address as a name", socks5(1, 3, []byte("10.0.0.9"), 443),
			&proxyreq.Request{Protocol: proxyreq.SOCKS5, Host: "10.0.0.9", Port: 443}, nil, "0500"},
		{"socks5 trailing dot", socks5(1, 3, []byte("vm-1."), 22),
			&proxyreq.Request{Protocol: proxyreq.SOCKS5, Host: "vm-1", Port: 22}, nil, "0500"},
		{"socks5 data after the request", append(socks5(1, 3, []byte("vm-1"), 22), "SSH-2.0-x\r\n"...),
			&proxyreq.Request{Protocol: proxyreq.SOCKS5, Host: "vm-1", Port: 22, Rest: []byte("SSH-2.0-x\r\n")}, nil, "0500"},
		{"socks5 several methods", append([]byte{5, 3, 2, 1, 0}, socks5(1, 3, []byte("vm-1"), 22)[3:]...),
			&proxyreq.Request{Protocol: proxyreq.SOCKS5, Host: "vm-1", Port: 22}, nil, "0500"},
		{"socks5 username/password only", []byte{5, 1, 2}, nil, proxyreq.ErrNoAcceptableMethod, "05ff"},
		{"socks5 no methods", []byte{5, 0}, nil, proxyreq.ErrNoAcceptableMethod, "05ff"},
		{"socks5 bind", socks5(2, 3, []byte("vm-1"), 22), nil, proxyreq.ErrCommandNotSupported, "050005070001000000000000"},
		{"socks5 udp associate", socks5(3, 1, []byte{0, 0, 0, 0}, 0), nil, proxyreq.ErrCommandNotSupported, "050005070001000000000000"},
		{"socks5 address type 9", []byte{5, 1, 0, 5, 1, 0, 9, 1, 2}, nil, proxyreq.ErrAddressType, "050005080001000000000000"},
		{"socks5 port 0", socks5(1, 3, []byte("vm-1"), 0), nil, proxyreq.ErrMalformed, "050005010001000000000000"},
		{"socks5 empty domain", socks5(1, 3, nil, 22), nil, proxyreq.ErrMalformed, "050005010001000000000000"},
		{"socks5 domain with a space", socks5(1, 3, []byte("vm 1"), 22), nil, proxyreq.ErrMalformed, "050005010001000000000000"},
		{"socks5 truncated", []byte{5, 1, 0, 5, 1, 0, 3, 10, 'v'}, nil, proxyreq.ErrMalformed, "0500"},
		{"socks5 request version 4", []byte{5, 1, 0, 4, 1, 0, 1}, nil, proxyreq.ErrMalformed, "050005010001000000000000"},

		{"http connect", []byte("CONNECT web-1.us-central1-a.my-proj:443 HTTP/1.1\r\nHost: web-1.us-central1-a.my-proj:443\r\nUser-Agent: curl\r\n\r\n"),
			&proxyreq.Request{Protocol: proxyreq.HTTPConnect, Host: "web-1.us-central1-a.my-proj", Port: 443}, nil, ""},
		{"http connect ipv6", []byte("CONNECT [fd20::7]:22 HTTP/1.1\r\n\r\n"),
			&proxyreq.Request{Protocol: proxyreq.HTTPConnect, Host: "fd20::7", Port: 22}, nil, ""},
		{"http connect then data", []byte("CONNECT vm-1:22 HTTP/1.1\r\n\r\nSSH-2.0-x\r\n"),
			&proxyreq.Request{Protocol: proxyreq.HTTPConnect, Host: "vm-1", Port: 22, Rest: []byte("SSH-2.0-x\r\n")}, nil, ""},
		{"http get", []byte("GET http://vm-1/ HTTP/1.1\r\nHost: vm-1\r\n\r\n"), nil, proxyreq.ErrCommandNotSupported, "HTTP/1.1 405 "},
		{"http connect without port", []byte("CONNECT vm-1 HTTP/1.1\r\n\r\n"), nil, proxyreq.ErrMalformed, "HTTP/1.1 500 "},
		{"http connect port 70000", []byte("CONNECT vm-1:70000 HTTP/1.1\r\n\r\n"), nil, proxyreq.ErrMalformed, "HTTP/1.1 500 "},
		{"http connect bad host", []byte("CONNECT vm/1:22 HTTP/1.1\r\n\r\n"), nil, proxyreq.ErrMalformed, "HTTP/1.1 500 "},
		{"garbage", []byte("\x16\x03\x01 hello"), nil, proxyreq.ErrMalformed, "HTTP/1.1 500 "},
		{"nothing", nil, nil, proxyreq.ErrMalformed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &conn{in: bytes.NewReader(tc.in)}
			got, err := proxyreq.Read(c)
			answered := c.out.String()
			if len(tc.in) > 0 && tc.in[0] == 5 {
				answered = fmt.Sprintf("%x", c.out.Bytes())
			}
			if tc.want == nil {
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("Read(%q) = %+v, %v; want %v", tc.in, got, err, tc.wantErr)
				}
			} else if err != nil || got.Protocol != tc.want.Protocol || got.Host != tc.want.Host || got.Port != tc.want.Port || !bytes.Equal(got.Rest, tc.want.Rest) {
				t.Errorf("Read(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if !strings.HasPrefix(answered, tc.answered) || tc.answered == "" && answered != "" {
				t.Errorf("Read(%q) answered %q, want %q…", tc.in, answered, tc.answered)
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	tests := []struct {
		name   string
		proto  proxyreq.Protocol
		rep    proxyreq.Reply
		reason string
		want   string
	}{
		{"socks5 ok", proxyreq.SOCKS5, proxyreq.Succeeded, "", "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00"},
		{"socks5 not allowed", proxyreq.SOCKS5, proxyreq.NotAllowed, "denied", "\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00"},
		{"http ok", proxyreq.HTTPConnect, proxyreq.Succeeded, "", "HTTP/1.1 200 Connection established\r\n\r\n"},
		{"http not allowed", proxyreq.HTTPConnect, proxyreq.NotAllowed, "IAP: not\r\nauthorized",
			"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\nConnection: close\r\n\r\nIAP: not  authorized\n"},
		{"http host unreachable", proxyreq.HTTPConnect, proxyreq.HostUnreachable, "no VM", "HTTP/1.1 404 Not Found\r\n"},
		{"http refused", proxyreq.HTTPConnect, proxyreq.ConnectionRefused, "", "HTTP/1.1 502 Bad Gateway\r\n"},
		{"http timeout", proxyreq.HTTPConnect, proxyreq.TTLExpired, "", "HTTP/1.1 504 Gateway Timeout\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			r := &proxyreq.Request{Protocol: tc.proto, Host: "vm-1", Port: 22}
			if err := r.Answer(&b, tc.rep, tc.reason); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(b.String(), tc.want) {
				t.Errorf("Answer(%v, %q) wrote %q, want %q…", tc.rep, tc.reason, b.String(), tc.want)
			}
		})
	}
}
