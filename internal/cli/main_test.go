package cli_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine running. (The
// demo's sshd runs this test binary as its AuthorizedKeysCommand: package
// demo answers such a run before TestMain.)
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
