package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"iapdesk/platform/atomicfile"
)

// writeFileAtomic replaces path with data, 0600, through atomicfile.Write:
// the one atomic save of every config and state file (temp file, fsync,
// rename, directory fsync, stale temp files removed). A reader sees the old
// file or the new one, never a mix.
func writeFileAtomic(path string, data []byte) error { return atomicfile.Write(path, data) }

// copyFileAtomic copies src to dst atomically; a missing src copies
// nothing.
func copyFileAtomic(src, dst string) error {
	b, err := os.ReadFile(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return writeFileAtomic(dst, b)
}
