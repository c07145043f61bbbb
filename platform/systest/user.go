package systest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// CreateUser creates a throwaway Unix account with the given password (for
// PAM logins, e.g. freerdp-shadow-cli +auth) and deletes it when the test
// ends. The account has no home directory and no login shell. It needs
// root: the test is skipped otherwise, and fails under CI=1.
func CreateUser(t testing.TB, password string) string {
	t.Helper()
	paths := Require(t, "useradd", "chpasswd", "userdel")
	if os.Geteuid() != 0 {
		msg := "creating a Unix account needs root"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "iapdt" + hex.EncodeToString(b[:])
	run(t, paths[0], "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment", "iapdesk test, safe to delete", name)
	t.Cleanup(func() {
		if out, err := exec.Command(paths[2], name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v\n%s", name, err, out)
		}
	})
	cmd := exec.Command(paths[1])
	cmd.Stdin = strings.NewReader(name + ":" + password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd for %s: %v\n%s", name, err, out)
	}
	return name
}
