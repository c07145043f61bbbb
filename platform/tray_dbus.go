//go:build linux || freebsd || openbsd || netbsd

package platform

import "github.com/godbus/dbus/v5"

// statusNotifierWatcher is the bus name of the tray host's watcher, with
// which StatusNotifierItems (Fyne's tray icon) register.
const statusNotifierWatcher = "org.kde.StatusNotifierWatcher"

// SystemTrayAvailable reports whether a system tray can be used. On these
// systems the tray is a StatusNotifierItem on the D-Bus session bus: it
// needs the bus (Fyne's tray code fails at exit without one: a desktop
// started without a bus, an X session forwarded over ssh) and a tray host
// on it (KDE, Xfce's status tray, GNOME only with the AppIndicator
// extension). Without a host the icon would show nowhere, and a window
// closed to the tray could not come back. The connection it opens is the
// process's shared session bus, which the tray then reuses.
func SystemTrayAvailable() bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	return trayHostOn(conn)
}

// trayHostOn reports whether a StatusNotifier watcher runs on the bus.
func trayHostOn(conn *dbus.Conn) bool {
	var has bool
	err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, statusNotifierWatcher).Store(&has)
	return err == nil && has
}
