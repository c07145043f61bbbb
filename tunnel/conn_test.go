package tunnel_test

import (
	"iapdesk/tunnel/relaytest"
	"testing"
)

func TestEchoPlainAndTLS(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "ws", true: "wss"}[tls], func(t *testing.T) {
			srv := startRelay(t, tls, startBackend(t, echo), relaytest.Config{})
			c := dial(t, newDialer(t, srv), vm)
			roundTrip(t, c, stream(1, 1<<20))
			if err := c.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}
		})
	}
}
