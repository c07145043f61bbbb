package tunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/coder/websocket"
)

// ACK policy (gcloud's, relay-v4.md §3.3): acknowledge at once when more than
// ackThreshold received bytes are unacknowledged, otherwise within ackDelay
// of receiving them; and piggy-back a pending ACK before each DATA batch.
const (
	ackThreshold = 2 * MaxDataSize
	ackDelay     = 2 * time.Second
	// maxBatch bounds the DATA bytes one batch (one system call) carries.
	maxBatch = 256 << 10
)

// errStreamEnd marks a relay connection that ended with the session: the
// relay closed normally, or we closed after delivering everything.
var errStreamEnd = errors.New("stream ended")

// maxLimitedTries bounds the reconnects after close 4000/4080 in one episode
// (IAP Desktop's "retry at most twice").
const maxLimitedTries = 2

// run is the session goroutine: it serves one relay connection after another
// until the stream ends, then records how it ended.
func (c *Conn) run(wc *wsConn) {
	defer close(c.done)
	defer c.cancel()
	// limited counts the 4000/4080 closes of the current episode: an
	// episode of failures ends when a relay connection carries data, so a
	// long session survives any number of spread-out relay hiccups.
	limited := 0
	for {
		// Ending the Conn drops the socket, so nothing waits on the
		// network: not a write blocked on a relay that stopped reading,
		// nor the session goroutine waiting for that writer's sendMu.
		dropped := make(chan struct{})
		stop := context.AfterFunc(c.ctx, func() {
			defer close(dropped)
			wc.close()
		})
		c.setCurrent(wc)
		before := c.progress()
		err := c.serve(wc)
		c.setCurrent(nil)
		if !stop() {
			<-dropped // the close has started: it is owned here
		}
		if c.progress() != before {
			limited = 0
		}
		switch c.classify(err) {
		case actionEnd:
			c.finish(io.EOF)
			return
		case actionFail:
			c.finish(err)
			return
		case actionRetryLimit:
			if limited++; limited > maxLimitedTries {
				c.finish(err)
				return
			}
		case actionReconnect:
			c.reauthenticateAfter(err)
		}
		c.log.Warn("relay connection dropped, reconnecting", slog.Any("error", err))
		c.setReconnecting(true)
		wc, err = c.reconnect(&limited)
		c.setReconnecting(false)
		if err != nil {
			c.finish(err)
			return
		}
	}
}

// progress is a mark that moves whenever the relay delivers or acknowledges
// bytes.
func (c *Conn) progress() [2]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return [2]uint64{c.rx, c.txConfirmed}
}

// delivered reports whether the Conn is closed with every written byte
// acknowledged: no one reads any more, so a reconnect has nothing to do.
func (c *Conn) delivered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed && c.txConfirmed == c.tx
}

func (c *Conn) setReconnecting(on bool) {
	c.mu.Lock()
	c.reconnecting = on
	if !on {
		c.stats.Attempt = 0
	}
	c.mu.Unlock()
}

// setCurrent publishes the relay connection writers may send on (nil while
// there is none). Taking sendMu first waits out a Write that is sending on
// the old connection, so a reconnect never races it for txSent.
func (c *Conn) setCurrent(wc *wsConn) {
	c.sendMu.Lock()
	c.mu.Lock()
	c.cur = wc
	c.mu.Unlock()
	c.sendMu.Unlock()
}

// sendNow sends what Write queued from the writing goroutine itself, saving
// the hand-off to the session goroutine, when no one else is sending and a
// relay connection is up; otherwise it wakes the session goroutine.
//
// A failed send drops the relay connection (a frame may be cut short), and
// the session goroutine resumes on a new one. The write deadline interrupts
// a send blocked on a relay that does not read (see interruptSend): sendNow
// then returns os.ErrDeadlineExceeded, the net.Conn contract.
func (c *Conn) sendNow() error {
	if !c.sendMu.TryLock() {
		signal(c.sendWake) // the session goroutine is sending: it loops
		return nil
	}
	c.mu.Lock()
	wc := c.cur
	c.inline = wc
	c.mu.Unlock()
	// interruptSend sees inline, or this sees the deadline passed.
	if wc == nil || isClosed(c.wdeadline.wait()) {
		c.endInline()
		signal(c.sendWake)
		return nil
	}
	_, more, err := c.sendPending(wc)
	c.endInline()
	if err != nil {
		wc.close()
		signal(c.sendWake)
		if isClosed(c.wdeadline.wait()) {
			return os.ErrDeadlineExceeded
		}
		return nil
	}
	if more {
		signal(c.sendWake)
	}
	return nil
}

