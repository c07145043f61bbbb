package tunnel

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// chunk is a piece of the client→relay stream, kept until the relay
// acknowledges it. buf[dataHeaderLen:dataHeaderLen+n] is the payload: the six
// bytes before it (or before any later start point, which by then is
// acknowledged) take the DATA header when it is sent, so a frame goes out
// without another copy.
type chunk struct {
	buf *[]byte
	seq uint64 // stream offset of the first payload byte
	n   int
}

func (c *chunk) end() uint64 { return c.seq + uint64(c.n) }

// rchunk is received payload not yet read by the application.
type rchunk struct {
	buf      *[]byte
	off, end int
}

// Conn is a TCP stream to the target through the IAP relay. It implements
// net.Conn, io.ReaderFrom and io.WriterTo. When the relay connection drops it
// reconnects on its own (/v4/reconnect), resends exactly what the relay has
// not acknowledged and drops exactly what it has already received, so the
// stream neither loses nor duplicates a byte; Read and Write just wait
// meanwhile.
//
// Read returns io.EOF when the relay ends the stream normally (close 1000,
// 4009, 4010), after every received byte; otherwise the error that ended it
// (a *CloseError, ErrSessionLost, ErrProtocol, …) after every received byte.
// The relay protocol has no half-close: CloseWrite ends the whole stream once
// the written bytes are delivered, but Read still returns what arrives until
// the relay closes.
type Conn struct {
	d      *Dialer
	p      *prepared
	target Target
	sid    string
	log    *slog.Logger

	// ctx bounds the Conn's lifetime: Abort cancels it, which stops dials
	// and backoff waits in the session goroutine.
	ctx    context.Context
	cancel context.CancelFunc

	rmu   sync.Mutex // serialises Read and WriteTo callers
	wmu   sync.Mutex // serialises Write and ReadFrom callers
	ackMu sync.Mutex // serialises choosing and writing an ACK value
	// sendMu is held while a batch of DATA is chosen and written, by the
	// session goroutine or by a Write sending inline (sendNow).
	sendMu sync.Mutex

	// mu guards every field below it. Never held during network I/O.
	mu           sync.Mutex
	rx           uint64 // payload bytes received from the relay, all connections
	rxAcked      uint64 // the last ACK value sent
	ackSince     time.Time
	tx           uint64 // payload bytes accepted from Write
	txSent       uint64 // payload bytes written to the current relay connection
	txConfirmed  uint64 // highest ACK from the relay
	sendq        []*chunk
	sending      bool     // the session goroutine is writing sendq chunks
	freeLater    []*chunk // chunks acknowledged while sending
	cur          *wsConn  // the relay connection in use; nil while reconnecting
	recvq        []rchunk
	recvBytes    int
	readErr      error   // how the stream ended; Read returns it after recvq
	writeErr     error   // why Write can no longer succeed
	closing      bool    // CloseWrite or Close: flush, then close the relay connection
	closed       bool    // Close: Read and Write fail with ErrClosed
	reconnecting bool    // no relay connection: the session goroutine is resuming
	inline       *wsConn // the connection a Write is sending on (sendNow), or nil
	lastReason   string
	stats        Stats

	rdeadline, wdeadline deadline

	sendWake  chan struct{} // one slot: wakes the session goroutine
	readWake  chan struct{} // one slot: wakes a Read waiting for data
	writeWake chan struct{} // one slot: wakes a Write waiting for room
	spaceWake chan struct{} // one slot: wakes the relay reader waiting for room
	probeWake chan struct{} // one slot: a probe ends the reconnect backoff's wait (probe.go)
	done      chan struct{} // closed when the session goroutine has exited
}

// Stats are a Conn's counters.
type Stats struct {
	BytesSent     uint64 // payload bytes acknowledged by the relay
	BytesReceived uint64 // payload bytes received from the relay
	Reconnects    int
	// Reconnecting reports that the relay connection dropped and the
	// session is being resumed; Attempt is the reconnect attempt in
	// progress (or the last one, between attempts), counted from 1 in
	// each such episode; 0 while connected.
	Reconnecting bool
	Attempt      int
}

var (
	_ net.Conn      = (*Conn)(nil)
	_ io.ReaderFrom = (*Conn)(nil)
	_ io.WriterTo   = (*Conn)(nil)
)

