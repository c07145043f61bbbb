package relaytest

import (
	"encoding/binary"
	"fmt"
)

// Relay v4 tags, written out from the protocol reference rather than shared
// with the client, so a misreading on one side is not mirrored on the other.
const (
	TagConnectSuccessSID   = 0x0001
	TagReconnectSuccessAck = 0x0002
	TagDeprecated          = 0x0003
	TagData                = 0x0004
	TagAck                 = 0x0007
	TagUnused8             = 0x0008
	TagLongClose           = 0x000A

	maxPayload = 16384
)

// SIDMessage encodes CONNECT_SUCCESS_SID.
func SIDMessage(sid string) []byte {
	b := make([]byte, 6+len(sid))
	binary.BigEndian.PutUint16(b[0:], TagConnectSuccessSID)
	binary.BigEndian.PutUint32(b[2:], uint32(len(sid)))
	copy(b[6:], sid)
	return b
}

// ReconnectAckMessage encodes RECONNECT_SUCCESS_ACK.
func ReconnectAckMessage(n uint64) []byte {
	b := make([]byte, 10)
	binary.BigEndian.PutUint16(b[0:], TagReconnectSuccessAck)
	binary.BigEndian.PutUint64(b[2:], n)
	return b
}

// AckMessage encodes ACK.
func AckMessage(n uint64) []byte {
	b := make([]byte, 10)
	binary.BigEndian.PutUint16(b[0:], TagAck)
	binary.BigEndian.PutUint64(b[2:], n)
	return b
}

// DataMessage encodes DATA. It does not check the payload size, so tests can
// build oversized frames.
func DataMessage(p []byte) []byte {
	b := make([]byte, 6+len(p))
	binary.BigEndian.PutUint16(b[0:], TagData)
	binary.BigEndian.PutUint32(b[2:], uint32(len(p)))
	copy(b[6:], p)
	return b
}

// LongCloseMessage encodes LONG_CLOSE.
func LongCloseMessage(code uint32, reason string) []byte {
	b := make([]byte, 10+len(reason))
	binary.BigEndian.PutUint16(b[0:], TagLongClose)
	binary.BigEndian.PutUint32(b[2:], code)
	binary.BigEndian.PutUint32(b[6:], uint32(len(reason)))
	copy(b[10:], reason)
	return b
}

// RawTag encodes a message that is just a tag and body, for unknown tags.
func RawTag(tag uint16, body ...byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, tag)
	return append(b, body...)
}

// clientFrame is a decoded client→relay message.
type clientFrame struct {
	tag  uint16
	data []byte
	ack  uint64
}

// closeCode is set on a decoding error: the close code the relay answers with.
type decodeError struct {
	code int
	msg  string
}

func (e *decodeError) Error() string { return e.msg }

// decodeClient parses a client message the way a strict relay would: only
// DATA and ACK are legal from a client.
func decodeClient(m []byte) (clientFrame, error) {
	if len(m) < 2 {
		return clientFrame{}, &decodeError{4008, fmt.Sprintf("message of %d bytes has no tag", len(m))}
	}
	f := clientFrame{tag: binary.BigEndian.Uint16(m)}
	switch f.tag {
	case TagData:
		if len(m) < 6 {
			return f, &decodeError{4013, "short DATA header"}
		}
		n := binary.BigEndian.Uint32(m[2:])
		if n == 0 || n > maxPayload || int(n) != len(m)-6 {
			return f, &decodeError{4013, fmt.Sprintf("DATA length %d in a %d-byte message", n, len(m))}
		}
		f.data = m[6:]
	case TagAck:
		if len(m) != 10 {
			return f, &decodeError{4006, fmt.Sprintf("ACK of %d bytes", len(m))}
		}
		f.ack = binary.BigEndian.Uint64(m[2:])
	default:
		return f, &decodeError{4008, fmt.Sprintf("tag 0x%04x from a client", f.tag)}
	}
	return f, nil
}