func (c *Conn) endInline() {
	c.mu.Lock()
	c.inline = nil
	c.mu.Unlock()
	c.sendMu.Unlock()
}

// interruptSend runs when the write deadline passes. A Write sending inline
// may be blocked in the socket on a relay that stopped reading; a past
// socket deadline makes that write fail, so Write can return.
func (c *Conn) interruptSend() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inline != nil && c.inline.raw != nil {
		_ = c.inline.raw.SetWriteDeadline(time.Unix(1, 0)) // sets a timer, no I/O
	}
}

// classify says what a relay connection's end means for the session. It
// only reads state; the caller counts retries.
func (c *Conn) classify(err error) closeAction {
	if errors.Is(err, errStreamEnd) {
		return actionEnd
	}
	var ce *CloseError
	if errors.As(err, &ce) {
		return closeActionFor(ce.Code)
	}
	// A drop without a close frame, a network or write error.
	if errors.Is(err, ErrProtocol) || errors.Is(err, ErrClosed) || c.ctx.Err() != nil {
		return actionFail
	}
	return actionReconnect
}

// reauthenticateAfter drops the cached token after close 4004, so the
// reconnect presents a fresh one.
func (c *Conn) reauthenticateAfter(err error) {
	var ce *CloseError
	if errors.As(err, &ce) && ce.Code == CodeReauthenticationNeeded {
		c.d.invalidateToken()
	}
}

// finish records how the stream ended and wakes every waiter. err is io.EOF
// for a normal end.
func (c *Conn) finish(err error) {
	c.mu.Lock()
	if c.readErr == nil {
		c.readErr = err
	}
	if c.writeErr == nil {
		if err == io.EOF {
			c.writeErr = fmt.Errorf("write to %s: %w", c.target, ErrClosed)
		} else {
			c.writeErr = err
		}
	}
	for _, ch := range c.sendq {
		putBuf(ch.buf)
	}
	c.sendq = nil
	c.mu.Unlock()
	signal(c.readWake)
	signal(c.writeWake)
	if err == io.EOF {
		c.log.Info("tunnel closed")
	} else if c.ctx.Err() == nil || !errors.Is(err, context.Canceled) {
		c.log.Info("tunnel ended", slog.Any("error", err))
	}
}

// serve runs one relay connection: a reader goroutine takes frames in, and
// this goroutine sends DATA and ACKs, until the connection fails (the error is
// returned) or the stream ends (errStreamEnd).
func (c *Conn) serve(wc *wsConn) error {
	stop := make(chan struct{})
	rdone := make(chan error, 1)
	go func() { rdone <- c.readLoop(wc, stop) }()
	// shut ends the connection and waits for the reader, which owns nothing
	// after it returns. A close frame the reader got explains a failed
	// write better than the write error does.
	shut := func(err error) error {
		close(stop)
		wc.close()
		rerr := <-rdone
		var ce *CloseError
		if err == nil || errors.As(rerr, &ce) {
			err = rerr
		}
		return err
	}

	var ackTimer *time.Timer  // armed while received bytes wait for an ACK
	var closeWait *time.Timer // armed when closing with unacknowledged bytes
	var closeWaitC <-chan time.Time
	defer func() {
		if ackTimer != nil {
			ackTimer.Stop()
		}
		if closeWait != nil {
			closeWait.Stop()
		}
	}()
	for {
		c.sendMu.Lock()
		due, more, err := c.sendPending(wc)
		c.sendMu.Unlock()
		if err != nil {
			return shut(err)
		}
		if more {
			continue
		}
		switch {
		case due == 0 && ackTimer != nil:
			ackTimer.Stop()
			ackTimer = nil
		case due > 0 && ackTimer == nil:
			ackTimer = time.NewTimer(due)
		}
		var ackC <-chan time.Time
		if ackTimer != nil {
			ackC = ackTimer.C
		}

		c.mu.Lock()
		closing, allSent, allAcked := c.closing, c.txSent == c.tx, c.txConfirmed == c.tx
		c.mu.Unlock()
		if closing && allSent {
			if !allAcked && closeWait == nil {
				wait := c.d.CloseAckWait
				if wait <= 0 {
					wait = time.Second
				}
				closeWait = time.NewTimer(wait)
				closeWaitC = closeWait.C
			}
			if allAcked || closeWaitC == nil {
				return c.closeGracefully(wc, rdone, stop)
			}
		}

		select {
		case <-c.sendWake:
		case <-ackC:
			ackTimer = nil
			if err := c.sendAck(wc); err != nil {
				return shut(err)
			}
		case <-closeWaitC:
			closeWaitC = nil
		case err := <-rdone:
			close(stop)
			wc.close()
			return err
		case <-c.ctx.Done():
			return shut(context.Cause(c.ctx))
		}
	}
}

