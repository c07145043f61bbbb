package relaytest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/coder/websocket"

	"iapdesk/tunnel/internal/netbuf"
)

// SessionStats is a snapshot of one session.
type SessionStats struct {
	SID             string
	Target          Target
	BytesFromClient uint64 // payload received from the client and written to the backend
	BytesToClient   uint64 // payload acknowledged by the client
	Connections     int    // WebSockets attached: 1 + reconnects
	Ended           bool
	Pongs           int // pings the client answered
	EarlyFrames     int // messages the client sent before the SID
	ClientFrames    []FrameRecord
}

// FrameRecord is one message the client sent.
type FrameRecord struct {
	Tag uint16
	Len int    // DATA payload length
	Ack uint64 // ACK value
}

type session struct {
	srv     *Server
	sid     string
	target  Target
	backend net.Conn
	window  int

	// mu guards the fields below.
	mu          sync.Mutex
	upRecv      uint64 // client bytes written to the backend
	upAcked     uint64 // last ACK sent to the client
	midPending  bool   // AckMidFrame: the other half of the last frame is unacked
	down        []byte // down[downOff:] holds backend bytes [downBase, …) not yet acked
	downOff     int
	downBase    uint64
	downSent    uint64
	backendDone bool
	ended       bool
	ws          *websocket.Conn // attached WebSocket, nil while detached
	nc          *netbuf.Conn    // the connection under ws (nil: unknown)
	detached    chan struct{}   // closed when ws becomes nil
	conns       int
	dropRecvI   int
	dropSentI   int
	drops       int
	nextDrop    uint64
	closedAt    bool
	closes      int    // CloseEvery closes so far
	nextClose   uint64 // CloseEvery: forwarded bytes at which the next close is due
	ackedBeyond bool
	grace       *time.Timer
	frames      []FrameRecord
	pongs       int
	rng         *rand.Rand
	earlyFrames int
	up          []byte // client bytes counted in upRecv, not yet written to the backend
	upFailed    bool   // a backend write failed

	wake      chan struct{} // one slot: writer
	spaceWake chan struct{} // one slot: backend pump
	upWake    chan struct{} // one slot: backend feeder
	upSpace   chan struct{} // one slot: client reader waiting for room in up
	endCh     chan struct{} // closed by end
}

func newSession(s *Server, sid string, t Target, backend net.Conn) *session {
	w := s.cfg.Window
	if w <= 0 {
		w = 4 << 20
	}
	ss := &session{
		srv: s, sid: sid, target: t, backend: backend, window: w,
		detached:  make(chan struct{}),
		wake:      make(chan struct{}, 1),
		spaceWake: make(chan struct{}, 1),
		upWake:    make(chan struct{}, 1),
		upSpace:   make(chan struct{}, 1),
		endCh:     make(chan struct{}),
	}
	close(ss.detached)
	f := s.takeFaults()
	ss.nextDrop, ss.nextClose = f.DropEvery, f.CloseEvery
	return ss
}

func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (ss *session) wakeWriter() { notify(ss.wake) }

func (ss *session) stats() SessionStats {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return SessionStats{
		SID: ss.sid, Target: ss.target,
		BytesFromClient: ss.upRecv, BytesToClient: ss.downBase,
		Connections: ss.conns, Ended: ss.ended, Pongs: ss.pongs, EarlyFrames: ss.earlyFrames,
		ClientFrames: append([]FrameRecord(nil), ss.frames...),
	}
}

// pumpBackend reads the backend into the downstream window until it ends.
func (ss *session) pumpBackend() {
	buf := make([]byte, 32<<10)
	for {
		ss.mu.Lock()
		full := len(ss.liveDown()) >= ss.window
		ended := ss.ended
		ss.mu.Unlock()
		if ended {
			return
		}
		if full {
			select {
			case <-ss.spaceWake:
			case <-ss.endCh:
			}
			continue
		}
		n, err := ss.backend.Read(buf)
		if n > 0 {
			ss.mu.Lock()
			ss.appendDown(buf[:n])
			ss.mu.Unlock()
			ss.wakeWriter()
		}
		if err != nil {
			ss.mu.Lock()
			ss.backendDone = true
			ss.mu.Unlock()
			ss.wakeWriter()
			return
		}
	}
}

