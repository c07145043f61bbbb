package tunnel

import (
	"errors"
	"log/slog"
	"testing"
)

// TestCounterWidth drives the send queue with stream offsets beyond 2^32: the
// ACK and RECONNECT_SUCCESS_ACK values are 64-bit (relay-v4.md §6, item 19).
func TestCounterWidth(t *testing.T) {
	const base = uint64(5) << 32 // 20 GiB into the session
	c := &Conn{log: slog.New(slog.DiscardHandler), writeWake: make(chan struct{}, 1)}
	c.tx, c.txSent, c.txConfirmed = base, base, base
	for i := 0; i < 3; i++ {
		buf := getBuf(true)
		c.sendq = append(c.sendq, &chunk{buf: buf, seq: c.tx, n: MaxDataSize})
		c.tx += MaxDataSize
	}
	c.txSent = c.tx
	// An ACK in the middle of the second chunk keeps it, trimmed exactly.
	mid := base + MaxDataSize + 100
	if err := c.onAck(mid); err != nil {
		t.Fatalf("onAck(%d) = %v", mid, err)
	}
	if len(c.sendq) != 2 || c.sendq[0].seq != base+MaxDataSize || c.txConfirmed != mid {
		t.Fatalf("after ACK %d: %d chunks, first at %d, confirmed %d", mid, len(c.sendq), c.sendq[0].seq, c.txConfirmed)
	}
	if err := c.onAck(mid - 1); !errors.Is(err, ErrProtocol) {
		t.Errorf("onAck going backwards = %v, want ErrProtocol", err)
	}
	if err := c.onAck(c.tx + 1); !errors.Is(err, ErrProtocol) {
		t.Errorf("onAck beyond sent = %v, want ErrProtocol", err)
	}
	if err := c.onAck(c.tx); err != nil || len(c.sendq) != 0 {
		t.Errorf("onAck(all) = %v, %d chunks left", err, len(c.sendq))
	}
}

func TestCloseActions(t *testing.T) {
	tests := []struct {
		code int
		want closeAction
		is   error
	}{
		{1000, actionEnd, nil}, {4009, actionEnd, nil}, {4010, actionEnd, nil},
		{1006, actionReconnect, nil}, {4004, actionReconnect, nil},
		{4000, actionRetryLimit, ErrRelay}, {4080, actionRetryLimit, ErrRelay},
		{4001, actionFail, ErrSessionLost}, {4002, actionFail, ErrSessionLost}, {4074, actionFail, ErrSessionLost},
		{4003, actionFail, ErrBackendUnreachable},
		{4033, actionFail, ErrNotAuthorized},
		{4047, actionFail, ErrInstanceNotFound}, {4051, actionFail, ErrInstanceNotFound},
		{4005, actionFail, ErrProtocol}, {4006, actionFail, ErrProtocol}, {4007, actionFail, ErrProtocol},
		{4008, actionFail, ErrProtocol}, {4013, actionFail, ErrProtocol},
	}
	for _, tc := range tests {
		if got := closeActionFor(tc.code); got != tc.want {
			t.Errorf("closeActionFor(%d) = %v, want %v", tc.code, got, tc.want)
		}
		if tc.is != nil {
			err := error(&CloseError{Code: tc.code})
			if !errors.Is(err, tc.is) {
				t.Errorf("CloseError{%d} is not %v", tc.code, tc.is)
			}
		}
	}
}
