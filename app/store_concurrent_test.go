package app_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConfigStoreConcurrentGoroutines: two stores on one directory in one
// process (two windows) lose no update.
func TestConfigStoreConcurrentGoroutines(t *testing.T) {
	dir := t.TempDir()
	const writers, n = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers*n)
	for w := range writers {
		s := newConfigStore(t, dir)
		wg.Go(func() {
			for i := range n {
				if err := storeAddProfile(context.Background(), s, fmt.Sprintf("g%d-%d", w, i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Update: %v", err)
	}
	checkAllSaved(t, dir, writers*n, func(i int) string { return fmt.Sprintf("g%d-%d", i/n, i%n) })
}

func checkAllSaved(t *testing.T, dir string, total int, name func(int) string) {
	t.Helper()
	doc, err := newConfigStore(t, dir).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, p := range doc.Profiles {
		have[p.Name] = true
	}
	var lost []string
	for i := range total {
		if !have[name(i)] {
			lost = append(lost, name(i))
		}
	}
	if len(lost) > 0 || len(doc.Profiles) != total || doc.Revision != uint64(total) {
		t.Errorf("after %d concurrent updates: %d profiles, revision %d, lost %q; want %d, %d, none",
			total, len(doc.Profiles), doc.Revision, lost, total, total)
	}
}

// Environment of TestConfigStoreWriterProcess.
const (
	envWriterDir  = "IAPDESK_TEST_WRITER_DIR"
	envWriterName = "IAPDESK_TEST_WRITER_NAME"
	envWriterPeer = "IAPDESK_TEST_WRITER_PEER"
	envWriterN    = "IAPDESK_TEST_WRITER_N"
)

// TestConfigStoreWriterProcess is not a test on its own: the two-process
// test runs the test binary with it as each writer process.
func TestConfigStoreWriterProcess(t *testing.T) {
	dir := os.Getenv(envWriterDir)
	if dir == "" {
		t.Skip("helper process of TestConfigStoreConcurrentProcesses")
	}
	name, peer := os.Getenv(envWriterName), os.Getenv(envWriterPeer)
	n, err := strconv.Atoi(os.Getenv(envWriterN))
	if err != nil {
		t.Fatal(err)
	}
	// Start together: announce, then wait for the peer (polling another
	// process, the only way), so the saves really overlap.
	if err := os.WriteFile(filepath.Join(dir, "ready-"+name), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "ready-"+peer)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("peer writer did not start")
		}
		time.Sleep(time.Millisecond)
	}
	s := newConfigStore(t, filepath.Join(dir, "config"))
	for i := range n {
		if err := storeAddProfile(context.Background(), s, fmt.Sprintf("%s-%d", name, i)); err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
		// A user's pace between saves, short: the peer must get the lock
		// in between for the saves to interleave.
		time.Sleep(time.Duration(i%4) * time.Millisecond)
	}
}

// TestConfigStoreConcurrentProcesses runs two processes that save at the
// same time and checks that no update is lost.
func TestConfigStoreConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	const n = 40
	cmds := map[string]*exec.Cmd{}
	outs := map[string]*strings.Builder{}
	for _, pair := range [][2]string{{"a", "b"}, {"b", "a"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConfigStoreWriterProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envWriterDir+"="+dir, envWriterName+"="+pair[0], envWriterPeer+"="+pair[1],
			envWriterN+"="+strconv.Itoa(n))
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start writer %s: %v", pair[0], err)
		}
		cmds[pair[0]], outs[pair[0]] = cmd, out
	}
	for name, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer %s: %v\n%s", name, err, outs[name])
		}
	}
	checkAllSaved(t, filepath.Join(dir, "config"), 2*n, func(i int) string {
		return fmt.Sprintf("%s-%d", []string{"a", "b"}[i/n], i%n)
	})
	// The saves interleaved (else the test proved nothing): the append
	// order switches between writers at least once in the middle.
	doc, err := newConfigStore(t, filepath.Join(dir, "config")).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	switches := 0
	for i := 1; i < len(doc.Profiles); i++ {
		if doc.Profiles[i].Name[0] != doc.Profiles[i-1].Name[0] {
			switches++
		}
	}
	t.Logf("writers alternated %d times in %d saves", switches, 2*n)
	if switches < 2 {
		t.Errorf("the writers did not interleave (%d switches): the test did not exercise concurrent saves", switches)
	}
}
