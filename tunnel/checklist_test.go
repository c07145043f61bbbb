package tunnel_test

// One test per item of the interop checklist, relay-v4.md §6, each against
// relaytest playing the misbehaviour the item describes.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// 1. Handshake headers and query.
func TestChecklist01Handshake(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{})
	d := newDialer(t, srv)
	d.UserAgent = "iapdesk/test (linux/amd64)"
	c := dial(t, d, vm)
	roundTrip(t, c, []byte("hello"))
	c.Close()

	hs := srv.Handshakes()
	if len(hs) != 1 {
		t.Fatalf("%d handshakes, want 1", len(hs))
	}
	h := hs[0]
	checks := []struct{ name, got, want string }{
		{"path", h.Path, "/v4/connect"},
		{"query", h.RawQuery, "project=proj-1&port=22&newWebsocket=True&zone=europe-west1-b&instance=vm-1&interface=nic0"},
		{"Origin", h.Header.Get("Origin"), "bot:iap-tunneler"},
		{"Authorization", h.Header.Get("Authorization"), "Bearer tok-1"},
		{"Sec-WebSocket-Protocol", h.Subprotocol, "relay.tunnel.cloudproxy.app"},
		{"Sec-WebSocket-Extensions", h.Header.Get("Sec-WebSocket-Extensions"), ""},
		{"User-Agent", h.Header.Get("User-Agent"), "iapdesk/test (linux/amd64)"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("handshake %s = %q, want %q", c.name, c.got, c.want)
		}
	}

	// A host (on-premises) target sends region/network/host/group and no
	// VM fields.
	host := tunnel.Target{Project: "proj-1", Region: "europe-west1", Network: "corp", Host: "10.1.2.3", DestGroup: "dg", Port: 22}
	srv.Route(relaytest.Target{Project: "proj-1", Region: "europe-west1", Network: "corp", Host: "10.1.2.3", Group: "dg", Port: 22}.Key(), startBackend(t, echo))
	c = dial(t, d, host)
	roundTrip(t, c, []byte("on-prem"))
	c.Close()
	hs = srv.Handshakes()
	if got, want := hs[len(hs)-1].RawQuery, "project=proj-1&port=22&newWebsocket=True&region=europe-west1&network=corp&host=10.1.2.3&group=dg"; got != want {
		t.Errorf("host target query = %q, want %q", got, want)
	}
}

// 2. Nothing is sent before the SID, and bytes written meanwhile arrive in
// order afterwards. Dial returns only once the SID has arrived, so the bytes
// an application writes early wait in the local socket: the forwarder path.
func TestChecklist02NoDataBeforeSID(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{SIDDelay: 300 * time.Millisecond}})
	f := startForwarder(t, newDialer(t, srv), vm)
	local, err := net.Dial("tcp", f.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	data := stream(2, 100<<10)
	roundTrip(t, local, data) // written at once, before the relay confirms
	for _, s := range srv.Sessions() {
		if s.EarlyFrames != 0 {
			t.Errorf("client sent %d messages before CONNECT_SUCCESS_SID", s.EarlyFrames)
		}
	}
}

// 3. DATA before the SID is a protocol error; the bytes are not delivered.
func TestChecklist03EarlyDataFromRelay(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{DataBeforeSID: true}})
	_, err := newDialer(t, srv).Dial(context.Background(), vm)
	if !errors.Is(err, tunnel.ErrProtocol) {
		t.Fatalf("Dial with DATA before SID = %v, want ErrProtocol", err)
	}
}

// 4. A 100 KiB write leaves as six 16384-byte frames and one of 4096.
func TestChecklist04Framing(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{})
	c := dial(t, newDialer(t, srv), vm)
	roundTrip(t, c, stream(4, 100<<10))
	c.Close()
	var sizes []int
	for _, fr := range srv.Sessions()[0].ClientFrames {
		if fr.Tag == relaytest.TagData {
			sizes = append(sizes, fr.Len)
		}
	}
	want := []int{16384, 16384, 16384, 16384, 16384, 16384, 4096}
	if !equalInts(sizes, want) {
		t.Errorf("DATA frame sizes = %v, want %v", sizes, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// 5. Relay messages split into WebSocket fragments are reassembled.
func TestChecklist05Fragments(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{FragmentSize: 1000}})
	c := dial(t, newDialer(t, srv), vm)
	roundTrip(t, c, stream(5, 300<<10))
}

