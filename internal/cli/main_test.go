package cli_test

import (
	"context"
	"os"
	"testing"

	"go.uber.org/goleak"

	"iapdesk/app"
	"iapdesk/internal/cli"
)

// TestMain fails the package if a test leaves a goroutine running. (The
// demo's sshd runs this test binary as its AuthorizedKeysCommand: package
// demo answers such a run before TestMain.)
func TestMain(m *testing.M) {
	if os.Getenv(asCLIEnv) == "1" {
		// A ProxyCommand of a generated ssh config: this test binary is
		// iapdesk (ssh-config's e2e tests).
		os.Exit(cli.Run(context.Background(), os.Args[1:], app.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, nil))
	}
	goleak.VerifyTestMain(m)
}

// asCLIEnv makes this test binary run as iapdesk's command line (see
// TestMain).
const asCLIEnv = "IAPDESK_TEST_AS_CLI"
