package tunnel_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(relayProcessEnv) == "1" {
		serveRelayProcess()
		return
	}
	goleak.VerifyTestMain(m)
}
