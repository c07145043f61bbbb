package platform

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"syscall"

	"github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"
)

// WatchNetwork calls changed for every resume from sleep (logind's
// PrepareForSleep(false) on the system bus) and every change of a default
// route or of the set of local addresses (rtnetlink), until ctx ends; then
// it returns nil. It blocks: the caller owns the goroutine it runs on.
// changed is called from WatchNetwork's own goroutines, one source at a
// time each, and should return quickly.
//
// Either source alone is enough: without a system bus (a container, a
// minimal desktop) only network changes are reported, and the missing
// source is logged. An error means neither could be opened.
func WatchNetwork(ctx context.Context, log *slog.Logger, changed func(NetChange)) error {
	if log == nil {
		log = slog.Default()
	}
	nl, nlErr := openNetlink()
	sleep, sleepErr := openLogind()
	if nlErr != nil && sleepErr != nil {
		return fmt.Errorf("watch network: %w", errors.Join(nlErr, sleepErr))
	}
	var wg sync.WaitGroup
	if nlErr == nil {
		wg.Go(func() {
			if err := nl.run(ctx, changed); err != nil {
				log.Warn("network change watcher stopped", slog.Any("error", err))
			}
		})
	} else {
		log.Info("network changes are not watched", slog.Any("error", nlErr))
	}
	if sleepErr == nil {
		wg.Go(func() {
			if err := sleep.run(ctx, changed); err != nil {
				log.Warn("resume watcher stopped", slog.Any("error", err))
			}
		})
	} else {
		log.Info("resume from sleep is not watched", slog.Any("error", sleepErr))
	}
	wg.Wait()
	return nil
}

// netlinkWatch reads rtnetlink's address and route notifications.
type netlinkWatch struct {
	f     *os.File // the netlink socket, in the runtime's poller
	state netState
}

func openNetlink() (*netlinkWatch, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open netlink socket: %w", err)
	}
	groups := uint32(unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR | unix.RTMGRP_IPV4_ROUTE | unix.RTMGRP_IPV6_ROUTE)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind netlink socket: %w", err)
	}
	w := &netlinkWatch{f: os.NewFile(uintptr(fd), "rtnetlink"), state: newNetState()}
	// The state before any change, subscribed first so that nothing
	// falls between: a change during the dump comes again as an event,
	// and the state absorbs it.
	for _, req := range []int{unix.RTM_GETADDR, unix.RTM_GETROUTE} {
		rib, err := syscall.NetlinkRIB(req, unix.AF_UNSPEC)
		if err != nil {
			w.f.Close()
			return nil, fmt.Errorf("read netlink table %d: %w", req, err)
		}
		msgs, err := syscall.ParseNetlinkMessage(rib)
		if err != nil {
			w.f.Close()
			return nil, fmt.Errorf("parse netlink table %d: %w", req, err)
		}
		for _, m := range msgs {
			w.state.apply(m)
		}
	}
	return w, nil
}

// run reports changes until ctx ends (nil) or the socket fails. It closes
// the socket.
func (w *netlinkWatch) run(ctx context.Context, changed func(NetChange)) error {
	stop := context.AfterFunc(ctx, func() { w.f.Close() }) // ends a blocked Read
	defer stop()
	defer w.f.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, unix.ENOBUFS) {
				// The kernel dropped notifications: something changed.
				changed(NetRoute)
				continue
			}
			return fmt.Errorf("read netlink socket: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue // a truncated message: ignore it
		}
		var what NetChange
		for _, m := range msgs {
			if c := w.state.apply(m); c != 0 && (what == 0 || c == NetRoute) {
				what = c
			}
		}
		if what != 0 {
			changed(what)
		}
	}
}

// netState is the set of local addresses and default routes, so that
// notifications that change nothing (an IPv6 address's lifetime renewed
// by every router advertisement) are not reported.
type netState struct {
	addrs  map[string]bool // "index/address/prefix"
	routes map[string]bool // default routes: "family/table/oif/gateway/metric"
}

func newNetState() netState {
	return netState{addrs: map[string]bool{}, routes: map[string]bool{}}
}

// apply applies one rtnetlink message and returns what it changed: 0 for
// nothing (or a message of another kind).
func (s *netState) apply(m syscall.NetlinkMessage) NetChange {
	switch m.Header.Type {
	case unix.RTM_NEWADDR, unix.RTM_DELADDR:
		key, ok := addrKey(m)
		if !ok {
			return 0
		}
		return s.set(s.addrs, key, m.Header.Type == unix.RTM_NEWADDR, NetAddress)
	case unix.RTM_NEWROUTE, unix.RTM_DELROUTE:
		key, ok := defaultRouteKey(m)
		if !ok {
			return 0
		}
		return s.set(s.routes, key, m.Header.Type == unix.RTM_NEWROUTE, NetRoute)
	}
	return 0
}

