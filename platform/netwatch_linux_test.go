package platform

import (
	"bufio"
	"context"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"

	"iapdesk/platform/systest"
)

// nlMsg builds an rtnetlink message of type typ: the fixed header hdr and
// the attributes (type, value).
func nlMsg(typ uint16, hdr []byte, attrs ...any) syscall.NetlinkMessage {
	data := append([]byte(nil), hdr...)
	for i := 0; i+1 < len(attrs); i += 2 {
		v := attrs[i+1].([]byte)
		a := make([]byte, 4, 4+len(v)+3)
		binary.NativeEndian.PutUint16(a[0:2], uint16(4+len(v)))
		binary.NativeEndian.PutUint16(a[2:4], attrs[i].(uint16))
		a = append(a, v...)
		for len(a)%4 != 0 {
			a = append(a, 0)
		}
		data = append(data, a...)
	}
	return syscall.NetlinkMessage{Header: syscall.NlMsghdr{Type: typ, Len: uint32(16 + len(data))}, Data: data}
}

func ifAddrMsg(family, prefix byte, index uint32) []byte {
	b := make([]byte, unix.SizeofIfAddrmsg)
	b[0], b[1] = family, prefix
	binary.NativeEndian.PutUint32(b[4:8], index)
	return b
}

func rtMsg(family, dstLen, table, typ byte) []byte {
	b := make([]byte, unix.SizeofRtMsg)
	b[0], b[1], b[4], b[7] = family, dstLen, table, typ
	return b
}

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// TestNetStateApply: only real changes count. An address's lifetime
// renewed (RTM_NEWADDR again, every router advertisement on IPv6) and
// routes other than a default route of the main table change nothing.
func TestNetStateApply(t *testing.T) {
	addr := func(typ uint16, ip string, index uint32) syscall.NetlinkMessage {
		a := net.ParseIP(ip)
		fam := byte(unix.AF_INET6)
		if a4 := a.To4(); a4 != nil {
			a, fam = a4, unix.AF_INET
		}
		return nlMsg(typ, ifAddrMsg(fam, 24, index), uint16(unix.IFA_ADDRESS), []byte(a))
	}
	route := func(typ uint16, dstLen, table byte, gw string, oif uint32) syscall.NetlinkMessage {
		return nlMsg(typ, rtMsg(unix.AF_INET, dstLen, table, unix.RTN_UNICAST),
			uint16(unix.RTA_GATEWAY), []byte(net.ParseIP(gw).To4()), uint16(unix.RTA_OIF), u32(oif))
	}
	s := newNetState()
	steps := []struct {
		name string
		msg  syscall.NetlinkMessage
		want NetChange
	}{
		{"new address", addr(unix.RTM_NEWADDR, "192.168.1.10", 2), NetAddress},
		{"same address renewed", addr(unix.RTM_NEWADDR, "192.168.1.10", 2), 0},
		{"ipv6 address", addr(unix.RTM_NEWADDR, "2001:db8::10", 2), NetAddress},
		{"address removed", addr(unix.RTM_DELADDR, "192.168.1.10", 2), NetAddress},
		{"address removed twice", addr(unix.RTM_DELADDR, "192.168.1.10", 2), 0},
		{"default route", route(unix.RTM_NEWROUTE, 0, unix.RT_TABLE_MAIN, "192.168.1.1", 2), NetRoute},
		{"default route again", route(unix.RTM_NEWROUTE, 0, unix.RT_TABLE_MAIN, "192.168.1.1", 2), 0},
		{"default route via another gateway", route(unix.RTM_NEWROUTE, 0, unix.RT_TABLE_MAIN, "10.0.0.1", 3), NetRoute},
		{"subnet route", route(unix.RTM_NEWROUTE, 24, unix.RT_TABLE_MAIN, "192.168.1.1", 2), 0},
		{"local table", route(unix.RTM_NEWROUTE, 0, unix.RT_TABLE_LOCAL, "192.168.1.1", 2), 0},
		{"default route gone", route(unix.RTM_DELROUTE, 0, unix.RT_TABLE_MAIN, "192.168.1.1", 2), NetRoute},
		{"link message", nlMsg(unix.RTM_NEWLINK, make([]byte, 16)), 0},
		{"short address message", nlMsg(unix.RTM_NEWADDR, []byte{2}), 0},
	}
	for _, st := range steps {
		if got := s.apply(st.msg); got != st.want {
			t.Errorf("%s: apply() = %v, want %v", st.name, got, st.want)
		}
	}
}

