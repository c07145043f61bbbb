package app_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/platform/systest"
	"iapdesk/tunnel/relaytest"
)

// randomFile writes size random bytes to a new file and returns its path
// and sha256.
func randomFile(t testing.TB, dir, name string, size int64) (string, [32]byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return p, sum
}

func fileSum(t testing.TB, p string) [32]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func openSFTP(t testing.TB, c *app.SSHClient) *app.SFTP {
	t.Helper()
	f, err := c.SFTP(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestE2ESFTPLargeFileAcrossRelayDrops: 64 MiB go up and come back with the
// same sha256 while the relay drops the connection in the middle of each
// direction; the tunnel resumes and SFTP never notices.
func TestE2ESFTPLargeFileAcrossRelayDrops(t *testing.T) {
	const size = 64 << 20
	w := newSSHWorld(t, relaytest.Faults{DropAfterRecv: []uint64{size / 3}, DropAfterSent: []uint64{size / 2}}, systest.SSHDConfig{})
	f := openSFTP(t, w.open(t))
	local, sum := randomFile(t, t.TempDir(), "big.bin", size)
	remoteDir := t.TempDir() // sshd runs as this user on this machine
	var reports atomic.Int32
	opts := app.TransferOptions{Progress: func(app.TransferProgress) { reports.Add(1) }}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	if err := f.Upload(ctx, []string{local}, remoteDir, opts); err != nil {
		t.Fatalf("Upload = %v", err)
	}
	up := time.Since(start)
	if got := fileSum(t, filepath.Join(remoteDir, "big.bin")); got != sum {
		t.Fatal("uploaded file differs")
	}
	back := t.TempDir()
	start = time.Now()
	if err := f.Download(ctx, []string{filepath.Join(remoteDir, "big.bin")}, back, opts); err != nil {
		t.Fatalf("Download = %v", err)
	}
	down := time.Since(start)
	if got := fileSum(t, filepath.Join(back, "big.bin")); got != sum {
		t.Fatal("downloaded file differs")
	}
	ss := w.relay.Sessions()
	if len(ss) != 1 || ss[0].Connections < 3 {
		t.Errorf("relay sessions = %+v, want one session resumed after two drops", ss)
	}
	if reports.Load() < 2 {
		t.Errorf("progress reports = %d, want several", reports.Load())
	}
	t.Logf("64 MiB up in %v (%.1f MB/s), down in %v (%.1f MB/s), %d relay connections",
		up, size/up.Seconds()/1e6, down, size/down.Seconds()/1e6, ss[0].Connections)
}

// TestE2ESFTPDirectoryTree: a tree of directories and files goes up and
// comes back recursively, each file equal; without Recursive a directory
// is refused and the other sources still copied.
func TestE2ESFTPDirectoryTree(t *testing.T) {
	w := newSSHWorld(t, relaytest.Faults{}, systest.SSHDConfig{})
	f := openSFTP(t, w.open(t))
	src := filepath.Join(t.TempDir(), "tree")
	sums := map[string][32]byte{}
	for _, d := range []string{"a", "a/b", "a/b/c", "empty"} {
		if err := os.MkdirAll(filepath.Join(src, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range []string{"top.txt", "a/one.bin", "a/b/two.bin", "a/b/c/three.bin"} {
		_, sum := randomFile(t, filepath.Join(src, filepath.Dir(p)), filepath.Base(p), int64(1000*(i+1)*(i+1)))
		sums[p] = sum
	}
	remote := t.TempDir()
	ctx := context.Background()
	if err := f.Upload(ctx, []string{src}, remote, app.TransferOptions{Recursive: true}); err != nil {
		t.Fatalf("Upload -r = %v", err)
	}
	back := t.TempDir()
	if err := f.Download(ctx, []string{filepath.Join(remote, "tree")}, back, app.TransferOptions{Recursive: true}); err != nil {
		t.Fatalf("Download -r = %v", err)
	}
	for p, want := range sums {
		for _, root := range []string{filepath.Join(remote, "tree"), filepath.Join(back, "tree")} {
			if got := fileSum(t, filepath.Join(root, p)); got != want {
				t.Errorf("%s under %s differs", p, root)
			}
		}
	}
	if fi, err := os.Stat(filepath.Join(back, "tree", "empty")); err != nil || !fi.IsDir() {
		t.Errorf("empty directory not copied: %v", err)
	}

	// Without Recursive: the directory fails, the file beside it is copied.
	file, _ := randomFile(t, t.TempDir(), "alone.txt", 10)
	dest := t.TempDir()
	err := f.Upload(ctx, []string{src, file}, dest, app.TransferOptions{})
	var te *app.TransferError
	if !errors.As(err, &te) || len(te.Failed) != 1 || !errors.Is(err, app.ErrIsDirectory) {
		t.Fatalf("Upload of a directory without -r = %v, want a TransferError for it alone", err)
	}
	if _, err := os.Stat(filepath.Join(dest, "alone.txt")); err != nil {
		t.Errorf("the file beside the directory was not copied: %v", err)
	}
}

// TestE2ESFTPCancelLeavesNoPartialFile: a transfer cancelled half-way
// leaves no file named as its target, and no temporary file, on either
// side; an existing target keeps its old content. Overwrite is asked.
func TestE2ESFTPCancelLeavesNoPartialFile(t *testing.T) {
	w := newSSHWorld(t, relaytest.Faults{}, systest.SSHDConfig{})
	f := openSFTP(t, w.open(t))
	local, _ := randomFile(t, t.TempDir(), "big.bin", 48<<20)
	for _, dir := range []string{"up", "down"} {
		t.Run(dir, func(t *testing.T) {
			target := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := app.TransferOptions{ProgressEvery: time.Millisecond, Progress: func(p app.TransferProgress) {
				if p.Bytes > 4<<20 {
					cancel()
				}
			}}
			var err error
			if dir == "up" {
				err = f.Upload(ctx, []string{local}, target, opts)
			} else {
				err = f.Download(ctx, []string{local}, target, opts)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled transfer = %v, want context.Canceled", err)
			}
			entries, err := os.ReadDir(target)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 0 {
				t.Errorf("after cancel the target directory holds %v, want nothing", entryNames(entries))
			}
		})
	}

	// An existing file is kept when the user says no, replaced on yes.
	dest := t.TempDir()
	old := filepath.Join(dest, "big.bin")
	if err := os.WriteFile(old, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	var asked []string
	no := app.TransferOptions{Overwrite: func(_ context.Context, p string) (bool, error) { asked = append(asked, p); return false, nil }}
	if err := f.Upload(context.Background(), []string{local}, dest, no); !errors.Is(err, app.ErrSkipped) {
		t.Errorf("Upload declining overwrite = %v, want ErrSkipped", err)
	}
	if b, _ := os.ReadFile(old); string(b) != "old" || len(asked) != 1 || asked[0] != old {
		t.Errorf("after declining: content %q, asked %q, want old content and one question about %s", b, asked, old)
	}
	yes := app.TransferOptions{Overwrite: func(context.Context, string) (bool, error) { return true, nil }}
	if err := f.Upload(context.Background(), []string{local}, dest, yes); err != nil {
		t.Fatal(err)
	}
	if fileSum(t, old) != fileSum(t, local) {
		t.Error("after accepting the overwrite the file differs")
	}
}

func entryNames(entries []fs.DirEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestE2ESFTPBrowse: the pane's operations: home, list with size and mode,
// new folder, rename (refusing an existing target) and recursive delete.
func TestE2ESFTPBrowse(t *testing.T) {
	w := newSSHWorld(t, relaytest.Faults{}, systest.SSHDConfig{})
	f := openSFTP(t, w.open(t))
	if home, err := f.Home(); err != nil || !strings.HasPrefix(home, "/") {
		t.Errorf("Home() = %q, %v", home, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "file.txt"), []byte("12345"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := f.Mkdir(filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	list, err := f.List(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "sub" || !list[0].IsDir() || list[1].Name != "file.txt" || list[1].Size != 5 || list[1].Mode.Perm() != 0o640 {
		t.Fatalf("List(%s) = %+v, want sub/ then file.txt (5 bytes, 0640)", dir, list)
	}
	if err := f.Rename(filepath.Join(dir, "file.txt"), filepath.Join(dir, "sub")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Rename onto an existing name = %v, want fs.ErrExist", err)
	}
	if err := f.Rename(filepath.Join(dir, "file.txt"), filepath.Join(dir, "sub", "moved.txt")); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove(context.Background(), filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.List(context.Background(), dir); len(list) != 0 {
		t.Errorf("after deleting sub: %+v, want nothing", list)
	}
}

// BenchmarkSFTPvsSCP: SFTP upload through the embedded client against the
// system scp through a local port of the same relay and sshd (goal: SFTP at
// least 0.8 of scp's rate).
func BenchmarkSFTPvsSCP(b *testing.B) {
	const size = 32 << 20
	w := newSSHWorld(b, relaytest.Faults{}, systest.SSHDConfig{})
	f := openSFTP(b, w.open(b))
	local, _ := randomFile(b, b.TempDir(), "bench.bin", size)
	remote := b.TempDir()
	info, err := w.tunnels.Acquire(context.Background(), app.TunnelKey{Ref: linuxVM.InstanceRef, Port: 22}, false)
	if err != nil {
		b.Fatal(err)
	}
	defer w.tunnels.Release(app.TunnelKey{Ref: linuxVM.InstanceRef, Port: 22})
	alias := fmt.Sprintf("compute.%d", linuxVM.ID)
	scpArgs := append(w.sshd.SSHArgs(b, alias), "-P", fmt.Sprint(info.LocalPort), "-q", local, w.sshd.User+"@127.0.0.1:"+filepath.Join(remote, "scp.bin"))
	b.ReportAllocs()
	b.SetBytes(size)
	var sftpTime, scpTime time.Duration
	for b.Loop() {
		start := time.Now()
		if err := f.Upload(context.Background(), []string{local}, filepath.Join(remote, "sftp.bin"), app.TransferOptions{}); err != nil {
			b.Fatal(err)
		}
		sftpTime += time.Since(start)
		start = time.Now()
		if out, err := exec.Command("scp", scpArgs...).CombinedOutput(); err != nil {
			b.Fatalf("scp: %v\n%s", err, out)
		}
		scpTime += time.Since(start)
	}
	b.ReportMetric(float64(size)*float64(b.N)/sftpTime.Seconds()/1e6, "sftp-MB/s")
	b.ReportMetric(float64(size)*float64(b.N)/scpTime.Seconds()/1e6, "scp-MB/s")
	b.ReportMetric(scpTime.Seconds()/sftpTime.Seconds(), "sftp/scp")
}