func newConn(d *Dialer, p *prepared, t Target, sid string, wc *wsConn) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Conn{
		d: d, p: p, target: t, sid: sid,
		log:       p.log.With(slog.String("target", t.String())),
		ctx:       ctx,
		cancel:    cancel,
		rdeadline: makeDeadline(),
		wdeadline: makeDeadline(),
		sendWake:  make(chan struct{}, 1),
		readWake:  make(chan struct{}, 1),
		writeWake: make(chan struct{}, 1),
		spaceWake: make(chan struct{}, 1),
		probeWake: make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	c.wdeadline.onExpire = c.interruptSend
	go c.run(wc)
	return c
}

func (c *Conn) maxUnacked() uint64 {
	if c.d.MaxUnacked > 0 {
		return uint64(c.d.MaxUnacked)
	}
	return 4 << 20
}

func (c *Conn) maxReceived() int {
	if c.d.MaxReceived > 0 {
		return c.d.MaxReceived
	}
	return 1 << 20
}

// maxChunks bounds the send queue's length as MaxUnacked bounds its bytes, so
// a flood of one-byte writes cannot pin a buffer each without limit.
func (c *Conn) maxChunks() int {
	return max(64, int(c.maxUnacked()/MaxDataSize)*4)
}

// Read reads received bytes, waiting for them if there are none.
func (c *Conn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, ErrClosed
		}
		if len(c.recvq) > 0 {
			n := 0
			for n < len(p) && len(c.recvq) > 0 {
				rc := &c.recvq[0]
				k := copy(p[n:], (*rc.buf)[rc.off:rc.end])
				n += k
				rc.off += k
				if rc.off == rc.end {
					putBuf(rc.buf)
					c.recvq[0] = rchunk{}
					c.recvq = c.recvq[1:]
				}
			}
			c.consumedLocked(n)
			c.mu.Unlock()
			return n, nil
		}
		if c.readErr != nil {
			err := c.readErr
			c.mu.Unlock()
			return 0, err
		}
		c.mu.Unlock()
		select {
		case <-c.readWake:
		case <-c.rdeadline.wait():
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// consumedLocked accounts for n bytes taken from recvq.
func (c *Conn) consumedLocked(n int) {
	wasFull := c.recvBytes >= c.maxReceived()
	c.recvBytes -= n
	if wasFull && c.recvBytes < c.maxReceived() {
		signal(c.spaceWake)
	}
	if len(c.recvq) == 0 {
		c.recvq = nil // release the backing array of an idle connection
	}
}

// WriteTo writes received bytes to w until the stream ends, without copying
// them through an intermediate buffer. It returns nil at a normal end.
func (c *Conn) WriteTo(w io.Writer) (int64, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	var total int64
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return total, ErrClosed
		}
		if len(c.recvq) > 0 {
			rc := c.recvq[0]
			c.recvq[0] = rchunk{}
			c.recvq = c.recvq[1:]
			c.consumedLocked(rc.end - rc.off)
			c.mu.Unlock()
			n, err := w.Write((*rc.buf)[rc.off:rc.end])
			putBuf(rc.buf)
			total += int64(n)
			if err != nil {
				return total, err
			}
			continue
		}
		if c.readErr != nil {
			err := c.readErr
			c.mu.Unlock()
			if err == io.EOF {
				err = nil
			}
			return total, err
		}
		c.mu.Unlock()
		select {
		case <-c.readWake:
		case <-c.rdeadline.wait():
			return total, os.ErrDeadlineExceeded
		}
	}
}

// Write queues p for the relay. It returns once p is buffered, waiting while
// MaxUnacked bytes are unacknowledged (back-pressure).
func (c *Conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	n := 0
	for n < len(p) {
		if err := c.waitRoom(); err != nil {
			return n, err
		}
		k := min(len(p)-n, MaxDataSize)
		buf := getBuf(k > smallBufLen-dataHeaderLen)
		copy((*buf)[dataHeaderLen:], p[n:n+k])
		if err := c.enqueue(buf, k); err != nil {
			return n, err
		}
		n += k
		if n%(4*MaxDataSize) == 0 {
			// A large write: start sending before it is all queued.
			if err := c.sendNow(); err != nil {
				return n, err
			}
		}
	}
	if err := c.sendNow(); err != nil {
		return n, err
	}
	return n, nil
}

