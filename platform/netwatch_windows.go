package platform

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"golang.org/x/sys/windows"
)

// WatchNetwork calls changed for every change of a default route
// (NotifyRouteChange2) or of a local unicast address
// (NotifyUnicastIpAddressChange), until ctx ends; then it returns nil. It
// blocks: the caller owns the goroutine it runs on. Resume from sleep has
// no API in golang.org/x/sys on Windows; the network changes that follow
// a wake are reported.
func WatchNetwork(ctx context.Context, log *slog.Logger, changed func(NetChange)) error {
	initNotifyCallbacks()
	ch := make(chan NetChange, 8)
	notifyWatchers.mu.Lock()
	notifyWatchers.m[ch] = struct{}{}
	notifyWatchers.mu.Unlock()
	defer func() {
		notifyWatchers.mu.Lock()
		delete(notifyWatchers.m, ch)
		notifyWatchers.mu.Unlock()
	}()
	var route, addr windows.Handle
	if err := windows.NotifyRouteChange2(windows.AF_UNSPEC, notifyCallbacks.route, nil, false, &route); err != nil {
		return fmt.Errorf("watch network: NotifyRouteChange2: %w", err)
	}
	// Cancelling waits for callbacks in progress, so none runs after.
	defer windows.CancelMibChangeNotify2(route)
	if err := windows.NotifyUnicastIpAddressChange(windows.AF_UNSPEC, notifyCallbacks.addr, nil, false, &addr); err != nil {
		return fmt.Errorf("watch network: NotifyUnicastIpAddressChange: %w", err)
	}
	defer windows.CancelMibChangeNotify2(addr)
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-ch:
			changed(c)
		}
	}
}

// MIB_NOTIFICATION_TYPE values.
const (
	mibAddInstance    = 1
	mibDeleteInstance = 2
)

// The callbacks are made once per process (windows.NewCallback's are
// never freed) and hand each notification to every watcher.
var (
	notifyCallbacks struct {
		once        sync.Once
		route, addr uintptr
	}
	notifyWatchers = struct {
		mu sync.Mutex // guards m
		m  map[chan NetChange]struct{}
	}{m: map[chan NetChange]struct{}{}}
)

func initNotifyCallbacks() {
	notifyCallbacks.once.Do(func() {
		notifyCallbacks.route = windows.NewCallback(func(_ uintptr, row *windows.MibIpForwardRow2, typ uint32) uintptr {
			if row != nil && row.DestinationPrefix.PrefixLength == 0 && (typ == mibAddInstance || typ == mibDeleteInstance) {
				broadcast(NetRoute)
			}
			return 0
		})
		notifyCallbacks.addr = windows.NewCallback(func(_ uintptr, row *windows.MibUnicastIpAddressRow, typ uint32) uintptr {
			if typ == mibAddInstance || typ == mibDeleteInstance {
				broadcast(NetAddress)
			}
			return 0
		})
	})
}

// broadcast hands c to every watcher without blocking the OS's thread: a
// watcher with changes pending already gets this one later, or not at all.
func broadcast(c NetChange) {
	notifyWatchers.mu.Lock()
	defer notifyWatchers.mu.Unlock()
	for ch := range notifyWatchers.m {
		select {
		case ch <- c:
		default:
		}
	}
}
