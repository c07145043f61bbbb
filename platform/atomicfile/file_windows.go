package atomicfile

import "os"

// setPrivate is a no-op: on Windows Chmod only toggles the read-only
// attribute, and the file is private through the ACL it inherits from the
// user's profile directory.
func setPrivate(*os.File) error { return nil }

// syncDir does nothing: Windows cannot fsync a directory, and MoveFileEx
// has made the rename durable when it returns.
func syncDir(string) {}