// ReadFrom reads r until EOF straight into send buffers. It returns nil at
// EOF, like io.Copy, and leaves closing the stream to the caller.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var total int64
	big := false // start small: an idle tunnel should not pin 16 KiB
	for {
		if err := c.waitRoom(); err != nil {
			return total, err
		}
		buf := getBuf(big)
		room := min(len(*buf)-dataHeaderLen, MaxDataSize)
		n, err := r.Read((*buf)[dataHeaderLen : dataHeaderLen+room])
		if n > 0 {
			if werr := c.enqueue(buf, n); werr != nil {
				return total, werr
			}
			total += int64(n)
			if werr := c.sendNow(); werr != nil {
				return total, werr
			}
			// A full read means a bulk transfer: use big buffers; a short
			// one means interactive traffic.
			big = n == room
		} else {
			putBuf(buf)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// waitRoom waits until the send queue has room, or the Conn can no longer
// accept writes.
func (c *Conn) waitRoom() error {
	for {
		c.mu.Lock()
		err := c.writableLocked()
		if err == nil && c.tx-c.txConfirmed < c.maxUnacked() && len(c.sendq) < c.maxChunks() {
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		if err != nil {
			return err
		}
		select {
		case <-c.writeWake:
		case <-c.wdeadline.wait():
			return os.ErrDeadlineExceeded
		}
	}
}

func (c *Conn) writableLocked() error {
	switch {
	case c.closed || c.closing:
		return ErrClosed
	case c.writeErr != nil:
		return c.writeErr
	}
	if isClosed(c.wdeadline.wait()) {
		return os.ErrDeadlineExceeded
	}
	return nil
}

// enqueue appends n payload bytes in buf to the send queue.
func (c *Conn) enqueue(buf *[]byte, n int) error {
	c.mu.Lock()
	if err := c.writableLocked(); err != nil && err != os.ErrDeadlineExceeded {
		c.mu.Unlock()
		putBuf(buf)
		return err
	}
	c.sendq = append(c.sendq, &chunk{buf: buf, seq: c.tx, n: n})
	c.tx += uint64(n)
	c.mu.Unlock()
	return nil
}

// CloseWrite ends the stream once every written byte is delivered; reads go
// on until the relay closes. The relay protocol has no half-close, so the
// remote end sees the connection close, not a FIN.
func (c *Conn) CloseWrite() error {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	signal(c.sendWake)
	signal(c.writeWake)
	return nil
}

// Close flushes what was written (for at most CloseTimeout, 10 s by default),
// closes the relay connection and waits for the Conn's goroutines. Blocked
// Read and Write calls return ErrClosed. While the session is resuming with
// every written byte acknowledged, there is nothing to flush: Close does not
// wait for the reconnect.
func (c *Conn) Close() error {
	c.mu.Lock()
	already := c.closed
	c.closing, c.closed = true, true
	idle := c.reconnecting && c.txConfirmed == c.tx
	c.mu.Unlock()
	if idle {
		c.cancel()
	}
	signal(c.sendWake)
	signal(c.readWake)
	signal(c.writeWake)
	if already {
		<-c.done
		return nil
	}
	timeout := c.d.CloseTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		c.log.Warn("tunnel close timed out, dropping unsent data", slog.Duration("timeout", timeout))
		c.cancel()
		<-c.done
	}
	return nil
}

// Abort closes the Conn at once, dropping unsent data, and waits for its
// goroutines. It does not wait on the network: the relay connection's
// socket is closed under any write blocked in it.
func (c *Conn) Abort() {
	c.mu.Lock()
	c.closing, c.closed = true, true
	c.mu.Unlock()
	c.cancel()
	signal(c.readWake)
	signal(c.writeWake)
	<-c.done
}

// Done is closed when the tunnel has ended and its goroutines have exited.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Stats returns the Conn's counters.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.BytesSent, s.BytesReceived = c.txConfirmed, c.rx
	s.Reconnecting = c.reconnecting
	return s
}

// Addr is the address of a tunnel end: "iap" and the target.
type Addr struct{ Target Target }

// Network returns "iap".
func (Addr) Network() string { return "iap" }

func (a Addr) String() string { return a.Target.String() }

// LocalAddr returns the target too: the local end has no address of its own.
func (c *Conn) LocalAddr() net.Addr { return Addr{c.target} }

// RemoteAddr returns the target.
func (c *Conn) RemoteAddr() net.Addr { return Addr{c.target} }

// SetDeadline sets the read and write deadlines (see SetWriteDeadline).
func (c *Conn) SetDeadline(t time.Time) error {
	c.rdeadline.set(t)
	c.wdeadline.set(t)
	return nil
}

// SetReadDeadline sets the deadline for Read and WriteTo.
func (c *Conn) SetReadDeadline(t time.Time) error { c.rdeadline.set(t); return nil }

// SetWriteDeadline sets the deadline for Write and ReadFrom; it also ends a
// call already waiting, including one blocked sending to a relay that does
// not read (that relay connection is then dropped and the session resumed,
// without losing the bytes already accepted).
func (c *Conn) SetWriteDeadline(t time.Time) error { c.wdeadline.set(t); return nil }
