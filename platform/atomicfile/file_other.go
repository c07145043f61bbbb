//go:build !windows

package atomicfile

import "os"

// setPrivate makes f 0600. os.CreateTemp already creates it so; this
// guards against an odd umask or file system.
func setPrivate(f *os.File) error { return f.Chmod(0o600) }

// syncDir fsyncs dir so a rename in it survives a crash. A failure leaves
// the new file in place all the same, so it is ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
