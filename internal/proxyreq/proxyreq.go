package proxyreq

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
)

// Protocol is the proxy protocol a client speaks.
type Protocol int

// The protocols Read understands.
const (
	SOCKS5 Protocol = iota + 1
	HTTPConnect
)

func (p Protocol) String() string {
	switch p {
	case SOCKS5:
		return "socks5"
	case HTTPConnect:
		return "http-connect"
	}
	return "unknown"
}

// Request is what a client asks the proxy to connect to.
type Request struct {
	Protocol Protocol
	// Host is a domain name (as the client sent it, lowercased) or an IP
	// address in its canonical text form.
	Host string
	Port int // 1-65535
	// Rest are bytes the client sent after its request, which Read had to
	// read with it (a client that does not wait for the answer); they
	// belong to the connection's data.
	Rest []byte
}

// Addr is Host:Port.
func (r *Request) Addr() string { return net.JoinHostPort(r.Host, strconv.Itoa(r.Port)) }

// MaxRequestLen bounds what Read reads of an HTTP request (request line
// and headers).
const MaxRequestLen = 16 << 10

// Errors Read returns for requests it refuses; it has answered them
// already, with the reply that says why.
var (
	// ErrNoAcceptableMethod: a SOCKS5 client that does not offer "no
	// authentication".
	ErrNoAcceptableMethod = errors.New("proxy request: socks5 client offers no acceptable authentication method")
	// ErrCommandNotSupported: a SOCKS5 BIND or UDP ASSOCIATE, or an HTTP
	// method other than CONNECT.
	ErrCommandNotSupported = errors.New("proxy request: only CONNECT is supported")
	// ErrAddressType: a SOCKS5 address type other than IPv4, IPv6 and a
	// domain name.
	ErrAddressType = errors.New("proxy request: address type not supported")
	// ErrMalformed: bytes that are not a proxy request, or a bad address.
	ErrMalformed = errors.New("proxy request: malformed")
)

// socks5Version is the first byte of every SOCKS5 message.
const socks5Version = 5

// SOCKS5 address types and commands (RFC 1928 §4, §5).
const (
	atypIPv4    = 1
	atypDomain  = 3
	atypIPv6    = 4
	cmdConnect  = 1
	methodNone  = 0x00
	methodNoAcc = 0xFF
)

// Read reads a client's request from conn: SOCKS5 when the first byte is
// 5, otherwise HTTP. For SOCKS5 it also answers the method negotiation
// (no authentication) on conn, and for a request it cannot serve (another
// command, another address type, another HTTP method) it writes the reply
// that says so before returning the error (ErrCommandNotSupported, …):
// the caller then only closes conn. A malformed request gets
// GeneralFailure (SOCKS5) or 400 (HTTP) likewise.
func Read(conn io.ReadWriter) (*Request, error) {
	br := bufio.NewReaderSize(&io.LimitedReader{R: conn, N: MaxRequestLen}, 4096)
	first, err := br.Peek(1)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var req *Request
	if first[0] == socks5Version {
		req, err = readSOCKS5(br, conn)
	} else {
		req, err = readHTTP(br, conn)
	}
	if err != nil {
		return nil, err
	}
	if n := br.Buffered(); n > 0 {
		req.Rest, _ = br.Peek(n)
		req.Rest = append([]byte(nil), req.Rest...)
	}
	return req, nil
}