// addLoopbackAddr adds (or, with del, removes) addr/32 on lo through
// rtnetlink, as `ip addr add` does.
func addLoopbackAddr(t *testing.T, addr string, del bool) {
	t.Helper()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	typ, flags := uint16(unix.RTM_NEWADDR), uint16(unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_EXCL)
	if del {
		typ, flags = unix.RTM_DELADDR, unix.NLM_F_REQUEST|unix.NLM_F_ACK
	}
	ip := []byte(net.ParseIP(addr).To4())
	m := nlMsg(typ, ifAddrMsg(unix.AF_INET, 32, uint32(lo.Index)), uint16(unix.IFA_LOCAL), ip, uint16(unix.IFA_ADDRESS), ip)
	b := make([]byte, 16, m.Header.Len)
	binary.NativeEndian.PutUint32(b[0:4], m.Header.Len)
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], flags)
	binary.NativeEndian.PutUint32(b[8:12], 1)
	b = append(b, m.Data...)
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		t.Fatalf("send RTM_NEWADDR: %v", err)
	}
	ack := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, ack, 0)
	if err != nil {
		t.Fatalf("read netlink ack: %v", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(ack[:n])
	if err != nil || len(msgs) == 0 || msgs[0].Header.Type != unix.NLMSG_ERROR || len(msgs[0].Data) < 4 {
		t.Fatalf("netlink ack = %v, %v", msgs, err)
	}
	if code := int32(binary.NativeEndian.Uint32(msgs[0].Data[0:4])); code != 0 {
		t.Fatalf("change address %s on lo: %v", addr, syscall.Errno(-code))
	}
}

// TestWatchNetlinkAddress: a real address change (an address added to
// and removed from lo, which needs root) reaches the watcher as
// NetAddress, each once.
func TestWatchNetlinkAddress(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("needs root to change an address (make test runs as root under CI)")
		}
		t.Skip("needs root to change an address")
	}
	w, err := openNetlink()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan NetChange, 16)
	done := make(chan error, 1)
	go func() { done <- w.run(ctx, func(c NetChange) { changes <- c }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run() = %v after ctx ended, want nil", err)
		}
	}()
	const addr = "127.0.0.77"
	addLoopbackAddr(t, addr, false)
	t.Cleanup(func() { addLoopbackAddr(t, addr, true) })
	if got := waitChange(t, changes); got != NetAddress {
		t.Fatalf("after adding %s to lo: change %v, want %v", addr, got, NetAddress)
	}
	addLoopbackAddr(t, addr, true)
	if got := waitChange(t, changes); got != NetAddress {
		t.Fatalf("after removing %s from lo: change %v, want %v", addr, got, NetAddress)
	}
	addLoopbackAddr(t, addr, false) // removed again by the cleanup
}

func waitChange(t *testing.T, ch <-chan NetChange) NetChange {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change reported within 10 s")
		return 0
	}
}

// startBus runs a private D-Bus daemon and returns its address.
func startBus(t *testing.T) string {
	t.Helper()
	bin := systest.Require(t, "dbus-daemon")[0]
	cmd := exec.Command(bin, "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("read dbus-daemon's address: %v", err)
	}
	return strings.TrimSpace(line)
}

// TestIsWake: PrepareForSleep(false) is a wake; going to sleep, and other
// signals, are not.
func TestIsWake(t *testing.T) {
	name := logindInterface + "." + logindSleep
	tests := []struct {
		name string
		sig  dbus.Signal
		want bool
	}{
		{"resumed", dbus.Signal{Path: logindPath, Name: name, Body: []any{false}}, true},
		{"going to sleep", dbus.Signal{Path: logindPath, Name: name, Body: []any{true}}, false},
		{"other member", dbus.Signal{Path: logindPath, Name: logindInterface + ".PrepareForShutdown", Body: []any{false}}, false},
		{"other path", dbus.Signal{Path: "/elsewhere", Name: name, Body: []any{false}}, false},
		{"no body", dbus.Signal{Path: logindPath, Name: name}, false},
		{"not a bool", dbus.Signal{Path: logindPath, Name: name, Body: []any{"false"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := isWake(&tc.sig); got != tc.want {
				t.Errorf("isWake(%v) = %v, want %v", tc.sig, got, tc.want)
			}
		})
	}
}

// TestWatchLogindWake: logind's PrepareForSleep(false), sent on the
// system bus (a private daemon standing in for it), reaches the watcher
// as NetWake.
func TestWatchLogindWake(t *testing.T) {
	addr := startBus(t)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	w, err := openLogind()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan NetChange, 16)
	done := make(chan error, 1)
	go func() { done <- w.run(ctx, func(c NetChange) { changes <- c }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run() = %v after ctx ended, want nil", err)
		}
	}()
	logind, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer logind.Close()
	if err := logind.Emit(logindPath, logindInterface+"."+logindSleep, false); err != nil {
		t.Fatal(err)
	}
	if got := waitChange(t, changes); got != NetWake {
		t.Fatalf("after PrepareForSleep(false): change %v, want %v", got, NetWake)
	}
}