// 6. A pure download is acknowledged cumulatively, never more than 32 KiB
// plus a frame behind, and the final ACK equals the total.
func TestChecklist06ClientAcks(t *testing.T) {
	const total = 1 << 20
	data := stream(6, total)
	backend := startBackend(t, func(c net.Conn) {
		_, _ = c.Write(data)
		_, _ = io.Copy(io.Discard, c) // hold the connection open
	})
	srv := startRelay(t, false, backend, relaytest.Config{})
	c := dial(t, newDialer(t, srv), vm)
	got := make([]byte, total)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("downloaded bytes differ")
	}
	// The last bytes are acknowledged within ~2 s of idle.
	deadline := time.Now().Add(5 * time.Second)
	var acks []uint64
	for time.Now().Before(deadline) {
		acks = acks[:0]
		for _, fr := range srv.Sessions()[0].ClientFrames {
			if fr.Tag == relaytest.TagAck {
				acks = append(acks, fr.Ack)
			}
		}
		if len(acks) > 0 && acks[len(acks)-1] == total {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling the relay's record
	}
	if len(acks) == 0 || acks[len(acks)-1] != total {
		t.Fatalf("final ACK = %v, want %d", acks, total)
	}
	prev := uint64(0)
	for _, a := range acks {
		if a < prev {
			t.Fatalf("ACKs go backwards: %v", acks)
		}
		if a-prev > 32<<10+16<<10 {
			t.Errorf("ACK gap %d exceeds 32 KiB plus a frame", a-prev)
		}
		prev = a
	}
}

// 7. ACKs in the middle of a frame are trimmed exactly (checked across a
// reconnect, which resends from the ACK); an ACK beyond what was sent fails
// the connection with a protocol error.
func TestChecklist07ServerAcks(t *testing.T) {
	t.Run("mid-frame", func(t *testing.T) {
		srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
			Faults: relaytest.Faults{AckMidFrame: true, DropAfterRecv: []uint64{150 << 10, 400 << 10}},
		})
		c := dial(t, newDialer(t, srv), vm)
		roundTrip(t, c, stream(7, 1<<20))
		if n := srv.Sessions()[0].Connections; n != 3 {
			t.Errorf("%d connections, want 3 (two drops)", n)
		}
	})
	t.Run("beyond sent", func(t *testing.T) {
		srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{AckBeyond: true}})
		c := dial(t, newDialer(t, srv), vm)
		_, _ = c.Write([]byte("x"))
		if err := readErr(t, c); !errors.Is(err, tunnel.ErrProtocol) {
			t.Fatalf("Read after ACK beyond sent = %v, want ErrProtocol", err)
		}
	})
}

// 8. Unknown tags (0x0003, 0x0008, LONG_CLOSE, 0x1000) are ignored.
func TestChecklist08UnknownTags(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{UnknownTags: true}})
	c := dial(t, newDialer(t, srv), vm)
	roundTrip(t, c, stream(8, 200<<10))
}

// 9. An abrupt drop mid-stream in both directions resumes with
// /v4/reconnect, the same SID, the bytes really received and a fresh token;
// no byte is lost or duplicated.
func TestChecklist09AbruptDrop(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
		Faults: relaytest.Faults{DropAfterRecv: []uint64{100 << 10}, DropAfterSent: []uint64{700 << 10}},
	})
	c := dial(t, newDialer(t, srv), vm)
	roundTrip(t, c, stream(9, 2<<20))
	hs := srv.Handshakes()
	if len(hs) != 3 {
		t.Fatalf("%d handshakes, want connect + 2 reconnects", len(hs))
	}
	sid := srv.Sessions()[0].SID
	tokens := map[string]bool{}
	for i, h := range hs {
		tokens[h.Token] = true
		if i == 0 {
			continue
		}
		if h.Path != "/v4/reconnect" || !strings.Contains(h.RawQuery, "sid="+sid) || !strings.Contains(h.RawQuery, "ack=") ||
			!strings.Contains(h.RawQuery, "zone=europe-west1-b") {
			t.Errorf("reconnect %d: %s?%s", i, h.Path, h.RawQuery)
		}
	}
	if len(tokens) != len(hs) {
		t.Errorf("tokens %v: want a fresh one per dial", tokens)
	}
}

// 10. A drop before the relay has acknowledged anything still resumes with
// /v4/reconnect, not a new session.
func TestChecklist10DropBeforeAck(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
		Faults: relaytest.Faults{WithholdAcks: true, DropAfterRecv: []uint64{20 << 10}},
	})
	c := dial(t, newDialer(t, srv), vm)
	done := make(chan struct{})
	go func() {
		defer close(done)
		roundTrip(t, c, stream(10, 64<<10))
	}()
	waitHandshakes(t, srv, 2)
	srv.SetWithholdAcks(false)
	<-done
	hs := srv.Handshakes()
	if hs[1].Path != "/v4/reconnect" {
		t.Errorf("second handshake %s, want /v4/reconnect", hs[1].Path)
	}
}