func readSOCKS5(br *bufio.Reader, w io.Writer) (*Request, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: socks5 greeting: %v", ErrMalformed, err)
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(br, methods); err != nil {
		return nil, fmt.Errorf("%w: socks5 methods: %v", ErrMalformed, err)
	}
	if hdr[1] == 0 || !contains(methods, methodNone) {
		_, _ = w.Write([]byte{socks5Version, methodNoAcc})
		return nil, ErrNoAcceptableMethod
	}
	if _, err := w.Write([]byte{socks5Version, methodNone}); err != nil {
		return nil, fmt.Errorf("socks5 method reply: %w", err)
	}
	req := &Request{Protocol: SOCKS5}
	var rh [4]byte // VER CMD RSV ATYP
	if _, err := io.ReadFull(br, rh[:]); err != nil {
		return nil, fmt.Errorf("%w: socks5 request: %v", ErrMalformed, err)
	}
	if rh[0] != socks5Version {
		_ = req.Answer(w, GeneralFailure, "")
		return nil, fmt.Errorf("%w: socks5 request version %d", ErrMalformed, rh[0])
	}
	switch rh[3] {
	case atypIPv4, atypIPv6:
		b := make([]byte, 4)
		if rh[3] == atypIPv6 {
			b = make([]byte, 16)
		}
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, fmt.Errorf("%w: socks5 address: %v", ErrMalformed, err)
		}
		ip, _ := netip.AddrFromSlice(b)
		req.Host = ip.Unmap().String()
	case atypDomain:
		n, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("%w: socks5 domain length: %v", ErrMalformed, err)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, fmt.Errorf("%w: socks5 domain: %v", ErrMalformed, err)
		}
		host, err := string(b), error(nil)
		if ip, perr := netip.ParseAddr(host); perr == nil {
			host = ip.Unmap().String() // an address sent as a name
		} else {
			host, err = checkHost(host)
		}
		if err != nil {
			// The port follows; the request is refused anyway.
			_ = req.Answer(w, GeneralFailure, "")
			return nil, err
		}
		req.Host = host
	default:
		_ = req.Answer(w, AddressTypeNotSupported, "")
		return nil, fmt.Errorf("%w: %d", ErrAddressType, rh[3])
	}
	var port [2]byte
	if _, err := io.ReadFull(br, port[:]); err != nil {
		return nil, fmt.Errorf("%w: socks5 port: %v", ErrMalformed, err)
	}
	req.Port = int(binary.BigEndian.Uint16(port[:]))
	if rh[1] != cmdConnect {
		_ = req.Answer(w, CommandNotSupported, "")
		return nil, fmt.Errorf("%w: socks5 command %d", ErrCommandNotSupported, rh[1])
	}
	if req.Port == 0 {
		_ = req.Answer(w, GeneralFailure, "")
		return nil, fmt.Errorf("%w: port 0", ErrMalformed)
	}
	return req, nil
}

func contains(b []byte, v byte) bool {
	for _, x := range b {
		if x == v {
			return true
		}
	}
	return false
}

func readHTTP(br *bufio.Reader, w io.Writer) (*Request, error) {
	req := &Request{Protocol: HTTPConnect}
	hr, err := http.ReadRequest(br)
	if err != nil {
		_ = req.Answer(w, GeneralFailure, "not a SOCKS5 or HTTP CONNECT request")
		return nil, fmt.Errorf("%w: http: %v", ErrMalformed, err)
	}
	if hr.Body != nil {
		hr.Body.Close() // CONNECT has none; another method's is not read
	}
	if hr.Method != http.MethodConnect {
		_ = req.Answer(w, CommandNotSupported, "this proxy takes CONNECT (HTTPS_PROXY) and SOCKS5 requests only")
		return nil, fmt.Errorf("%w: http method %q", ErrCommandNotSupported, hr.Method)
	}
	// CONNECT's target is host:port (the authority form).
	host, portStr, err := net.SplitHostPort(hr.RequestURI)
	if err != nil {
		_ = req.Answer(w, GeneralFailure, "CONNECT needs HOST:PORT")
		return nil, fmt.Errorf("%w: CONNECT target %q: %v", ErrMalformed, hr.RequestURI, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 || strings.TrimLeft(portStr, "0123456789") != "" {
		_ = req.Answer(w, GeneralFailure, "CONNECT needs a port in 1-65535")
		return nil, fmt.Errorf("%w: CONNECT port %q", ErrMalformed, portStr)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.Unmap().String()
	} else if host, err = checkHost(host); err != nil {
		_ = req.Answer(w, GeneralFailure, "CONNECT host is not a host name")
		return nil, err
	}
	req.Host, req.Port = host, port
	return req, nil
}

// checkHost checks a domain name (what a client may ask for: letters,
// digits, '-', '_' and dots, up to 253 bytes) and lowercases it; a
// trailing dot (a fully qualified name) is dropped.
func checkHost(h string) (string, error) {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return "", fmt.Errorf("%w: host name %q", ErrMalformed, h)
	}
	for _, r := range h {
		if r > unicode.MaxASCII || !(r == '-' || r == '_' || r == '.' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return "", fmt.Errorf("%w: host name %q", ErrMalformed, h)
		}
	}
	return strings.ToLower(h), nil
}