// maxUp bounds client bytes queued for the backend.
const maxUp = 1 << 20

// feedBackend writes queued client bytes to the backend, as many as have
// gathered per write.
func (ss *session) feedBackend() {
	var buf []byte
	for {
		ss.mu.Lock()
		for len(ss.up) == 0 && !ss.ended {
			ss.mu.Unlock()
			select {
			case <-ss.upWake:
			case <-ss.endCh:
			}
			ss.mu.Lock()
		}
		if ss.ended {
			ss.mu.Unlock()
			return
		}
		// Swap buffers rather than copy: the reader fills the other one
		// while this one is written.
		buf, ss.up = ss.up, buf[:0]
		wasFull := len(buf) >= maxUp
		ss.mu.Unlock()
		if wasFull {
			notify(ss.upSpace)
		}
		if _, err := ss.backend.Write(buf); err != nil {
			ss.mu.Lock()
			ss.upFailed = true
			ss.mu.Unlock()
			notify(ss.upSpace)
			return
		}
	}
}

// attach serves one WebSocket of the session until it fails or the session
// ends. It runs on the HTTP handler goroutine.
func (ss *session) attach(ws *websocket.Conn, nc *netbuf.Conn, f Faults) {
	ss.attachFirst(ws, nc, f, nil)
}

// attachFirst is attach whose first client message comes from early, if
// that is not nil.
func (ss *session) attachFirst(ws *websocket.Conn, nc *netbuf.Conn, f Faults, early <-chan message) {
	ss.mu.Lock()
	if ss.ended {
		ss.mu.Unlock()
		ws.Close(4001, "session ended")
		return
	}
	ss.ws, ss.nc = ws, nc
	ss.detached = make(chan struct{})
	ss.conns++
	if ss.grace != nil {
		ss.grace.Stop()
		ss.grace = nil
	}
	ss.mu.Unlock()

	stop := make(chan struct{})
	wdone := make(chan struct{})
	go func() {
		defer close(wdone)
		ss.writeLoop(ws, nc, f, stop)
	}()
	var err error
	if f.StopReading {
		err = ss.stallReads(nc)
	} else {
		err = ss.readLoop(ws, f, early)
	}
	close(stop)
	ws.CloseNow()
	<-wdone

	var ce websocket.CloseError
	if errors.As(err, &ce) && ce.Code == websocket.StatusNormalClosure {
		// The client finished: close the backend, end the session.
		ss.end()
		return
	}
	ss.detach()
}

// detach forgets the WebSocket and gives the client ReconnectGrace to resume.
func (ss *session) detach() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.ws == nil {
		return
	}
	ss.ws = nil
	close(ss.detached)
	if ss.ended {
		return
	}
	grace := ss.srv.cfg.ReconnectGrace
	if grace <= 0 {
		grace = 60 * time.Second
	}
	ss.grace = time.AfterFunc(grace, func() { ss.end() })
}

// end closes the session: the backend, and the attached WebSocket (without a
// close frame: callers that want one send it first).
func (ss *session) end() {
	ss.mu.Lock()
	if ss.ended {
		ss.mu.Unlock()
		return
	}
	ss.ended = true
	ws := ss.ws
	if ss.grace != nil {
		ss.grace.Stop()
	}
	close(ss.endCh)
	ss.mu.Unlock()
	ss.backend.Close()
	if ws != nil {
		ws.CloseNow()
	}
}

// resume prepares the session for a reconnect from a client that received
// ack bytes. It returns the bytes received from the client, or a close code.
func (ss *session) resume(ack uint64) (uint64, int, string) {
	ss.mu.Lock()
	if ss.ws != nil {
		// The old WebSocket may not have noticed the drop yet; one that
		// BlackHole silenced never will: it is given up at once.
		ch, old, silenced := ss.detached, ss.ws, holed(ss.nc)
		ss.mu.Unlock()
		if silenced {
			old.CloseNow()
		}
		select {
		case <-ch:
		case <-time.After(2 * time.Second):
		}
		ss.mu.Lock()
	}
	defer ss.mu.Unlock()
	switch {
	case ss.ended:
		return 0, 4001, "session ended"
	case ss.ws != nil:
		return 0, 4002, "sid in use"
	case ack < ss.downBase:
		return 0, 4074, "cannot rewind"
	case ack > ss.downSent:
		return 0, 4006, "ack beyond sent"
	}
	k := int(ack - ss.downBase)
	ss.trimDown(k)
	ss.downBase, ss.downSent = ack, ack
	// RECONNECT_SUCCESS_ACK acknowledges everything received: later ACKs
	// must not go below it.
	ss.upAcked, ss.midPending = ss.upRecv, false
	notify(ss.spaceWake)
	return ss.upRecv, 0, ""
}

