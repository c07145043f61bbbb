//go:build !(linux || freebsd || openbsd || netbsd)

package platform

// SystemTrayAvailable reports whether a system tray can be used: Windows'
// notification area and macOS's menu bar are always there.
func SystemTrayAvailable() bool { return true }
