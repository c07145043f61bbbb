// Package netbuf wraps a stream connection to cut system calls on the hot
// path of a WebSocket relay without pinning memory on idle connections.
//
// Writes: while held, writes are gathered and sent with one write at Flush.
// A WebSocket library writes each masked message in 4 KiB pieces, so a batch
// of DATA frames would otherwise cost several system calls per frame.
//
// Reads: in bulk, reads go through a pooled 64 KiB read-ahead buffer, so the
// 4 KiB reads of the layers above (bufio, TLS) are served from memory; once a
// read comes back short (interactive or idle traffic) the buffer is returned
// to the pool and reads pass straight through again.
package netbuf

import (
	"net"
	"sync"
)

const (
	readAheadLen = 64 << 10
	// maxPooledBatch keeps unusually large batch buffers out of the pool.
	maxPooledBatch = 1 << 20
)

var (
	batchPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
	readPool  = sync.Pool{New: func() any { b := make([]byte, readAheadLen); return &b }}
)

// Conn is a net.Conn with batched writes and adaptive read-ahead.
type Conn struct {
	net.Conn

	// wmu guards held and wbuf, and serialises writes to Conn, so a batch
	// leaves in one piece, not interleaved with a concurrent write.
	wmu  sync.Mutex
	held bool
	wbuf *[]byte // from batchPool while held

	// rmu guards the read-ahead state.
	rmu  sync.Mutex
	rbuf *[]byte // from readPool while in bulk mode
	r, w int     // unread bytes are (*rbuf)[r:w]
	bulk bool
}

// New wraps c.
func New(c net.Conn) *Conn { return &Conn{Conn: c} }

// Write writes p, or gathers it while the connection is held.
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.held {
		*c.wbuf = append(*c.wbuf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// Hold starts gathering writes until Flush.
func (c *Conn) Hold() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.held {
		c.held = true
		c.wbuf = batchPool.Get().(*[]byte)
	}
}

// Flush ends a hold and writes what was gathered with one write.
func (c *Conn) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.held {
		return nil
	}
	c.held = false
	b := c.wbuf
	c.wbuf = nil
	var err error
	if len(*b) > 0 {
		_, err = c.Conn.Write(*b)
	}
	if cap(*b) <= maxPooledBatch {
		*b = (*b)[:0]
		batchPool.Put(b)
	}
	return err
}

// Read reads from the read-ahead buffer, refilling it in bulk mode.
func (c *Conn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.r < c.w {
		n := copy(p, (*c.rbuf)[c.r:c.w])
		c.r += n
		c.releaseIfDrained()
		return n, nil
	}
	if !c.bulk || len(p) >= readAheadLen {
		n, err := c.Conn.Read(p)
		// A read that fills a sizeable buffer means more is waiting.
		c.bulk = n == len(p) && n >= 1024
		return n, err
	}
	if c.rbuf == nil {
		c.rbuf = readPool.Get().(*[]byte)
	}
	n, err := c.Conn.Read(*c.rbuf)
	c.r, c.w = 0, n
	c.bulk = n >= readAheadLen/2
	k := copy(p, (*c.rbuf)[:n])
	c.r = k
	c.releaseIfDrained()
	return k, err
}

// releaseIfDrained returns the read-ahead buffer once it is empty and the
// traffic is no longer bulk, so an idle connection holds none.
func (c *Conn) releaseIfDrained() {
	if c.r == c.w && !c.bulk && c.rbuf != nil {
		readPool.Put(c.rbuf)
		c.rbuf = nil
		c.r, c.w = 0, 0
	}
}

// Listener wraps every accepted connection with New.
type Listener struct{ net.Listener }

// Accept accepts and wraps a connection.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return New(c), nil
}