// errStalled ends a connection under Faults.StopReading.
var errStalled = errors.New("fault: stopped reading")

// stallReads is the read loop of Faults.StopReading: it shrinks the socket's
// receive buffer, so the client's writes block after little data, and reads
// nothing until the session ends.
func (ss *session) stallReads(nc *netbuf.Conn) error {
	if tc := tcpConn(nc); tc != nil {
		_ = tc.SetReadBuffer(4 << 10)
	}
	<-ss.endCh
	return errStalled
}

// readLoop takes client frames until the WebSocket fails.
func (ss *session) readLoop(ws *websocket.Conn, f Faults, early <-chan message) error {
	buf := make([]byte, 16400)
	ctx := context.Background()
	for {
		var typ websocket.MessageType
		var n int
		if early != nil {
			m := <-early
			early = nil
			if m.err != nil {
				return m.err
			}
			if len(m.data) > len(buf) {
				ws.Close(4013, "message too long")
				return errors.New("oversized client message")
			}
			typ, n = m.typ, copy(buf, m.data)
		} else {
			var r io.Reader
			var err error
			typ, r, err = ws.Reader(ctx)
			if err != nil {
				return err
			}
			n, err = io.ReadFull(r, buf)
			if err == nil {
				ws.Close(4013, "message too long")
				return errors.New("oversized client message")
			}
			if err != io.ErrUnexpectedEOF && err != io.EOF {
				return err
			}
		}
		if typ != websocket.MessageBinary {
			ws.Close(4007, "text message")
			return errors.New("text message")
		}
		fr, err := decodeClient(buf[:n])
		if err != nil {
			var de *decodeError
			errors.As(err, &de)
			ss.srv.log.Info("relaytest: bad client frame", slog.String("error", de.msg))
			ws.Close(websocket.StatusCode(de.code), de.msg)
			return err
		}
		switch fr.tag {
		case TagData:
			ss.mu.Lock()
			for len(ss.up) >= maxUp && !ss.upFailed && !ss.ended {
				ss.mu.Unlock()
				select {
				case <-ss.upSpace:
				case <-ss.endCh:
				}
				ss.mu.Lock()
			}
			if ss.upFailed {
				ss.mu.Unlock()
				ws.Close(4009, "destination write failed")
				return errors.New("backend write failed")
			}
			// Counted as received now: the queue survives a reconnect.
			ss.up = append(ss.up, fr.data...)
			notify(ss.upWake)
			ss.upRecv += uint64(len(fr.data))
			if f.AckMidFrame {
				ss.midPending = true
			}
			ss.record(FrameRecord{Tag: TagData, Len: len(fr.data)})
			drop := ss.dropDueLocked(f, true)
			ss.mu.Unlock()
			ss.wakeWriter()
			if drop {
				return errors.New("fault: drop")
			}
		case TagAck:
			ss.mu.Lock()
			ss.record(FrameRecord{Tag: TagAck, Ack: fr.ack})
			if fr.ack > ss.downSent || fr.ack < ss.downBase {
				ss.mu.Unlock()
				ws.Close(4005, "bad ack")
				return errors.New("bad ack")
			}
			k := int(fr.ack - ss.downBase)
			ss.trimDown(k)
			ss.downBase = fr.ack
			ss.mu.Unlock()
			notify(ss.spaceWake)
		}
	}
}

// trimDown drops the first k downstream bytes by moving the read offset;
// appendDown compacts only when the dead prefix is at least as long as the
// live bytes, so each byte is copied a bounded number of times however
// often the client acknowledges.
func (ss *session) trimDown(k int) {
	ss.downOff += k
	if ss.downOff == len(ss.down) {
		ss.down, ss.downOff = ss.down[:0], 0
	}
}

// liveDown is the unacknowledged downstream bytes.
func (ss *session) liveDown() []byte { return ss.down[ss.downOff:] }

