package proxyreq

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
)

// Reply is the outcome of a request, as SOCKS5 codes it (RFC 1928 §6).
// An HTTP CONNECT client gets the status that says the same (HTTPStatus).
type Reply byte

// The SOCKS5 replies.
const (
	Succeeded               Reply = 0x00
	GeneralFailure          Reply = 0x01
	NotAllowed              Reply = 0x02 // connection not allowed by ruleset
	NetworkUnreachable      Reply = 0x03
	HostUnreachable         Reply = 0x04
	ConnectionRefused       Reply = 0x05
	TTLExpired              Reply = 0x06
	CommandNotSupported     Reply = 0x07
	AddressTypeNotSupported Reply = 0x08
)

// HTTPStatus is the HTTP status that answers a CONNECT with the same
// meaning: 200, 403 (not allowed), 404 (no such host), 502 (the target
// refused or is unreachable), 504 (no answer in time), 405 (not CONNECT),
// 400 (a malformed request) or 500.
func (r Reply) HTTPStatus() int {
	switch r {
	case Succeeded:
		return http.StatusOK
	case NotAllowed:
		return http.StatusForbidden
	case HostUnreachable:
		return http.StatusNotFound
	case NetworkUnreachable, ConnectionRefused:
		return http.StatusBadGateway
	case TTLExpired:
		return http.StatusGatewayTimeout
	case CommandNotSupported:
		return http.StatusMethodNotAllowed
	case AddressTypeNotSupported:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func (r Reply) String() string {
	switch r {
	case Succeeded:
		return "succeeded"
	case GeneralFailure:
		return "general failure"
	case NotAllowed:
		return "not allowed"
	case NetworkUnreachable:
		return "network unreachable"
	case HostUnreachable:
		return "host unreachable"
	case ConnectionRefused:
		return "connection refused"
	case TTLExpired:
		return "TTL expired"
	case CommandNotSupported:
		return "command not supported"
	case AddressTypeNotSupported:
		return "address type not supported"
	}
	return fmt.Sprintf("reply 0x%02x", byte(r))
}

// Answer writes the proxy's answer to r on w: Succeeded once the
// connection to the target is open (the data follows), or why not. An
// HTTP client gets reason, one line of text, as the body of the error
// status (control characters dropped); SOCKS5 has no room for it.
func (r *Request) Answer(w io.Writer, rep Reply, reason string) error {
	var b []byte
	switch r.Protocol {
	case SOCKS5:
		// BND.ADDR and BND.PORT: the gateway's end is nobody's business.
		b = []byte{socks5Version, byte(rep), 0, atypIPv4, 0, 0, 0, 0, 0, 0}
	default:
		status := rep.HTTPStatus()
		if rep == Succeeded {
			b = []byte("HTTP/1.1 200 Connection established\r\n\r\n")
			break
		}
		body := strings.Map(func(c rune) rune {
			if unicode.IsControl(c) {
				return ' '
			}
			return c
		}, reason) + "\n"
		b = fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
			status, http.StatusText(status), len(body), body)
	}
	_, err := w.Write(b)
	return err
}
