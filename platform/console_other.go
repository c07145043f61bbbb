//go:build !windows

package platform

// AttachParentConsole is for Windows GUI builds; elsewhere the standard
// streams are always those of the shell.
func AttachParentConsole() {}
