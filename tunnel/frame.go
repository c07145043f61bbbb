package tunnel

import (
	"encoding/binary"
	"fmt"
)

// Relay v4 message tags (relay-v4.md §2.1). All integers on the wire are
// unsigned big-endian.
const (
	tagConnectSuccessSID   uint16 = 0x0001
	tagReconnectSuccessAck uint16 = 0x0002
	tagData                uint16 = 0x0004
	tagAck                 uint16 = 0x0007
	tagLongClose           uint16 = 0x000A
)

const (
	// MaxDataSize is the largest DATA payload in one relay message (16 KiB).
	MaxDataSize = 16384

	dataHeaderLen = 6  // tag + uint32 length
	ackLen        = 10 // tag + uint64
	maxSIDLen     = 16384
	maxReasonLen  = 16384
	// maxMessageLen is the longest message any known tag needs: LONG_CLOSE
	// with a full reason. Anything longer is read and its tail discarded.
	maxMessageLen = 10 + maxReasonLen
)

// frame is one decoded relay message. data aliases the decoded message.
type frame struct {
	tag    uint16
	sid    string // CONNECT_SUCCESS_SID
	ack    uint64 // ACK, RECONNECT_SUCCESS_ACK
	data   []byte // DATA payload, 1..MaxDataSize bytes
	code   uint32 // LONG_CLOSE
	reason string // LONG_CLOSE
	extra  int    // bytes after a complete frame, discarded (relay-v4.md §2.3)
}

// decodeFrame parses one relay message. Unknown tags decode without error
// (the caller ignores them); a message too short for its tag, a bad length or
// an empty or oversized DATA payload is an ErrProtocol error.
func decodeFrame(msg []byte) (frame, error) {
	if len(msg) < 2 {
		return frame{}, fmt.Errorf("%w: message of %d bytes has no tag", ErrProtocol, len(msg))
	}
	f := frame{tag: binary.BigEndian.Uint16(msg)}
	body := msg[2:]
	switch f.tag {
	case tagConnectSuccessSID:
		n, rest, err := lengthPrefixed(body, "CONNECT_SUCCESS_SID", maxSIDLen)
		if err != nil {
			return frame{}, err
		}
		f.sid, f.extra = string(rest[:n]), len(rest)-n
	case tagReconnectSuccessAck, tagAck:
		if len(body) < 8 {
			return frame{}, fmt.Errorf("%w: %s of %d bytes, want 10", ErrProtocol, tagName(f.tag), len(msg))
		}
		f.ack, f.extra = binary.BigEndian.Uint64(body), len(body)-8
	case tagData:
		n, rest, err := lengthPrefixed(body, "DATA", MaxDataSize)
		if err != nil {
			return frame{}, err
		}
		if n == 0 {
			return frame{}, fmt.Errorf("%w: empty DATA frame", ErrProtocol)
		}
		f.data, f.extra = rest[:n:n], len(rest)-n
	case tagLongClose:
		// Decoded leniently (§2.2): the relay's use of it is unconfirmed and
		// it is only logged, so a short reason is kept as far as it goes.
		if len(body) < 8 {
			return frame{}, fmt.Errorf("%w: LONG_CLOSE of %d bytes, want at least 10", ErrProtocol, len(msg))
		}
		f.code = binary.BigEndian.Uint32(body)
		n := int(min(binary.BigEndian.Uint32(body[4:]), uint32(len(body)-8)))
		f.reason = string(body[8 : 8+n])
	}
	return f, nil
}

// lengthPrefixed reads a uint32 length and checks it against the bytes that
// follow and the tag's maximum. It returns the length and the bytes after it.
func lengthPrefixed(body []byte, name string, limit uint32) (int, []byte, error) {
	if len(body) < 4 {
		return 0, nil, fmt.Errorf("%w: %s of %d bytes has no length", ErrProtocol, name, len(body)+2)
	}
	n := binary.BigEndian.Uint32(body)
	rest := body[4:]
	if n > limit {
		return 0, nil, fmt.Errorf("%w: %s length %d exceeds %d", ErrProtocol, name, n, limit)
	}
	if int(n) > len(rest) {
		return 0, nil, fmt.Errorf("%w: %s truncated: length %d, %d bytes present", ErrProtocol, name, n, len(rest))
	}
	return int(n), rest, nil
}

// putDataHeader writes a DATA header for an n-byte payload into b[:6].
func putDataHeader(b []byte, n int) {
	binary.BigEndian.PutUint16(b, tagData)
	binary.BigEndian.PutUint32(b[2:], uint32(n))
}

// appendAck appends an ACK frame for n bytes.
func appendAck(b []byte, n uint64) []byte {
	b = binary.BigEndian.AppendUint16(b, tagAck)
	return binary.BigEndian.AppendUint64(b, n)
}

func tagName(tag uint16) string {
	switch tag {
	case tagConnectSuccessSID:
		return "CONNECT_SUCCESS_SID"
	case tagReconnectSuccessAck:
		return "RECONNECT_SUCCESS_ACK"
	case tagData:
		return "DATA"
	case tagAck:
		return "ACK"
	case tagLongClose:
		return "LONG_CLOSE"
	}
	return fmt.Sprintf("tag 0x%04x", tag)
}
