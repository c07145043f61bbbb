//go:build unix

package atomicfile_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"iapdesk/platform/atomicfile"
)

// killChildEnv makes the test binary a saver that TestWriteKilledMidSave
// kills: it saves the file named by the variable in a loop.
const killChildEnv = "ATOMICFILE_TEST_KILL_CHILD"

// killChild saves $ATOMICFILE_TEST_KILL_CHILD forever, each time a complete
// 256 KiB file of one repeated digit (so a torn file is easy to spot), and
// says "ready" on stdout after the first save.
func killChild() {
	path := os.Getenv(killChildEnv)
	for i := 0; ; i++ {
		data := bytes.Repeat([]byte{byte('0' + i%10)}, 256<<10)
		if err := atomicfile.Write(path, data); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if i == 0 {
			fmt.Println("ready")
		}
	}
}

// TestWriteKilledMidSave kills processes in the middle of saving: the file
// is always one complete version, and the temporary files the kills leave
// behind are removed by the next save once they are stale.
func TestWriteKilledMidSave(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "connections.json")
	const kills = 20
	for range kills {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		cmd.Process.Kill()
		cmd.Wait()
		if line != "ready\n" {
			t.Fatalf("saver said %q, want ready", line)
		}
		checkWhole(t, path)
	}
	// A kill between CreateTemp and the rename leaves a temporary file;
	// make sure there is at least one, as if a kill had landed there.
	if err := os.WriteFile(filepath.Join(dir, ".connections.json-1.tmp"), []byte("0"), 0o600); err != nil {
		t.Fatal(err)
	}
	left := temps(t, path)
	t.Logf("%d kills left %d temporary files", kills, len(left))
	age(t, dir, atomicfile.StaleAge+time.Second, left...) // as if a minute had passed

	if err := atomicfile.Write(path, bytes.Repeat([]byte("7"), 256<<10)); err != nil {
		t.Fatalf("Write(%q) = %v", path, err)
	}
	checkWhole(t, path)
	if left := temps(t, path); len(left) > 0 {
		t.Errorf("temporary files left after the next save: %q", left)
	}
}

// checkWhole fails unless path holds one complete version written by
// killChild.
func checkWhole(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 256<<10 || bytes.Count(b, b[:1]) != len(b) {
		t.Fatalf("%s is torn: %d bytes, first %q", path, len(b), b[:min(len(b), 16)])
	}
}
