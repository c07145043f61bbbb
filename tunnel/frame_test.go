package tunnel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// Byte-exact vectors from gcloud's unit tests (relay-v4.md §2.4).
func TestFrameVectors(t *testing.T) {
	data := []byte{0x99, 'a', 'b', 'c', 'd', 'e'}
	var hdr [6]byte
	putDataHeader(hdr[:], len(data))
	if got, want := append(hdr[:], data...), []byte{0, 4, 0, 0, 0, 6, 0x99, 0x61, 0x62, 0x63, 0x64, 0x65}; !bytes.Equal(got, want) {
		t.Errorf("DATA(%x) = % x, want % x", data, got, want)
	}
	if got, want := appendAck(nil, 131072), []byte{0, 7, 0, 0, 0, 0, 0, 2, 0, 0}; !bytes.Equal(got, want) {
		t.Errorf("ACK(131072) = % x, want % x", got, want)
	}
	f, err := decodeFrame([]byte{0, 1, 0, 0, 0, 1, 0x7a})
	if err != nil || f.tag != tagConnectSuccessSID || f.sid != "z" {
		t.Errorf("decode SID z = %+v, %v", f, err)
	}
	f, err = decodeFrame([]byte{0x10, 0, 1, 2})
	if err != nil || f.tag != 4096 {
		t.Errorf("decode tag 0x1000 = %+v, %v; want tag 4096, ignored", f, err)
	}
}

func TestDecodeFrame(t *testing.T) {
	big := func(n int) []byte { return make([]byte, n) }
	be32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	be64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name    string
		msg     []byte
		want    frame
		wantErr bool
	}{
		{name: "empty", msg: nil, wantErr: true},
		{name: "one byte", msg: []byte{0}, wantErr: true},
		{name: "sid", msg: cat([]byte{0, 1}, be32(3), []byte("abc")), want: frame{tag: 1, sid: "abc"}},
		{name: "sid truncated", msg: cat([]byte{0, 1}, be32(5), []byte("abc")), wantErr: true},
		{name: "sid no length", msg: []byte{0, 1, 0}, wantErr: true},
		{name: "sid extra bytes", msg: cat([]byte{0, 1}, be32(1), []byte("ab")), want: frame{tag: 1, sid: "a", extra: 1}},
		{name: "sid too long", msg: cat([]byte{0, 1}, be32(16385), big(16385)), wantErr: true},
		{name: "reconnect ack", msg: cat([]byte{0, 2}, be64(1<<40+5)), want: frame{tag: 2, ack: 1<<40 + 5}},
		{name: "reconnect ack short", msg: []byte{0, 2, 0, 0, 0}, wantErr: true},
		{name: "ack above 2^32", msg: cat([]byte{0, 7}, be64(1<<33+7)), want: frame{tag: 7, ack: 1<<33 + 7}},
		{name: "ack short", msg: []byte{0, 7, 1, 2, 3, 4, 5}, wantErr: true},
		{name: "data", msg: cat([]byte{0, 4}, be32(2), []byte("hi")), want: frame{tag: 4, data: []byte("hi")}},
		{name: "data max", msg: cat([]byte{0, 4}, be32(16384), big(16384)), want: frame{tag: 4, data: big(16384)}},
		{name: "data too big", msg: cat([]byte{0, 4}, be32(16385), big(16385)), wantErr: true},
		{name: "data empty", msg: cat([]byte{0, 4}, be32(0)), wantErr: true},
		{name: "data truncated", msg: cat([]byte{0, 4}, be32(10), []byte("short")), wantErr: true},
		{name: "data short header", msg: []byte{0, 4, 0, 0}, wantErr: true},
		{name: "data extra", msg: cat([]byte{0, 4}, be32(1), []byte("xy")), want: frame{tag: 4, data: []byte("x"), extra: 1}},
		{name: "long close", msg: cat([]byte{0, 10}, be32(4033), be32(6), []byte("denied")), want: frame{tag: 10, code: 4033, reason: "denied"}},
		{name: "long close short reason", msg: cat([]byte{0, 10}, be32(4003), be32(99), []byte("cut")), want: frame{tag: 10, code: 4003, reason: "cut"}},
		{name: "long close short", msg: []byte{0, 10, 0, 0, 15, 0xa1}, wantErr: true},
		{name: "deprecated tag", msg: []byte{0, 3, 1, 2}, want: frame{tag: 3}},
		{name: "unused tag 8", msg: []byte{0, 8}, want: frame{tag: 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeFrame(tc.msg)
			if tc.wantErr {
				if !errors.Is(err, ErrProtocol) {
					t.Fatalf("decodeFrame(% x) error = %v, want ErrProtocol", head(tc.msg), err)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeFrame(% x) error = %v", head(tc.msg), err)
			}
			if got.tag != tc.want.tag || got.sid != tc.want.sid || got.ack != tc.want.ack ||
				!bytes.Equal(got.data, tc.want.data) || got.code != tc.want.code ||
				got.reason != tc.want.reason || got.extra != tc.want.extra {
				t.Errorf("decodeFrame(% x) = %+v, want %+v", head(tc.msg), got, tc.want)
			}
		})
	}
}