// closeGracefully sends close 1000 after everything was sent (gcloud's local
// EOF, relay-v4.md S5) and keeps reading until the relay's close.
func (c *Conn) closeGracefully(wc *wsConn, rdone <-chan error, stop chan struct{}) error {
	// Close waits (up to 5 s, the library's limit) for the relay's close
	// frame while the reader goroutine still delivers data sent before it.
	_ = wc.ws.Close(websocket.StatusNormalClosure, "")
	close(stop)
	err := <-rdone
	var ce *CloseError
	if err == nil || errors.As(err, &ce) && closeActionFor(ce.Code) == actionEnd {
		return errStreamEnd
	}
	c.mu.Lock()
	unacked := c.txConfirmed < c.tx
	c.mu.Unlock()
	if a := c.classify(err); unacked && (a == actionReconnect || a == actionRetryLimit) {
		// The connection broke before the relay confirmed our last bytes:
		// resume to deliver them.
		return err
	}
	return errStreamEnd
}

// sendPending writes a pending ACK and unsent DATA (up to maxBatch bytes) in
// one batch. It returns how long until a not-yet-due ACK must go out (0: none
// pending) and whether unsent DATA remains.
func (c *Conn) sendPending(wc *wsConn) (due time.Duration, more bool, err error) {
	c.mu.Lock()
	var frames []*chunk
	start := c.txSent
	if c.txSent < c.tx {
		// Find the first chunk with unsent bytes; sendq is ordered by seq.
		i := 0
		for i < len(c.sendq) && c.sendq[i].end() <= c.txSent {
			i++
		}
		batch := 0
		for ; i < len(c.sendq) && batch < maxBatch; i++ {
			frames = append(frames, c.sendq[i])
			batch += c.sendq[i].n
		}
		c.txSent = frames[len(frames)-1].end()
		c.sending = true
	}
	pending := c.rx - c.rxAcked
	sendAck := pending > 0 && (len(frames) > 0 || pending > ackThreshold)
	if !sendAck && pending > 0 {
		due = max(time.Until(c.ackSince.Add(ackDelay)), time.Millisecond)
	}
	more = c.txSent < c.tx
	c.mu.Unlock()
	if len(frames) == 0 && !sendAck {
		return due, false, nil
	}

	err = c.writeBatch(wc, sendAck, frames, start)

	c.mu.Lock()
	c.sending = false
	free := c.freeLater
	c.freeLater = nil
	c.mu.Unlock()
	for _, ch := range free {
		putBuf(ch.buf)
	}
	return due, more && err == nil, err
}

// writeBatch writes a pending ACK (if sendAck) and DATA frames for frames,
// starting at stream offset start, as one write to the network.
func (c *Conn) writeBatch(wc *wsConn, sendAck bool, frames []*chunk, start uint64) error {
	debug := c.log.Enabled(context.Background(), slog.LevelDebug)
	wc.fc.Hold()
	var err error
	if sendAck {
		err = c.sendAck(wc)
	}
	for _, ch := range frames {
		if err != nil {
			break
		}
		// Resume mid-chunk after a reconnect: the header goes over bytes
		// the relay has already acknowledged.
		from := dataHeaderLen
		if start > ch.seq {
			from += int(start - ch.seq)
		}
		n := dataHeaderLen + ch.n - from
		b := (*ch.buf)[from-dataHeaderLen : dataHeaderLen+ch.n]
		putDataHeader(b, n)
		err = wc.ws.Write(context.Background(), websocket.MessageBinary, b)
		if debug {
			c.log.Debug("sent data", slog.Int("bytes", n))
		}
	}
	if ferr := wc.fc.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("write to relay: %w", err)
	}
	return nil
}

