package tunnel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// 64 MiB each way over TLS, checked with sha256, without and with 20 abrupt
// drops: zero loss, zero duplication.
func TestTLS64MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB transfer; skipped with -short")
	}
	const size = 64 << 20
	tests := []struct {
		name   string
		faults relaytest.Faults
		conns  int
	}{
		{"clean", relaytest.Faults{}, 1},
		// Both directions together move 128 MiB; a drop every 6 MiB of
		// forwarded bytes fires 20 times.
		{"20 drops", relaytest.Faults{DropEvery: 6 << 20, DropCount: 20}, 21},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRelay(t, true, startBackend(t, echo), relaytest.Config{Faults: tc.faults})
			c := dial(t, newDialer(t, srv), vm)
			roundTrip(t, c, stream(64, size))
			if err := c.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}
			st := srv.Sessions()[0]
			if st.Connections != tc.conns {
				t.Errorf("%d relay connections, want %d", st.Connections, tc.conns)
			}
			if st.BytesFromClient != size {
				t.Errorf("relay received %d bytes, want %d (a duplicate or a loss)", st.BytesFromClient, size)
			}
			if cs := c.Stats(); cs.BytesReceived != size || cs.Reconnects != tc.conns-1 {
				t.Errorf("client stats %+v, want %d bytes received and %d reconnects", cs, size, tc.conns-1)
			}
		})
	}
}

// Every close code at connect time maps to its error; none panics, none
// leaks a goroutine.
func TestCloseCodesAtConnect(t *testing.T) {
	tests := []struct {
		code int
		is   error
	}{
		{4000, tunnel.ErrRelay},
		{4001, tunnel.ErrSessionLost},
		{4002, tunnel.ErrSessionLost},
		{4003, tunnel.ErrBackendUnreachable},
		{4005, tunnel.ErrProtocol},
		{4006, tunnel.ErrProtocol},
		{4007, tunnel.ErrProtocol},
		{4008, tunnel.ErrProtocol},
		{4013, tunnel.ErrProtocol},
		{4033, tunnel.ErrNotAuthorized},
		{4047, tunnel.ErrInstanceNotFound},
		{4051, tunnel.ErrInstanceNotFound},
		{4074, tunnel.ErrSessionLost},
		{4080, tunnel.ErrRelay},
	}
	for _, tc := range tests {
		t.Run(itoa(tc.code), func(t *testing.T) {
			t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) })
			srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
				Faults: relaytest.Faults{CloseOnConnect: tc.code, CloseReason: fmt.Sprintf("reason %d", tc.code)},
			})
			d := newDialer(t, srv)
			d.ConnectRetry = 50 * time.Millisecond
			_, err := d.Dial(context.Background(), vm)
			var ce *tunnel.CloseError
			if !errors.As(err, &ce) || ce.Code != tc.code {
				t.Fatalf("Dial = %v, want CloseError %d", err, tc.code)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("Dial = %v, want errors.Is %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("reason %d", tc.code)) {
				t.Errorf("error %q does not carry the relay's reason", err)
			}
		})
	}
}

// Every close code mid-stream: retryable ones resume, final ones end the
// stream with their error after the data already received.
func TestCloseCodesMidStream(t *testing.T) {
	tests := []struct {
		code   int
		resume bool
		is     error // nil: clean EOF
	}{
		{1000, false, nil},
		{4004, true, nil},
		{4000, true, nil},
		{4009, false, nil},
		{4010, false, nil},
		{4003, false, tunnel.ErrBackendUnreachable},
		{4033, false, tunnel.ErrNotAuthorized},
		{4047, false, tunnel.ErrInstanceNotFound},
		{4005, false, tunnel.ErrProtocol},
	}
	for _, tc := range tests {
		t.Run(itoa(tc.code), func(t *testing.T) {
			srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
				Faults: relaytest.Faults{CloseAt: 64 << 10, CloseAtCode: tc.code},
			})
			c := dial(t, newDialer(t, srv), vm)
			if tc.resume {
				roundTrip(t, c, stream(uint64(tc.code), 512<<10))
				if n := srv.Sessions()[0].Connections; n != 2 {
					t.Errorf("%d connections after close %d, want 2", n, tc.code)
				}
				return
			}
			go func() { _, _ = c.Write(stream(1, 512<<10)) }()
			err := readErr(t, c)
			switch {
			case tc.is == nil && err != nil:
				t.Fatalf("Read after close %d = %v, want EOF", tc.code, err)
			case tc.is != nil && !errors.Is(err, tc.is):
				t.Fatalf("Read after close %d = %v, want %v", tc.code, err, tc.is)
			}
			if n := len(srv.Handshakes()); n != 1 {
				t.Errorf("%d handshakes after close %d, want 1", n, tc.code)
			}
		})
	}
}

// Malformed relay frames end the connection with ErrProtocol: no panic, no
// leaked goroutine, no bytes from the bad frame delivered.
func TestMalformedFrames(t *testing.T) {
	tests := []struct {
		name string
		f    relaytest.Faults
	}{
		{"short frame", relaytest.Faults{AfterSID: [][]byte{{0x00}}}},
		{"data over 16 KiB", relaytest.Faults{AfterSID: [][]byte{relaytest.DataMessage(make([]byte, 16385))}}},
		{"data length beyond message", relaytest.Faults{AfterSID: [][]byte{{0, 4, 0, 0, 0, 50, 'x'}}}},
		{"empty data", relaytest.Faults{AfterSID: [][]byte{{0, 4, 0, 0, 0, 0}}}},
		{"short ack", relaytest.Faults{AfterSID: [][]byte{{0, 7, 0, 1}}}},
		{"second SID", relaytest.Faults{AfterSID: [][]byte{relaytest.SIDMessage("again")}}},
		{"reconnect ack on connect", relaytest.Faults{AfterSID: [][]byte{relaytest.ReconnectAckMessage(0)}}},
		{"ack beyond sent", relaytest.Faults{AfterSID: [][]byte{relaytest.AckMessage(1 << 20)}}},
		{"text message", relaytest.Faults{TextAfterSID: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) })
			srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: tc.f})
			c := dial(t, newDialer(t, srv), vm)
			n, err := io.Copy(io.Discard, c)
			if !errors.Is(err, tunnel.ErrProtocol) {
				t.Fatalf("Read = %v after %d bytes, want ErrProtocol", err, n)
			}
			if n != 0 {
				t.Errorf("delivered %d bytes from a malformed stream", n)
			}
			if _, err := c.Write([]byte("x")); err == nil {
				t.Error("Write after a protocol error succeeded")
			}
			c.Close()
		})
	}
}

// Unknown tags sent right after the SID are skipped too.
func TestUnknownTagsAfterSID(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{
		AfterSID: [][]byte{relaytest.RawTag(0x0003, 1), relaytest.RawTag(0x0008), relaytest.LongCloseMessage(4033, "informational"), relaytest.RawTag(0x1000), relaytest.RawTag(0xffff, 1, 2, 3)},
	}})
	c := dial(t, newDialer(t, srv), vm)
	roundTrip(t, c, stream(3, 64<<10))
}
