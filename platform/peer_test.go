package platform

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

const procHeader4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
const procHeader6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestParseProcNetTCP(t *testing.T) {
	tests := []struct {
		name  string
		order binary.ByteOrder
		data  string
		want  []procSocket
	}{
		{
			name:  "ipv4 little endian",
			order: binary.LittleEndian,
			data: procHeader4 +
				"   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 115 1 000000004881e1d6 100 0 0 10 0\n" +
				"   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 20 4 30 10 -1\n" +
				"   2: 0A00A8C0:0016 6401A8C0:E2D4 01 00000000:00000000 02:000AA4BD 00000000   105        0 99 2 0000000000000000 20 4 30 10 -1\n",
			want: []procSocket{
				{Local: ap("0.0.0.0:2024"), Remote: ap("0.0.0.0:0"), State: 0x0A, UID: 0},
				{Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:54321"), State: 1, UID: 1000},
				{Local: ap("192.168.0.10:22"), Remote: ap("192.168.1.100:58068"), State: 1, UID: 105},
			},
		},
		{
			name:  "ipv4 big endian",
			order: binary.BigEndian,
			data: procHeader4 +
				"   0: 7F000001:1F90 7F000001:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1\n",
			want: []procSocket{{Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:54321"), State: 1, UID: 1000}},
		},
		{
			name:  "ipv6 little endian",
			order: binary.LittleEndian,
			data: procHeader6 +
				"   0: 00000000000000000000000001000000:C79D 00000000000000000000000001000000:88F6 01 00000000:00000000 00:00000000 00000000     0        0 60232 1 00000000ca972312 20 0 0 10 -1\n" +
				"   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D431 01 00000000:00000000 00:00000000 00000000  1001        0 1 1\n" +
				"   2: 000080FE0000000002FF4F0AFE3E5F84:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n",
			want: []procSocket{
				{Local: ap("[::1]:51101"), Remote: ap("[::1]:35062"), State: 1, UID: 0},
				// IPv4-mapped addresses are reported as IPv4.
				{Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:54321"), State: 1, UID: 1001},
				{Local: ap("[fe80::a4f:ff02:845f:3efe]:22"), Remote: ap("[::]:0"), State: 0x0A, UID: 0},
			},
		},
		{
			name:  "ipv6 big endian",
			order: binary.BigEndian,
			data: procHeader6 +
				"   0: 00000000000000000000000000000001:C79D FE800000000000000A4FFF02845F3EFE:88F6 01 00000000:00000000 00:00000000 00000000     7        0 60232 1\n",
			want: []procSocket{{Local: ap("[::1]:51101"), Remote: ap("[fe80::a4f:ff02:845f:3efe]:35062"), State: 1, UID: 7}},
		},
		{name: "header only", order: binary.LittleEndian, data: procHeader4, want: nil},
		{name: "empty", order: binary.LittleEndian, data: "", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProcNetTCP([]byte(tc.data), tc.order)
			if err != nil {
				t.Fatalf("parseProcNetTCP() error = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseProcNetTCP() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseProcNetTCPErrors(t *testing.T) {
	tests := []struct{ name, line string }{
		{"too few fields", "   0: 0100007F:1F90 0100007F:D431 01\n"},
		{"bad hex address", "   0: 0100007G:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000 0 0 1\n"},
		{"short address", "   0: 0100007:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000 0 0 1\n"},
		{"no port", "   0: 0100007F 0100007F:D431 01 00000000:00000000 00:00000000 00000000 0 0 1\n"},
		{"bad state", "   0: 0100007F:1F90 0100007F:D431 ZZ 00000000:00000000 00:00000000 00000000 0 0 1\n"},
		{"bad uid", "   0: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000 -1 0 1\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := parseProcNetTCP([]byte(procHeader4+tc.line), binary.LittleEndian); err == nil {
				t.Errorf("parseProcNetTCP(%q) = %v, want an error", tc.line, got)
			}
		})
	}
}

func TestFindPeerUID(t *testing.T) {
	socks := []procSocket{
		{Local: ap("127.0.0.1:8080"), Remote: ap("0.0.0.0:0"), State: 0x0A, UID: 1},                    // listener
		{Local: ap("127.0.0.1:8080"), Remote: ap("127.0.0.1:40000"), State: tcpEstablished, UID: 1},    // our accepted side
		{Local: ap("127.0.0.1:40000"), Remote: ap("127.0.0.1:8080"), State: tcpEstablished, UID: 1000}, // the peer
		{Local: ap("127.0.0.1:40001"), Remote: ap("127.0.0.1:8080"), State: 0x06, UID: 2000},           // TIME_WAIT
	}
	tests := []struct {
		name       string
		self, peer netip.AddrPort
		wantUID    int
		wantOK     bool
	}{
		{"peer found", ap("127.0.0.1:8080"), ap("127.0.0.1:40000"), 1000, true},
		{"mapped addresses", ap("[::ffff:127.0.0.1]:8080"), ap("[::ffff:127.0.0.1]:40000"), 1000, true},
		{"not established", ap("127.0.0.1:8080"), ap("127.0.0.1:40001"), 0, false},
		{"unknown", ap("127.0.0.1:8080"), ap("127.0.0.1:40002"), 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			uid, ok := findPeerUID(socks, tc.self, tc.peer)
			if uid != tc.wantUID || ok != tc.wantOK {
				t.Errorf("findPeerUID(%v, %v) = %d, %v, want %d, %v", tc.self, tc.peer, uid, ok, tc.wantUID, tc.wantOK)
			}
		})
	}
}

func FuzzParseProcNetTCP(f *testing.F) {
	f.Add([]byte(procHeader4 + "   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1\n"))
	f.Add([]byte(procHeader6 + "   0: 00000000000000000000000001000000:C79D 00000000000000000000000001000000:88F6 01 00000000:00000000 00:00000000 00000000     0        0 60232 1\n"))
	f.Add([]byte("sl\n0: :: :: 1 2 3 4 5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return // a hundred sockets; more lines only slow the fuzzer
		}
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			socks, err := parseProcNetTCP(data, order)
			if err != nil {
				continue
			}
			for _, s := range socks {
				if !s.Local.IsValid() || !s.Remote.IsValid() || s.UID < 0 || s.State < 0 || s.State > 255 {
					t.Fatalf("parseProcNetTCP(%q) gave invalid socket %+v", data, s)
				}
				if s.Local.Addr().Is4In6() || s.Remote.Addr().Is4In6() {
					t.Fatalf("parseProcNetTCP(%q) kept an IPv4-mapped address: %+v", data, s)
				}
			}
		}
	})
}

// acceptOne listens on network/addr, dials it with dial and returns the
// accepted server side.
func acceptOne(t *testing.T, network, addr string, dial func(addr string) (func(), error)) net.Conn {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("listen %s %s: %v", network, addr, err)
	}
	defer l.Close()
	type res struct {
		c   net.Conn
		err error
	}
	accepted := make(chan res, 1)
	go func() { c, err := l.Accept(); accepted <- res{c, err} }()
	closeClient, err := dial(l.Addr().String())
	if err != nil {
		t.Fatalf("dial %s: %v", l.Addr(), err)
	}
	t.Cleanup(closeClient)
	r := <-accepted
	if r.err != nil {
		t.Fatalf("accept: %v", r.err)
	}
	t.Cleanup(func() { r.c.Close() })
	return r.c
}

func dialGo(network string) func(string) (func(), error) {
	return func(addr string) (func(), error) {
		c, err := net.Dial(network, addr)
		if err != nil {
			return nil, err
		}
		return func() { c.Close() }, nil
	}
}

func TestPeerIsSameUser(t *testing.T) {
	if runtime.GOOS != "linux" {
		c := acceptOne(t, "tcp4", "127.0.0.1:0", dialGo("tcp4"))
		if err := PeerIsSameUser(c); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("PeerIsSameUser() = %v, want errors.ErrUnsupported", err)
		}
		return
	}
	for _, tc := range []struct{ name, network, addr string }{
		{"ipv4", "tcp4", "127.0.0.1:0"},
		{"ipv6", "tcp6", "[::1]:0"},
		// The accepted side is an IPv4-mapped tcp6 socket, the peer a tcp one.
		{"ipv4 to dual-stack listener", "tcp", "[::]:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := acceptOne(t, tc.network, tc.addr, func(addr string) (func(), error) {
				_, port, _ := net.SplitHostPort(addr)
				host := "127.0.0.1"
				if tc.network == "tcp6" {
					host = "::1"
				}
				return dialGo("tcp")(net.JoinHostPort(host, port))
			})
			if err := PeerIsSameUser(c); err != nil {
				t.Fatalf("PeerIsSameUser(%v) = %v, want nil", c.RemoteAddr(), err)
			}
		})
	}
}

func TestPeerIsSameUserClosedPeer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux reads /proc/net/tcp")
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client.Close() // the peer socket leaves ESTABLISHED
	if err := PeerIsSameUser(c); !errors.Is(err, ErrPeerNotFound) {
		t.Fatalf("PeerIsSameUser(closed peer) = %v, want ErrPeerNotFound", err)
	}
}

func TestPeerIsSameUserNotTCP(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if err := PeerIsSameUser(a); err == nil {
		t.Fatal("PeerIsSameUser(net.Pipe) = nil, want an error")
	}
}

func BenchmarkParseProcNetTCP(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(procHeader4)
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&sb, "%4d: 0100007F:%04X 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 %d 1 0000000000000000 20 4 30 10 -1\n", i, 10000+i, 40000+i)
	}
	data := []byte(sb.String())
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseProcNetTCP(data, binary.LittleEndian); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(5000*b.N)/b.Elapsed().Seconds(), "sockets/s")
}

func BenchmarkPeerIsSameUser(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("only Linux reads /proc/net/tcp")
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	c, err := l.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	for b.Loop() {
		if err := PeerIsSameUser(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