func waitHandshakes(t *testing.T, srv *relaytest.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.Handshakes()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d handshakes, want %d", len(srv.Handshakes()), n)
		}
		time.Sleep(10 * time.Millisecond) // polling the relay's record
	}
}

// 11. A refused reconnect (4001, 4002, 4074) ends the stream at once with
// ErrSessionLost (app.UserError says "could not be resumed").
func TestChecklist11ReconnectRefused(t *testing.T) {
	for _, code := range []int{4001, 4002, 4074} {
		t.Run(itoa(code), func(t *testing.T) {
			srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
				Faults: relaytest.Faults{DropAfterRecv: []uint64{10}, CloseOnReconnect: code},
			})
			c := dial(t, newDialer(t, srv), vm)
			_, _ = c.Write(make([]byte, 100))
			err := readErr(t, c)
			var ce *tunnel.CloseError
			if !errors.Is(err, tunnel.ErrSessionLost) || !errors.As(err, &ce) || ce.Code != code || !strings.Contains(err.Error(), itoa(code)) {
				t.Fatalf("Read = %v, want ErrSessionLost from a *CloseError %d naming its code", err, code)
			}
			if n := len(srv.Handshakes()); n != 2 {
				t.Errorf("%d handshakes, want 2 (no retry after %d)", n, code)
			}
		})
	}
}

// 12. Close 4004 mid-stream: resume via /v4/reconnect with a new token.
func TestChecklist12Reauthenticate(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
		Faults: relaytest.Faults{CloseAt: 300 << 10, CloseAtCode: 4004, CloseReason: "token expired"},
	})
	c := dial(t, newDialer(t, srv), vm)
	roundTrip(t, c, stream(12, 1<<20))
	hs := srv.Handshakes()
	if len(hs) != 2 || hs[1].Path != "/v4/reconnect" || hs[0].Token == hs[1].Token {
		t.Fatalf("handshakes after 4004: %+v", summary(hs))
	}
}

func summary(hs []relaytest.Handshake) []string {
	var s []string
	for _, h := range hs {
		s = append(s, h.Path+" token="+h.Token)
	}
	return s
}

// 13. 4033 right after the upgrade: a clear authorisation error that keeps
// the relay's reason, and no retry.
func TestChecklist13NotAuthorized(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{
		Faults: relaytest.Faults{CloseOnConnect: 4033, CloseReason: "permission denied"},
	})
	_, err := newDialer(t, srv).Dial(context.Background(), vm)
	if !errors.Is(err, tunnel.ErrNotAuthorized) {
		t.Fatalf("Dial = %v, want ErrNotAuthorized", err)
	}
	var ce *tunnel.CloseError
	if !errors.As(err, &ce) || ce.Code != 4033 || ce.Reason != "permission denied" || ce.Target != vm {
		t.Errorf("Dial = %#v, want a *CloseError with code 4033, the relay's reason and the target", err)
	}
	for _, want := range []string{"permission denied", "4033", "proj-1/europe-west1-b/vm-1:22"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if n := len(srv.Handshakes()); n != 1 {
		t.Errorf("%d handshakes, want 1", n)
	}
}

// 14. 4003, 4047 and 4051 give distinct messages and no retries.
func TestChecklist14DistinctFailures(t *testing.T) {
	tests := []struct {
		code int
		is   error
		want string
	}{
		{4003, tunnel.ErrBackendUnreachable, "FAILED_TO_CONNECT_TO_BACKEND"},
		{4047, tunnel.ErrInstanceNotFound, "LOOKUP_FAILED"},
		{4051, tunnel.ErrInstanceNotFound, "LOOKUP_FAILED_RECONNECT"},
	}
	for _, tc := range tests {
		t.Run(itoa(tc.code), func(t *testing.T) {
			srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{CloseOnConnect: tc.code}})
			_, err := newDialer(t, srv).Dial(context.Background(), vm)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Dial = %v, want %v mentioning %q", err, tc.is, tc.want)
			}
			if n := len(srv.Handshakes()); n != 1 {
				t.Errorf("%d handshakes, want 1", n)
			}
		})
	}
}