func head(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

// FuzzDecodeFrame checks that no input panics the decoder and that what it
// accepts is consistent with the input. The committed corpus
// (testdata/fuzz/FuzzDecodeFrame) has a real message of every tag of
// relay-v4.md §2, gcloud's test vectors among them.
func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte{0, 4, 0, 0, 0, 6, 0x99, 0x61, 0x62, 0x63, 0x64, 0x65})
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0x7a})
	f.Add([]byte{0, 7, 0, 0, 0, 0, 0, 2, 0, 0})
	f.Add([]byte{0, 2, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Add([]byte{0, 10, 0, 0, 15, 0xc1, 0, 0, 0, 2, 'n', 'o'})
	f.Add([]byte{0x10, 0})
	f.Add([]byte{0, 4, 0xff, 0xff, 0xff, 0xff})
	full := make([]byte, dataHeaderLen+MaxDataSize) // the largest DATA message
	putDataHeader(full, MaxDataSize)
	f.Add(full)
	f.Fuzz(func(t *testing.T, msg []byte) {
		// The dialer never hands over more than maxMessageLen bytes (the
		// rest of a longer message is discarded); longer inputs only slow
		// the fuzzer down.
		if len(msg) > maxMessageLen+64 {
			return
		}
		fr, err := decodeFrame(msg)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("decodeFrame error %v does not wrap ErrProtocol", err)
			}
			return
		}
		switch fr.tag {
		case tagData:
			if len(fr.data) == 0 || len(fr.data) > MaxDataSize {
				t.Fatalf("accepted DATA of %d bytes", len(fr.data))
			}
			if !bytes.Equal(fr.data, msg[6:6+len(fr.data)]) {
				t.Fatal("DATA payload does not alias the message")
			}
			if 6+len(fr.data)+fr.extra != len(msg) {
				t.Fatalf("DATA %d + extra %d != message %d", len(fr.data), fr.extra, len(msg))
			}
		case tagAck, tagReconnectSuccessAck:
			if len(msg) < 10 || fr.ack != binary.BigEndian.Uint64(msg[2:]) {
				t.Fatalf("ACK %d from % x", fr.ack, msg)
			}
		case tagConnectSuccessSID:
			if len(fr.sid) > maxSIDLen || 6+len(fr.sid)+fr.extra != len(msg) {
				t.Fatalf("SID of %d bytes from %d-byte message", len(fr.sid), len(msg))
			}
		}
	})
}

func TestDataHeaderRoundTrip(t *testing.T) {
	for _, n := range []int{1, 255, 256, 16383, 16384} {
		msg := make([]byte, 6+n)
		putDataHeader(msg, n)
		f, err := decodeFrame(msg)
		if err != nil || len(f.data) != n {
			t.Errorf("DATA header for %d bytes decodes to %d bytes, %v", n, len(f.data), err)
		}
	}
}
