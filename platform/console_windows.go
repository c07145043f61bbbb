package platform

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

var (
	kernel32          = windows.NewLazySystemDLL("kernel32.dll")
	procAttachConsole = kernel32.NewProc("AttachConsole")
)

// attachParentProcess is ATTACH_PARENT_PROCESS: the console of the process
// that started us (cmd.exe, PowerShell, Windows Terminal).
const attachParentProcess = ^uintptr(0)

// AttachParentConsole gives a GUI-subsystem iapdesk.exe the console of the
// shell it was started from, so that `iapdesk version`, `tunnel` and `auth`
// print there. Streams that are already redirected (pipes, files — ssh's
// ProxyCommand, scripts) are kept as they are. Without a parent console it
// does nothing; a process already attached to a console (Wine does that)
// uses it.
func AttachParentConsole() {
	if hasStd(windows.STD_OUTPUT_HANDLE) && hasStd(windows.STD_ERROR_HANDLE) {
		return
	}
	// ERROR_ACCESS_DENIED: this process is attached to a console already
	// (Wine attaches a GUI program started from a console program to that
	// console, without standard handles): use that one.
	if r, _, err := procAttachConsole.Call(attachParentProcess); r == 0 && !errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return
	}
	out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	if !hasStd(windows.STD_OUTPUT_HANDLE) {
		os.Stdout = out
	}
	if !hasStd(windows.STD_ERROR_HANDLE) {
		os.Stderr = out
	}
	if !hasStd(windows.STD_INPUT_HANDLE) {
		if in, err := os.OpenFile("CONIN$", os.O_RDWR, 0); err == nil {
			os.Stdin = in
		}
	}
}

// hasStd reports whether the standard handle is set (a GUI program started
// from a console has none).
func hasStd(which uint32) bool {
	h, err := windows.GetStdHandle(which)
	return err == nil && h != 0 && h != windows.InvalidHandle
}