// 15. The relay ending normally (1000, 4009, 4010) delivers every byte, then
// EOF, with no reconnect.
func TestChecklist15RelayEnds(t *testing.T) {
	for _, code := range []int{1000, 4009, 4010} {
		t.Run(itoa(code), func(t *testing.T) {
			data := stream(15, 500<<10)
			backend := startBackend(t, func(c net.Conn) { _, _ = c.Write(data) })
			srv := startRelay(t, false, backend, relaytest.Config{Faults: relaytest.Faults{EndCode: code}})
			c := dial(t, newDialer(t, srv), vm)
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("ReadAll = %v, want EOF after the data", err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("got %d bytes, want %d", len(got), len(data))
			}
			if n := len(srv.Handshakes()); n != 1 {
				t.Errorf("%d handshakes, want 1", n)
			}
		})
	}
}

// 16. HTTP 403 is a *HandshakeError naming the status (app.UserError gives
// the permissions-or-proxy hint), 401 one token refresh, 429 and 5xx are
// retried with backoff.
func TestChecklist16HTTPStatus(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []int
		wantErr    error
		handshakes int
	}{
		{"403", []int{403}, tunnel.ErrUpgradeForbidden, 1},
		{"401 once", []int{401}, nil, 2},
		{"401 twice", []int{401, 401}, tunnel.ErrUnauthenticated, 2},
		{"429 then ok", []int{429, 429}, nil, 3},
		{"503 then ok", []int{503, 502}, nil, 3},
		{"404", []int{404}, tunnel.ErrNotRelay, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{HTTPStatus: tc.statuses}})
			c, err := newDialer(t, srv).Dial(context.Background(), vm)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Dial = %v, want %v", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("Dial = %v", err)
				}
				roundTrip(t, c, []byte("ok"))
				c.Close()
			}
			if n := len(srv.Handshakes()); n != tc.handshakes {
				t.Errorf("%d handshakes, want %d", n, tc.handshakes)
			}
		})
	}
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{HTTPStatus: []int{403}}})
	_, err := newDialer(t, srv).Dial(context.Background(), vm)
	var he *tunnel.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != 403 || !strings.Contains(err.Error(), "403") {
		t.Errorf("403 error %q is not a *HandshakeError naming the status", err)
	}
}

// 17. Local EOF: the rest of the data goes out, then a close frame; the relay
// sees every byte and a normal close, not a drop.
func TestChecklist17LocalEOF(t *testing.T) {
	s := startSink(t)
	srv := startRelay(t, false, s.addr, relaytest.Config{})
	c := dial(t, newDialer(t, srv), vm)
	data := stream(17, 3<<20)
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	s.waitFor(t, int64(len(data)))
	st := srv.Sessions()[0]
	if st.BytesFromClient != uint64(len(data)) || st.Connections != 1 {
		t.Errorf("relay got %d bytes over %d connections, want %d over 1", st.BytesFromClient, st.Connections, len(data))
	}
	waitEnded(t, srv)
}

func waitEnded(t *testing.T, srv *relaytest.Server) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !srv.Sessions()[0].Ended {
		if time.Now().After(deadline) {
			t.Fatal("relay session did not end after the client closed")
		}
		time.Sleep(10 * time.Millisecond) // polling the relay's record
	}
}

// 18. Relay pings are answered.
func TestChecklist18Pings(t *testing.T) {
	srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: relaytest.Faults{PingInterval: 20 * time.Millisecond}})
	c := dial(t, newDialer(t, srv), vm)
	deadline := time.Now().Add(10 * time.Second)
	for srv.Sessions()[0].Pongs < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d pongs, want 3", srv.Sessions()[0].Pongs)
		}
		roundTrip(t, c, []byte("tick"))
	}
}

// 20. Back-pressure: with ACKs withheld, Write blocks once MaxUnacked bytes
// are unacknowledged, and resumes when ACKs come.
func TestChecklist20Backpressure(t *testing.T) {
	s := startSink(t)
	srv := startRelay(t, false, s.addr, relaytest.Config{Faults: relaytest.Faults{WithholdAcks: true}})
	d := newDialer(t, srv)
	d.MaxUnacked = 256 << 10
	c := dial(t, d, vm)
	data := stream(20, 2<<20)
	written := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		written <- err
	}()
	s.waitFor(t, 256<<10)
	select {
	case err := <-written:
		t.Fatalf("Write returned (%v) with 2 MiB unacknowledged; want it to block", err)
	case <-time.After(300 * time.Millisecond):
	}
	if got := s.n.Load(); got > 256<<10 {
		t.Errorf("relay got %d bytes with ACKs withheld, want at most %d", got, 256<<10)
	}
	srv.SetWithholdAcks(false)
	if err := <-written; err != nil {
		t.Fatalf("Write = %v", err)
	}
	s.waitFor(t, int64(len(data)))
}
