package atomicfile_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"iapdesk/platform/atomicfile"
)

func TestMain(m *testing.M) {
	if os.Getenv(killChildEnv) != "" {
		killChild() // never returns
	}
	goleak.VerifyTestMain(m)
}

// temps returns the temporary files of target's saves in its directory.
func temps(t *testing.T, target string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(target))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if atomicfile.IsTemp(target, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// age sets the modification time of the files in dir named names to d ago.
func age(t *testing.T, dir string, d time.Duration, names ...string) {
	t.Helper()
	old := time.Now().Add(-d)
	for _, n := range names {
		if err := os.Chtimes(filepath.Join(dir, n), old, old); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "connections.json")
	for _, data := range [][]byte{[]byte("first\n"), []byte("second, longer\n"), {}} {
		if err := atomicfile.Write(path, data); err != nil {
			t.Fatalf("Write(%q, %q) = %v", path, data, err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("after Write(%q), file holds %q", data, got)
		}
	}
	if runtime.GOOS != "windows" {
		for _, p := range []string{path, filepath.Dir(path)} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			want := os.FileMode(0o600)
			if fi.IsDir() {
				want = 0o700
			}
			if fi.Mode().Perm() != want {
				t.Errorf("mode of %s = %v, want %v", p, fi.Mode().Perm(), want)
			}
		}
	}
	if left := temps(t, path); len(left) > 0 {
		t.Errorf("temporary files left after Write: %q", left)
	}
}

func TestIsTemp(t *testing.T) {
	const target = "/cfg/connections.json"
	tests := []struct {
		name string
		want bool
	}{
		{".connections.json-123456.tmp", true},
		{".connections.json.tmp98765", true}, // the account list's old pattern
		{".connections.json-.tmp", false},
		{".connections.json-12ab.tmp", false},
		{".connections.json.bak-123.tmp", false}, // another target's temp
		{"connections.json", false},
		{"connections.json.bak", false},
		{".connections.json-123.tmp.keep", false},
		{".accounts.json-1.tmp", false},
	}
	for _, tc := range tests {
		if got := atomicfile.IsTemp(target, tc.name); got != tc.want {
			t.Errorf("IsTemp(%q, %q) = %v, want %v", target, tc.name, got, tc.want)
		}
	}
}

// TestWriteRemovesStaleTemps checks that a save removes the temporary files
// earlier saves of the same file left behind once they are StaleAge old,
// in both the current and the account list's old naming, and leaves alone
// fresh ones (a save in progress) and other files.
func TestWriteRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "accounts.json")
	stale := []string{".accounts.json-111.tmp", ".accounts.json-222.tmp", ".accounts.json.tmp333"}
	fresh := []string{".accounts.json-444.tmp"}
	others := []string{".connections.json-555.tmp", "accounts.json.bak", ".accounts.json-666.tmp.note"}
	for _, n := range slices.Concat(stale, fresh, others) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	age(t, dir, atomicfile.StaleAge+time.Second, stale...)
	age(t, dir, atomicfile.StaleAge+time.Second, others...)

	if err := atomicfile.Write(path, []byte("{}\n")); err != nil {
		t.Fatalf("Write(%q) = %v", path, err)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("stale %s still there after Write (Stat = %v)", n, err)
		}
	}
	for _, n := range slices.Concat(fresh, others) {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("Write removed %s, which is not a stale temporary file of %s: %v", n, path, err)
		}
	}
}
