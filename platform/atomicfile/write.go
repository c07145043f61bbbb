package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StaleAge is how old a temporary file left next to a target must be before
// Write removes it. A save holds its temporary file for milliseconds (write,
// fsync, rename), so one a minute old belongs to a save that was killed or
// crashed. Age, not a lock on the temporary file, decides: it needs no
// cooperation from the writer (older iapdesk versions took no such lock),
// works the same on every OS, and the worst a wrong guess can do is fail a
// save that had hung for a minute, never damage the target.
const StaleAge = time.Minute

// tempSuffix ends every temporary file name; see tempPattern.
const tempSuffix = ".tmp"

// tempPattern is the os.CreateTemp pattern of path's temporary files:
// ".<name>-<digits>.tmp", hidden and named after the target so that a
// leftover is recognisable by people and by cleanStale.
func tempPattern(path string) string { return "." + filepath.Base(path) + "-*" + tempSuffix }

// Write replaces path with data, mode 0600: a temporary file in the same
// directory (created 0700 if missing), fsynced, renamed over path, then the
// directory fsynced where the OS can, so the rename survives a crash. A
// reader sees the old content or the new, never a mix; a crash leaves at
// worst a temporary file, which a later Write of the same path removes once
// it is StaleAge old.
//
// Write does not lock: callers that read, modify and write hold Lock
// around the whole cycle.
func Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return fmt.Errorf("create temp file in %s: %w", dir, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := setPrivate(tmp); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	ok = true
	syncDir(dir)
	cleanStale(path, time.Now())
	return nil
}

// cleanStale removes path's temporary files that are StaleAge old at now:
// leftovers of saves that were killed between creating the temporary file
// and the rename. It is best effort: the save it follows has succeeded, and
// a file that cannot be removed now is tried again next time.
func cleanStale(path string, now time.Time) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTemp(path, e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < StaleAge {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}

// IsTemp reports whether name (a base name) is a temporary file of a save of
// path: Write's ".<name>-<digits>.tmp", or ".<name>.tmp<digits>" that
// iapdesk's account list used before this package existed.
func IsTemp(path, name string) bool {
	base := "." + filepath.Base(path)
	if rest, ok := strings.CutPrefix(name, base+"-"); ok {
		digits, ok := strings.CutSuffix(rest, tempSuffix)
		return ok && allDigits(digits)
	}
	if digits, ok := strings.CutPrefix(name, base+tempSuffix); ok {
		return allDigits(digits)
	}
	return false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
