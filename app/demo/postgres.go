package demo

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// postgresServer answers on the Linux VMs' port 5432 with just enough of
// the PostgreSQL wire protocol (version 3) for a client to connect and run
// a query: no TLS, no password, and every simple query returns one row
// saying that this is the demo. It makes the "Warehouse Postgres (tunnel)"
// sample work: psql -h localhost -p 15432 connects through the tunnel.
type postgresServer struct {
	ln *pipeListener
	wg sync.WaitGroup // the accept loop and one goroutine per connection

	mu    sync.Mutex // guards conns
	conns map[net.Conn]struct{}
}

// postgresVersion is the server_version the stub reports.
const postgresVersion = "16.4 (iapdesk demo)"

// postgresReply is the one row every query returns.
const postgresReply = "This is the iapdesk demo: the tunnel works, and no database is behind it."

func startPostgresServer() *postgresServer {
	s := &postgresServer{ln: newPipeListener("demo postgres server"), conns: map[net.Conn]struct{}{}}
	s.wg.Go(func() {
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Go(func() {
				_ = servePostgres(c)
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			})
		}
	})
	return s
}

// close stops accepting, closes the connections and waits for them.
func (s *postgresServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Startup request codes (PostgreSQL protocol 3.0, "Message Formats").
const (
	pgProtocol3  = 196608   // StartupMessage
	pgSSLRequest = 80877103 // SSLRequest
	pgGSSRequest = 80877104 // GSSENCRequest
	pgCancel     = 80877102 // CancelRequest
)

// errPostgres is a malformed message from the client.
var errPostgres = errors.New("demo postgres: malformed message")

// servePostgres speaks to one client until it quits or sends garbage.
func servePostgres(c net.Conn) error {
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	for {
		body, err := readStartup(r)
		if err != nil {
			return err
		}
		code := binary.BigEndian.Uint32(body)
		switch code {
		case pgSSLRequest, pgGSSRequest:
			// No encryption: the tunnel is the encryption.
			if _, err := c.Write([]byte{'N'}); err != nil {
				return err
			}
			continue
		case pgCancel:
			return nil
		case pgProtocol3:
		default:
			return fmt.Errorf("%w: protocol %d", errPostgres, code)
		}
		break
	}
	pgMessage(w, 'R', u32(0)) // AuthenticationOk
	for _, kv := range [][2]string{{"server_version", postgresVersion}, {"server_encoding", "UTF8"},
		{"client_encoding", "UTF8"}, {"DateStyle", "ISO, MDY"}, {"integer_datetimes", "on"}, {"standard_conforming_strings", "on"}} {
		pgMessage(w, 'S', cstr(kv[0]), cstr(kv[1])) // ParameterStatus
	}
	pgMessage(w, 'K', u32(1), u32(1)) // BackendKeyData
	pgMessage(w, 'Z', []byte{'I'})    // ReadyForQuery: idle
	if err := w.Flush(); err != nil {
		return err
	}
	for {
		typ, err := r.ReadByte()
		if err != nil {
			return err
		}
		var n uint32
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			return err
		}
		if n < 4 || n > 1<<20 {
			return fmt.Errorf("%w: length %d", errPostgres, n)
		}
		if _, err := io.CopyN(io.Discard, r, int64(n-4)); err != nil {
			return err
		}
		switch typ {
		case 'X': // Terminate
			return nil
		case 'Q': // Query: one text column, one row
			pgMessage(w, 'T', u16(1), cstr("demo"), u32(0), u16(0), u32(25), u16(0xffff), u32(0xffffffff), u16(0))
			pgMessage(w, 'D', u16(1), u32(uint32(len(postgresReply))), []byte(postgresReply))
			pgMessage(w, 'C', cstr("SELECT 1"))
			pgMessage(w, 'Z', []byte{'I'})
		case 'S': // Sync, after an extended-protocol message refused below
			pgMessage(w, 'Z', []byte{'I'})
		default:
			pgMessage(w, 'E', []byte{'S'}, cstr("ERROR"), []byte{'C'}, cstr("0A000"),
				[]byte{'M'}, cstr("the iapdesk demo answers simple queries only"), []byte{0})
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
}

// readStartup reads a length-prefixed startup packet and returns its body
// (at least the 4-byte code).
func readStartup(r io.Reader) ([]byte, error) {
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return nil, err
	}
	if n < 8 || n > 10000 {
		return nil, fmt.Errorf("%w: startup length %d", errPostgres, n)
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

// pgMessage writes one backend message: its type, length and parts.
func pgMessage(w *bufio.Writer, typ byte, parts ...[]byte) {
	n := 4
	for _, p := range parts {
		n += len(p)
	}
	w.WriteByte(typ)
	w.Write(u32(uint32(n)))
	for _, p := range parts {
		w.Write(p)
	}
}

func u32(v uint32) []byte  { return binary.BigEndian.AppendUint32(nil, v) }
func u16(v uint16) []byte  { return binary.BigEndian.AppendUint16(nil, v) }
func cstr(s string) []byte { return append([]byte(s), 0) }