func (s *netState) set(m map[string]bool, key string, present bool, c NetChange) NetChange {
	if m[key] == present {
		return 0
	}
	if present {
		m[key] = true
	} else {
		delete(m, key)
	}
	return c
}

// addrKey identifies the address of an RTM_NEWADDR/RTM_DELADDR message.
func addrKey(m syscall.NetlinkMessage) (string, bool) {
	if len(m.Data) < unix.SizeofIfAddrmsg {
		return "", false
	}
	prefix := m.Data[1]
	index := binary.NativeEndian.Uint32(m.Data[4:8])
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		return "", false
	}
	var addr []byte
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.IFA_LOCAL:
			addr = a.Value // the local end of a point-to-point link
		case unix.IFA_ADDRESS:
			if addr == nil {
				addr = a.Value
			}
		}
	}
	ip, ok := netip.AddrFromSlice(addr)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%d/%s/%d", index, ip, prefix), true
}

// defaultRouteKey identifies a default route (no destination prefix) of
// the main table; other routes (local, multicast, neighbours) are not
// what a tunnel's path depends on.
func defaultRouteKey(m syscall.NetlinkMessage) (string, bool) {
	if len(m.Data) < unix.SizeofRtMsg {
		return "", false
	}
	family, dstLen, table, typ := m.Data[0], m.Data[1], uint32(m.Data[4]), m.Data[7]
	if dstLen != 0 || typ != unix.RTN_UNICAST {
		return "", false
	}
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		return "", false
	}
	var oif, metric uint32
	var gw netip.Addr
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.RTA_TABLE:
			if len(a.Value) >= 4 {
				table = binary.NativeEndian.Uint32(a.Value)
			}
		case unix.RTA_OIF:
			if len(a.Value) >= 4 {
				oif = binary.NativeEndian.Uint32(a.Value)
			}
		case unix.RTA_PRIORITY:
			if len(a.Value) >= 4 {
				metric = binary.NativeEndian.Uint32(a.Value)
			}
		case unix.RTA_GATEWAY:
			gw, _ = netip.AddrFromSlice(a.Value)
		}
	}
	if table != unix.RT_TABLE_MAIN {
		return "", false
	}
	return fmt.Sprintf("%d/%d/%d/%s/%d", family, table, oif, gw, metric), true
}

// logindWatch receives logind's PrepareForSleep signals.
type logindWatch struct {
	conn *dbus.Conn
	ch   chan *dbus.Signal
}

// Where logind announces sleep and resume.
const (
	logindPath      = "/org/freedesktop/login1"
	logindInterface = "org.freedesktop.login1.Manager"
	logindSleep     = "PrepareForSleep"
)

// openLogind subscribes to PrepareForSleep on the system bus
// ($DBUS_SYSTEM_BUS_ADDRESS, else the standard socket), on a private
// connection that run closes.
func openLogind() (*logindWatch, error) {
	conn, err := dbus.ConnectSystemBus()
	if err != nil {
		return nil, fmt.Errorf("connect to the system bus: %w", err)
	}
	if err := conn.AddMatchSignal(dbus.WithMatchObjectPath(logindPath), dbus.WithMatchInterface(logindInterface),
		dbus.WithMatchMember(logindSleep)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("subscribe to logind's %s: %w", logindSleep, err)
	}
	w := &logindWatch{conn: conn, ch: make(chan *dbus.Signal, 16)}
	conn.Signal(w.ch)
	return w, nil
}

// run reports a wake for each PrepareForSleep(false) until ctx ends (nil)
// or the bus connection drops. It closes the connection.
func (w *logindWatch) run(ctx context.Context, changed func(NetChange)) error {
	defer w.conn.Close()
	for {
		select {
		case <-ctx.Done():
			return nil
		case s, ok := <-w.ch:
			if !ok {
				return errors.New("system bus connection closed")
			}
			if isWake(s) {
				changed(NetWake)
			}
		}
	}
}

// isWake reports whether s is logind's PrepareForSleep(false): the
// system has resumed. PrepareForSleep(true) comes before it sleeps.
func isWake(s *dbus.Signal) bool {
	if s.Path != logindPath || s.Name != logindInterface+"."+logindSleep || len(s.Body) != 1 {
		return false
	}
	sleeping, ok := s.Body[0].(bool)
	return ok && !sleeping
}
