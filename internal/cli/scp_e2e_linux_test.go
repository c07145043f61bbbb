//go:build linux

package cli_test

import (
	"crypto/rand"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"iapdesk/app/gcetest"
	"iapdesk/platform/systest"
)

// randomFile writes size random bytes and returns the path and sha256.
func randomFile(t *testing.T, dir, name string, size int64) (string, [32]byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	b := make([]byte, size)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o640); err != nil {
		t.Fatal(err)
	}
	return p, sha256.Sum256(b)
}

func sum(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestE2ESCPCommand: `iapdesk scp` copies a file to the VM and back through
// the relay and a real sshd (SFTP in-process), a directory with -r, and
// exits 1 naming the file that failed while copying the others.
func TestE2ESCPCommand(t *testing.T) {
	w := newSSHWorld(t, gcetest.Project{ID: e2eVM.Project, Instances: []gcetest.Instance{
		{Name: e2eVM.Name, Zone: e2eVM.Zone, OS: gcetest.Linux, ID: 7003}}}, nil, nil)
	scp := func(args ...string) (int, string, string) {
		t.Helper()
		return run(t, nil, append([]string{"scp", "--project=" + e2eVM.Project, "--zone=" + e2eVM.Zone,
			"--iap-tunnel-url-override=" + w.relay.URL, "--access-token-file=" + w.tokenFile,
			"--compute-endpoint=" + w.gce.URL + "/compute/v1/", "--oslogin-endpoint=" + w.gce.URL + "/",
			"--strict-host-key-checking=accept-new", "--key=" + w.sshd.ClientKey}, args...)...)
	}
	local, want := randomFile(t, t.TempDir(), "payload.bin", 3<<20)
	remoteDir := t.TempDir() // the sshd runs on this machine, as this user
	remote := w.sshd.User + "@" + e2eVM.Name + ":" + remoteDir + "/"
	if code, out, errOut := scp(local, remote); code != 0 {
		t.Fatalf("iapdesk scp up = %d\n%s\n%s", code, out, errOut)
	}
	if sum(t, filepath.Join(remoteDir, "payload.bin")) != want {
		t.Fatal("the uploaded file differs")
	}
	back := t.TempDir()
	code, out, errOut := scp(w.sshd.User+"@"+e2eVM.Name+":"+filepath.Join(remoteDir, "payload.bin"), back)
	if code != 0 {
		t.Fatalf("iapdesk scp down = %d\n%s\n%s", code, out, errOut)
	}
	if sum(t, filepath.Join(back, "payload.bin")) != want {
		t.Fatal("the downloaded file differs")
	}
	if out != "" || errOut != "" {
		t.Errorf("iapdesk scp without a terminal printed %q %q, want nothing", out, errOut)
	}

	tree := filepath.Join(t.TempDir(), "tree")
	if err := os.MkdirAll(filepath.Join(tree, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, treeSum := randomFile(t, filepath.Join(tree, "sub"), "deep.bin", 1000)
	if code, _, errOut := scp("-r", tree, remote); code != 0 {
		t.Fatalf("iapdesk scp -r = %d\n%s", code, errOut)
	}
	if sum(t, filepath.Join(remoteDir, "tree", "sub", "deep.bin")) != treeSum {
		t.Error("the recursively copied file differs")
	}

	// A missing source fails with status 1 and its name; the other is copied.
	other, _ := randomFile(t, t.TempDir(), "other.txt", 10)
	dest := t.TempDir()
	code, _, errOut = scp(other, filepath.Join(t.TempDir(), "missing.txt"), w.sshd.User+"@"+e2eVM.Name+":"+dest)
	if code != 1 || !strings.Contains(errOut, "missing.txt") {
		t.Errorf("iapdesk scp with a missing file = %d, %q, want 1 naming it", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dest, "other.txt")); err != nil {
		t.Errorf("the good file was not copied: %v", err)
	}
}

// TestE2EDemoSCP: `iapdesk scp --demo FILE web-prod-01:/tmp/` and back
// gives the same sha256.
func TestE2EDemoSCP(t *testing.T) {
	systest.Require(t, "/usr/sbin/sshd")
	local, want := randomFile(t, t.TempDir(), "demo-payload.bin", 1<<20)
	name := filepath.Base(t.TempDir()) + ".bin" // unique under /tmp
	t.Cleanup(func() { os.Remove(filepath.Join("/tmp", name)) })
	if code, out, errOut := run(t, nil, "scp", "--demo", local, "web-prod-01:/tmp/"+name); code != 0 {
		t.Fatalf("iapdesk scp --demo up = %d\n%s\n%s", code, out, errOut)
	}
	back := t.TempDir()
	if code, out, errOut := run(t, nil, "scp", "--demo", "web-prod-01:/tmp/"+name, back); code != 0 {
		t.Fatalf("iapdesk scp --demo down = %d\n%s\n%s", code, out, errOut)
	}
	if sum(t, filepath.Join(back, name)) != want {
		t.Error("the file back from the demo VM differs")
	}
}