// sendAck sends an ACK for everything received, if anything is
// unacknowledged. The session goroutine and the reader both send ACKs;
// ackMu keeps their values in order on the wire.
func (c *Conn) sendAck(wc *wsConn) error {
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	c.mu.Lock()
	if c.rx == c.rxAcked {
		c.mu.Unlock()
		return nil
	}
	ack := c.rx
	c.rxAcked = ack
	c.mu.Unlock()
	var b [ackLen]byte
	err := wc.ws.Write(context.Background(), websocket.MessageBinary, appendAck(b[:0], ack))
	if c.log.Enabled(context.Background(), slog.LevelDebug) {
		c.log.Debug("sent ack", slog.Uint64("ack", ack))
	}
	if err != nil {
		return fmt.Errorf("write to relay: %w", err)
	}
	return nil
}

// readLoop reads frames from one relay connection until it fails, and returns
// why. stop is closed when the connection is being abandoned.
func (c *Conn) readLoop(wc *wsConn, stop <-chan struct{}) error {
	ws := wc.ws
	debug := c.log.Enabled(context.Background(), slog.LevelDebug)
	for {
		typ, r, err := ws.Reader(context.Background())
		if err != nil {
			return closeErr(err, c.target)
		}
		if typ != websocket.MessageBinary {
			return fmt.Errorf("%w: text WebSocket message from the relay", ErrProtocol)
		}
		buf := getBuf(true)
		n, err := io.ReadFull(r, *buf)
		switch {
		case err == io.ErrUnexpectedEOF || err == io.EOF:
			err = nil
		case err == nil:
			_, err = io.Copy(io.Discard, r) // oversized: keep only what fits
		}
		if err != nil {
			putBuf(buf)
			return closeErr(err, c.target)
		}
		f, err := decodeFrame((*buf)[:n])
		if err != nil {
			putBuf(buf)
			return err
		}
		if f.extra > 0 && debug {
			c.log.Debug("discarded bytes after relay frame", slog.String("tag", tagName(f.tag)), slog.Int("bytes", f.extra))
		}
		switch f.tag {
		case tagData:
			if debug {
				c.log.Debug("received data", slog.Int("bytes", len(f.data)))
			}
			ackNow, err := c.deliver(buf, dataHeaderLen, dataHeaderLen+len(f.data), stop)
			if err != nil {
				return err
			}
			if ackNow {
				// Past the threshold: acknowledge before reading on, so
				// the relay never has more than 32 KiB and a frame
				// unacknowledged.
				if err := c.sendAck(wc); err != nil {
					return err
				}
			}
			continue
		case tagAck:
			if debug {
				c.log.Debug("received ack", slog.Uint64("ack", f.ack))
			}
			err = c.onAck(f.ack)
		case tagConnectSuccessSID, tagReconnectSuccessAck:
			err = fmt.Errorf("%w: %s on an established connection", ErrProtocol, tagName(f.tag))
		case tagLongClose:
			c.mu.Lock()
			c.lastReason = f.reason
			c.mu.Unlock()
			logIgnored(c.log, f)
		default:
			logIgnored(c.log, f)
		}
		putBuf(buf)
		if err != nil {
			return err
		}
	}
}

// deliver queues received payload (*buf)[off:end] for Read, waiting while
// MaxReceived bytes are unread. It reports whether an ACK is due at once.
func (c *Conn) deliver(buf *[]byte, off, end int, stop <-chan struct{}) (bool, error) {
	for {
		c.mu.Lock()
		if c.recvBytes < c.maxReceived() || c.closed {
			break
		}
		c.mu.Unlock()
		select {
		case <-c.spaceWake:
		case <-stop:
			putBuf(buf)
			return false, ErrClosed
		case <-c.ctx.Done():
			putBuf(buf)
			return false, ErrClosed
		}
	}
	n := end - off
	if c.closed {
		// Nobody will read it; still count it as received, so the ACK and
		// a reconnect's ack= stay exact.
		putBuf(buf)
	} else {
		c.recvq = append(c.recvq, rchunk{buf: buf, off: off, end: end})
		c.recvBytes += n
	}
	before := c.rx - c.rxAcked
	if before == 0 {
		c.ackSince = time.Now()
	}
	c.rx += uint64(n)
	ackNow := c.rx-c.rxAcked > ackThreshold
	c.mu.Unlock()
	signal(c.readWake)
	if before == 0 {
		signal(c.sendWake) // arm the ACK timer
	}
	return ackNow, nil
}

