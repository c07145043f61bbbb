package relaytest

import (
	"time"

	"github.com/coder/websocket"
)

// Faults make the relay misbehave in the ways the interop checklist
// (relay-v4.md §6) lists. The zero value is a well-behaved relay.
type Faults struct {
	// HTTPStatus answers successive upgrade requests with these statuses
	// (0 = normal) before behaving normally: 401, 403, 429, 503, …
	HTTPStatus []int

	// CloseOnConnect closes every new connection with this code right after
	// the upgrade, instead of sending the SID (4033, 4003, 4047, …).
	CloseOnConnect int
	// CloseOnReconnect refuses every reconnect with this code (4001, 4002,
	// 4074, 4051, …).
	CloseOnReconnect int
	// CloseReason goes with CloseOnConnect, CloseOnReconnect and CloseAt.
	CloseReason string
	// CloseAt closes the connection with CloseAtCode once the relay has
	// forwarded this many bytes in total (both directions), once per session.
	CloseAt     uint64
	CloseAtCode int
	// CloseEvery closes the connection with CloseAtCode each time this many
	// more bytes have been forwarded (both directions), up to CloseCount
	// times per session: relay hiccups spread over a long session.
	CloseEvery uint64
	CloseCount int

	// NoAnswer accepts the WebSocket upgrade and then sends nothing: no
	// SID, no RECONNECT_SUCCESS_ACK, no close (a relay, proxy or PSC
	// endpoint that hangs). The connection is held until the server closes.
	NoAnswer bool
	// HoldReconnect is NoAnswer for reconnects only: a session whose
	// connection dropped cannot resume, and the client keeps trying (a
	// network that went away; the demo's "reconnecting" screenshot).
	HoldReconnect bool
	// StopReading makes the relay stop reading the client's socket for good
	// right after the SID (or RECONNECT_SUCCESS_ACK), with a small socket
	// receive buffer, so the client's writes soon block in the kernel. The
	// relay still sends. The connection is held until the session ends.
	StopReading bool

	// SIDDelay delays CONNECT_SUCCESS_SID. A message the client sends
	// meanwhile is counted in SessionStats.EarlyFrames (a client bug).
	SIDDelay time.Duration
	// DataBeforeSID sends a DATA frame before the SID (a protocol error).
	DataBeforeSID bool
	// AfterSID are raw messages sent right after the SID: unknown tags,
	// malformed frames, …
	AfterSID [][]byte
	// TextAfterSID sends a text message right after the SID.
	TextAfterSID bool

	// FragmentSize splits every relay message into WebSocket fragments of at
	// most this many bytes.
	FragmentSize int
	// FrameSize caps the DATA payload the relay sends (default 16384), so
	// frames stop at other boundaries than the client's.
	FrameSize int
	// FrameDelay delays every DATA frame the relay sends.
	FrameDelay time.Duration

	// AckMidFrame makes the relay acknowledge half of each DATA frame
	// first, then the rest with the next ACK.
	AckMidFrame bool
	// AckBeyond sends one ACK for more bytes than the client sent.
	AckBeyond bool
	// WithholdAcks stops the relay from acknowledging client data.
	WithholdAcks bool
	// UnknownTags interleaves tags 0x0003, 0x0008, 0x000A (LONG_CLOSE) and
	// 0x1000 with the DATA the relay sends.
	UnknownTags bool

	// DropAfterRecv drops the TCP connection, without a close frame, when
	// the bytes received from the client in the session first reach each
	// value; DropAfterSent does the same for bytes sent to the client.
	DropAfterRecv []uint64
	DropAfterSent []uint64
	// DropEvery drops the connection each time this many more bytes have
	// been forwarded (both directions), up to DropCount times per session.
	DropEvery uint64
	DropCount int
	// DropChance drops the connection after each DATA frame the relay
	// sends or receives with this probability (seeded by DropSeed), up to
	// DropCount times per session.
	DropChance float64
	DropSeed   uint64

	// PingInterval sends WebSocket pings this often.
	PingInterval time.Duration
	// EndCode is the close code when the backend closes (default 1000;
	// 4009 or 4010 are other legal choices).
	EndCode int
}

// hang holds an upgraded connection without answering (Faults.NoAnswer)
// until the server closes.
func (s *Server) hang(ws *websocket.Conn) {
	<-s.stopped
	ws.CloseNow()
}