func (ss *session) appendDown(p []byte) {
	if ss.downOff > 0 && ss.downOff >= len(ss.down)-ss.downOff {
		n := copy(ss.down, ss.down[ss.downOff:])
		ss.down, ss.downOff = ss.down[:n], 0
	}
	ss.down = append(ss.down, p...)
}

func (ss *session) record(fr FrameRecord) {
	if len(ss.frames) < 1<<16 {
		ss.frames = append(ss.frames, fr)
	}
}

// dropDueLocked reports whether a drop fault fires now.
func (ss *session) dropDueLocked(f Faults, recv bool) bool {
	if recv && ss.dropRecvI < len(f.DropAfterRecv) && ss.upRecv >= f.DropAfterRecv[ss.dropRecvI] {
		ss.dropRecvI++
		return true
	}
	if !recv && ss.dropSentI < len(f.DropAfterSent) && ss.downSent >= f.DropAfterSent[ss.dropSentI] {
		ss.dropSentI++
		return true
	}
	if f.DropEvery > 0 && ss.drops < f.DropCount && ss.upRecv+ss.downSent >= ss.nextDrop {
		ss.drops++
		ss.nextDrop += f.DropEvery
		return true
	}
	if f.DropChance > 0 && ss.drops < f.DropCount {
		if ss.rng == nil {
			ss.rng = rand.New(rand.NewPCG(f.DropSeed, uint64(len(ss.sid))))
		}
		if ss.rng.Float64() < f.DropChance {
			ss.drops++
			return true
		}
	}
	return false
}

// framesPerBatch bounds the DATA frames the relay writes with one write.
const framesPerBatch = 4