// onAck applies an ACK from the relay: it must not go backwards or beyond
// what was sent; acknowledged chunks are released, a partly acknowledged one
// is kept and resent from the ACK on (exact trimming).
func (c *Conn) onAck(ack uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ack < c.txConfirmed {
		return fmt.Errorf("%w: relay ACK %d goes back from %d", ErrProtocol, ack, c.txConfirmed)
	}
	if ack > c.txSent {
		return fmt.Errorf("%w: relay ACK %d is beyond the %d bytes sent", ErrProtocol, ack, c.txSent)
	}
	c.trimLocked(ack)
	return nil
}

func (c *Conn) trimLocked(ack uint64) {
	c.txConfirmed = ack
	i := 0
	for i < len(c.sendq) && c.sendq[i].end() <= ack {
		if c.sending {
			c.freeLater = append(c.freeLater, c.sendq[i])
		} else {
			putBuf(c.sendq[i].buf)
		}
		c.sendq[i] = nil
		i++
	}
	if i > 0 {
		c.sendq = c.sendq[i:]
		if len(c.sendq) == 0 {
			c.sendq = nil
		}
		signal(c.writeWake)
	}
}

// reconnect resumes the session on a new relay connection: /v4/reconnect
// with the session ID and the bytes received, then RECONNECT_SUCCESS_ACK(n)
// says where our stream resumes. It retries with backoff within the budget;
// limited counts the episode's 4000/4080 closes.
func (c *Conn) reconnect(limited *int) (*wsConn, error) {
	bo := newBackoff(c.p.retry)
	start := time.Now()
	refreshed := false
	var last error
	for {
		if err := bo.wait(c.ctx, nil, c.probeWake); err != nil || c.delivered() {
			return nil, fmt.Errorf("reconnect to %s: %w", c.target, ErrClosed)
		}
		if time.Since(start) > c.p.retry.Budget {
			return nil, fmt.Errorf("%w: gave up reconnecting to %s after %v: %v", ErrSessionLost, c.target, c.p.retry.Budget, last)
		}
		c.mu.Lock()
		ack := c.rx
		c.stats.Reconnects++
		c.stats.Attempt++
		c.mu.Unlock()
		wc, n, err := c.reconnectOnce(ack)
		if err == nil {
			c.mu.Lock()
			if n < c.txConfirmed || n > c.txSent {
				sent := c.txSent
				c.mu.Unlock()
				wc.ws.CloseNow()
				return nil, fmt.Errorf("%w: RECONNECT_SUCCESS_ACK %d outside %d..%d", ErrProtocol, n, c.txConfirmed, sent)
			}
			c.trimLocked(n)
			c.txSent = n // resend exactly from what the relay has
			c.mu.Unlock()
			c.log.Info("tunnel resumed", slog.Uint64("ack_sent", ack), slog.Uint64("ack_received", n))
			return wc, nil
		}
		last = err
		var he *HandshakeError
		var ce *CloseError
		switch {
		case errors.As(err, &he) && he.StatusCode == 401 && !refreshed:
			refreshed = true
			c.d.invalidateToken()
		case errors.As(err, &he) && !he.retryable():
			return nil, err
		case errors.As(err, &ce):
			switch c.classify(err) {
			case actionReconnect:
				c.reauthenticateAfter(err)
			case actionRetryLimit:
				if *limited++; *limited > maxLimitedTries {
					return nil, err
				}
			default:
				return nil, err
			}
		case errors.Is(err, ErrProtocol), errors.Is(err, ErrNotRelay), errors.Is(err, errNoToken):
			return nil, err
		}
		c.log.Warn("reconnect failed, retrying", slog.Any("error", err))
	}
}

func (c *Conn) reconnectOnce(ack uint64) (*wsConn, uint64, error) {
	ctx, cancel := c.d.handshakeContext(c.ctx)
	defer cancel()
	rawURL := c.p.ep.reconnectURL(c.target, c.sid, ack)
	wc, err := c.d.dialWS(ctx, rawURL)
	if err != nil {
		return nil, 0, err
	}
	f, err := awaitFirst(ctx, wc.ws, tagReconnectSuccessAck, c.target, c.log)
	if err != nil {
		wc.close()
		return nil, 0, c.d.noAnswer(ctx, err, "RECONNECT_SUCCESS_ACK", rawURL)
	}
	return wc, f.ack, nil
}
