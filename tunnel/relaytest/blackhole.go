package relaytest

import (
	"net"
	"sync"

	"iapdesk/tunnel/internal/netbuf"
)

// BlackHole silences every connection open now, as when a laptop sleeps
// or changes networks under its tunnels: from here on the relay neither
// reads what the client sends (nor answers its pings) nor sends anything
// (its writes wait), and neither side sees a FIN or an RST. Connections
// made later are normal. A client that resumes its session through
// /v4/reconnect takes the session over at once: the relay gives the
// silenced connection up, as the real relay does with a connection whose
// client has moved on.
func (s *Server) BlackHole() {
	s.mu.Lock()
	conns := make([]*holeConn, 0, len(s.holes))
	for c := range s.holes {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.silence()
	}
}

// holeListener wraps the relay's listener so BlackHole can find its
// connections.
type holeListener struct {
	net.Listener
	s *Server
}

// Accept accepts a connection and keeps it until it closes.
func (l holeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	hc := &holeConn{Conn: c, s: l.s, holed: make(chan struct{}), closed: make(chan struct{})}
	l.s.mu.Lock()
	if l.s.holes == nil {
		l.s.holes = map[*holeConn]struct{}{}
	}
	l.s.holes[hc] = struct{}{}
	l.s.mu.Unlock()
	return hc, nil
}

// holeConn is a relay connection that BlackHole can silence.
type holeConn struct {
	net.Conn
	s *Server

	holeOnce, closeOnce sync.Once
	holed               chan struct{} // closed by silence
	closed              chan struct{} // closed by Close
}

func (c *holeConn) silence() { c.holeOnce.Do(func() { close(c.holed) }) }

func (c *holeConn) isHoled() bool {
	select {
	case <-c.holed:
		return true
	default:
		return false
	}
}

// Read reads, unless the connection is silenced: then what arrives is
// dropped and Read waits for Close.
func (c *holeConn) Read(p []byte) (int, error) {
	if !c.isHoled() {
		n, err := c.Conn.Read(p)
		if !c.isHoled() {
			return n, err
		}
	}
	<-c.closed
	return 0, net.ErrClosed
}

// Write writes, unless the connection is silenced: then it waits for
// Close, as a write into a dead network path does once the socket's
// buffer is full.
func (c *holeConn) Write(p []byte) (int, error) {
	if !c.isHoled() {
		return c.Conn.Write(p)
	}
	<-c.closed
	return 0, net.ErrClosed
}

// Close closes the connection and ends the waits of a silenced one.
func (c *holeConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.s.mu.Lock()
		delete(c.s.holes, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// closeHoles closes the silenced connections nothing else will close (one
// caught in its HTTP handshake): Server.Close calls it.
func (s *Server) closeHoles() {
	s.mu.Lock()
	var conns []*holeConn
	for c := range s.holes {
		if c.isHoled() {
			conns = append(conns, c)
		}
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// holed reports whether the relay connection under nc is silenced.
func holed(nc *netbuf.Conn) bool {
	if nc == nil {
		return false
	}
	hc, ok := nc.Conn.(*holeConn)
	return ok && hc.isHoled()
}

// tcpConn is the TCP connection under nc, or nil.
func tcpConn(nc *netbuf.Conn) *net.TCPConn {
	if nc == nil {
		return nil
	}
	c := nc.Conn
	if hc, ok := c.(*holeConn); ok {
		c = hc.Conn
	}
	tc, _ := c.(*net.TCPConn)
	return tc
}
