package platform

import (
	"testing"

	"github.com/godbus/dbus/v5"
)

// TestTrayHostOn: a session bus alone is no tray (stock GNOME has no
// StatusNotifier host: an icon would show nowhere); once a host's watcher
// owns its name, there is one.
func TestTrayHostOn(t *testing.T) {
	addr := startBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if trayHostOn(conn) {
		t.Fatal("trayHostOn() on a bus without a StatusNotifier watcher = true, want false")
	}
	host, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if reply, err := host.RequestName(statusNotifierWatcher, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName(%s) = %v, %v", statusNotifierWatcher, reply, err)
	}
	if !trayHostOn(conn) {
		t.Error("trayHostOn() with a StatusNotifier watcher on the bus = false, want true")
	}
}