// writeLoop sends downstream DATA and ACKs until stop is closed or the
// WebSocket fails.
func (ss *session) writeLoop(ws *websocket.Conn, nc *netbuf.Conn, f Faults, stop <-chan struct{}) {
	frameSize := f.FrameSize
	if frameSize <= 0 || frameSize > maxPayload {
		frameSize = maxPayload
	}
	ackEvery := uint64(ss.srv.cfg.AckEvery)
	if ackEvery == 0 {
		ackEvery = 128 << 10
	}
	ackDelay := ss.srv.cfg.AckDelay
	if ackDelay <= 0 {
		ackDelay = 5 * time.Millisecond
	}
	var bufs [framesPerBatch][]byte
	for i := range bufs {
		bufs[i] = make([]byte, 6+maxPayload)
	}
	var ackTimer *time.Timer
	var ackC <-chan time.Time
	var pingC <-chan time.Time
	if f.PingInterval > 0 {
		ping := time.NewTicker(f.PingInterval)
		defer ping.Stop()
		pingC = ping.C
	}
	defer func() {
		if ackTimer != nil {
			ackTimer.Stop()
		}
	}()
	ackNow := false
	unknownSent := false
	batchLen := framesPerBatch
	if f.FrameDelay > 0 || f.FragmentSize > 0 || nc == nil {
		batchLen = 1
	}
	for {
		withhold := ss.srv.takeFaults().WithholdAcks
		ss.mu.Lock()
		var ackMsg []byte
		if !withhold && ss.upRecv > ss.upAcked {
			switch {
			case f.AckBeyond && !ss.ackedBeyond:
				ss.ackedBeyond = true
				ackMsg = AckMessage(ss.upRecv + 1000)
			case f.AckMidFrame && ss.midPending:
				// Acknowledge into the middle of the unacknowledged
				// bytes; the rest follows with the next ACK.
				ss.midPending = false
				ss.upAcked = min(ss.upAcked+(ss.upRecv-ss.upAcked)/2+1, ss.upRecv)
				ackMsg = AckMessage(ss.upAcked)
			case ackNow || ss.upRecv-ss.upAcked >= ackEvery:
				ss.upAcked = ss.upRecv
				ackMsg = AckMessage(ss.upAcked)
			}
		}
		ackNow = false
		ackPending := !withhold && ss.upRecv > ss.upAcked
		var frames [][]byte
		drop := false
		for len(frames) < batchLen && !drop {
			avail := ss.downBase + uint64(len(ss.liveDown())) - ss.downSent
			if avail == 0 {
				break
			}
			k := int(min(avail, uint64(frameSize)))
			off := int(ss.downSent - ss.downBase)
			fr := bufs[len(frames)][:6+k]
			fr[0], fr[1] = 0, TagData
			fr[2], fr[3], fr[4], fr[5] = byte(k>>24), byte(k>>16), byte(k>>8), byte(k)
			copy(fr[6:], ss.liveDown()[off:off+k])
			ss.downSent += uint64(k)
			frames = append(frames, fr)
			drop = ss.dropDueLocked(f, false)
		}
		var closeCode int
		if f.CloseAt > 0 && !ss.closedAt && ss.upRecv+ss.downSent >= f.CloseAt {
			ss.closedAt = true
			closeCode = f.CloseAtCode
		}
		if f.CloseEvery > 0 && ss.closes < f.CloseCount && ss.upRecv+ss.downSent >= ss.nextClose {
			ss.closes++
			ss.nextClose = ss.upRecv + ss.downSent + f.CloseEvery
			closeCode = f.CloseAtCode
		}
		finished := len(frames) == 0 && ss.backendDone && ss.downSent == ss.downBase+uint64(len(ss.liveDown()))
		ss.mu.Unlock()

		if ackMsg != nil || len(frames) > 0 {
			if nc != nil {
				nc.Hold()
			}
			err := ss.sendBatch(ws, f, ackMsg, frames, !unknownSent, stop)
			if len(frames) > 0 && f.UnknownTags {
				unknownSent = true
			}
			if nc != nil {
				if ferr := nc.Flush(); err == nil {
					err = ferr
				}
			}
			if err != nil {
				return
			}
			if drop {
				ws.CloseNow()
				return
			}
		}
		if closeCode != 0 {
			ws.Close(websocket.StatusCode(closeCode), f.CloseReason)
			return
		}
		if finished {
			code := f.EndCode
			if code == 0 {
				code = int(websocket.StatusNormalClosure)
			}
			ws.Close(websocket.StatusCode(code), "")
			ss.end()
			return
		}
		if len(frames) > 0 || ackMsg != nil {
			continue
		}
		if ackPending && ackTimer == nil {
			ackTimer = time.NewTimer(ackDelay)
			ackC = ackTimer.C
		}
		select {
		case <-ss.wake:
		case <-ackC:
			ackTimer, ackC = nil, nil
			ackNow = true
		case <-pingC:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if ws.Ping(ctx) == nil {
				ss.mu.Lock()
				ss.pongs++
				ss.mu.Unlock()
			}
			cancel()
		case <-stop:
			return
		}
	}
}

// sendBatch writes an ACK and DATA frames, with the unknown tags of the
// UnknownTags fault before the first DATA.
func (ss *session) sendBatch(ws *websocket.Conn, f Faults, ack []byte, frames [][]byte, first bool, stop <-chan struct{}) error {
	ctx := context.Background()
	if ack != nil {
		if err := ss.send(ctx, ws, ack, f); err != nil {
			return err
		}
	}
	if len(frames) > 0 && f.UnknownTags && first {
		for _, m := range [][]byte{RawTag(TagDeprecated, 1, 2, 3), RawTag(TagUnused8), LongCloseMessage(4000, "long close reason"), RawTag(0x1000, 9, 9)} {
			if err := ss.send(ctx, ws, m, f); err != nil {
				return err
			}
		}
	}
	for _, fr := range frames {
		if f.FrameDelay > 0 {
			t := time.NewTimer(f.FrameDelay)
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
				return errors.New("stopped")
			}
		}
		if err := ss.send(ctx, ws, fr, f); err != nil {
			return err
		}
	}
	return nil
}

// send writes one message, in fragments if the faults say so.
func (ss *session) send(ctx context.Context, ws *websocket.Conn, m []byte, f Faults) error {
	if f.FragmentSize <= 0 || len(m) <= f.FragmentSize {
		return ws.Write(ctx, websocket.MessageBinary, m)
	}
	w, err := ws.Writer(ctx, websocket.MessageBinary)
	if err != nil {
		return err
	}
	for len(m) > 0 {
		k := min(len(m), f.FragmentSize)
		if _, err := w.Write(m[:k]); err != nil {
			return err
		}
		m = m[k:]
	}
	return w.Close()
}
