//go:build linux || freebsd || openbsd || netbsd

package platform

import "github.com/godbus/dbus/v5"

// SystemTrayAvailable reports whether a system tray can be used. On these
// systems the tray is a StatusNotifierItem on the D-Bus session bus, and
// Fyne's tray code fails at exit when there is no bus to reach (a desktop
// started without one, an X session forwarded over ssh): without a bus
// iapdesk runs without a tray. The connection it opens is the process's
// shared session bus, which the tray then reuses.
func SystemTrayAvailable() bool {
	_, err := dbus.SessionBus()
	return err == nil
}
