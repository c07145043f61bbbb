package app_test

import (
	"context"
	"testing"

	"iapdesk/app"
	"iapdesk/app/settings"
	"iapdesk/tunnel/relaytest"
)

// TestConnectEmbeddedSSH: with ssh.client=embedded (the default) and a
// caller that hosts SSH sessions (the window), Connect completes the SSH
// request and hands it back as an Embedded session: no tunnel, no
// launched client. ssh.client=system, or a caller that cannot embed (the
// command line), goes the old way.
func TestConnectEmbeddedSSH(t *testing.T) {
	base := app.Request{Instance: linuxVM, Protocol: app.ProtocolSSH,
		SSH: app.SSHParams{Username: "alice", KeyFile: "/k", KnownHostsFile: "/kh"}}
	system := base
	system.Overrides.SSH.Client = settings.Some(settings.SSHClientSystem)
	tests := []struct {
		name     string
		req      app.Request
		canEmbed bool
		want     bool
	}{
		{"default embedded in the window", base, true, true},
		{"system in the window", system, true, false},
		{"default from the command line", base, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, relaytest.Faults{})
			req := tc.req
			req.CanEmbed = tc.canEmbed
			s, err := w.connector.Connect(context.Background(), req, nil)
			embedded := err == nil && s.Embedded
			if embedded != tc.want {
				t.Fatalf("Connect(%s) = %+v, %v; embedded %v, want %v", tc.name, s, err, embedded, tc.want)
			}
			if !embedded {
				return
			}
			if s.Process != nil || s.Tunnel.LocalPort != 0 || len(w.tunnels.List()) != 0 {
				t.Errorf("embedded session %+v opened a tunnel or launched a client", s)
			}
			if s.Request.Port != 22 || s.Request.SSH.Username != "alice" || !s.Request.SSH.Embedded {
				t.Errorf("embedded request %+v, want port 22 and the completed SSH parameters", s.Request)
			}
			select {
			case <-s.Done():
			default:
				t.Error("an embedded session's Done is not closed: nothing runs under the connector")
			}
		})
	}
}
