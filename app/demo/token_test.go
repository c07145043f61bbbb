package demo_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"iapdesk/app/demo"
	"iapdesk/app/gce"
	"iapdesk/tunnel"
)

// TestFakesWantTheDemoToken: the demo's relay refuses a WebSocket handshake
// without a token or with a wrong one, and so does its Compute API; the
// demo account's own token (what `iapdesk ssh --demo` sends) gets through
// both.
func TestFakesWantTheDemoToken(t *testing.T) {
	w := start(t, demo.Config{SSHServer: demo.SSHBuiltin, NoRDP: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	relayURL, computeURL, tokens := w.Relay()
	target := tunnel.Target{Project: demo.LinuxVM.Project, Zone: demo.LinuxVM.Zone, Instance: demo.LinuxVM.Name, Port: 22}
	static := func(tok string) oauth2.TokenSource { return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}) }

	t.Run("relay", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			tokens oauth2.TokenSource
			want   error // nil: the tunnel opens
		}{
			{"wrong token", static("ya29.guessed"), tunnel.ErrUnauthenticated},
			{"another run's client", static(strings.Repeat("x", 43)), tunnel.ErrUnauthenticated},
			{"demo account", tokens, nil},
		} {
			d := &tunnel.Dialer{TokenSource: tc.tokens, URL: relayURL}
			c, err := d.Dial(ctx, target)
			if c != nil {
				c.Close()
			}
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("Dial(%s) with %s = %v, want %v", target.Instance, tc.name, err, tc.want)
			}
		}
		// A handshake with no Authorization header at all.
		u := "http" + strings.TrimPrefix(relayURL, "ws") + "/connect?project=" + target.Project + "&zone=" + target.Zone +
			"&instance=" + target.Instance + "&interface=nic0&port=22"
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
			"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}, "Sec-Websocket-Protocol": {"relay.tunnel.cloudproxy.app"},
			"Origin": {"bot:iap-tunneler"}}
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("handshake without a token = %s, want 401", resp.Status)
		}
	})

	t.Run("compute", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			api  gce.API
			ok   bool
		}{
			{"no token", gce.API{HTTPClient: &http.Client{}, ComputeURL: computeURL}, false},
			{"wrong token", gce.API{TokenSource: static("ya29.guessed"), ComputeURL: computeURL}, false},
			{"demo account", gce.API{TokenSource: tokens, ComputeURL: computeURL}, true},
		} {
			c, err := gce.NewCompute(ctx, gce.ComputeConfig{API: tc.api})
			if err != nil {
				t.Fatal(err)
			}
			l, err := c.ListInstances(ctx, demo.LinuxVM.Project)
			if tc.ok && (err != nil || len(l.Instances) == 0) {
				t.Errorf("ListInstances(%s) with %s = %d instances, %v; want them", demo.LinuxVM.Project, tc.name, len(l.Instances), err)
			}
			var gerr *googleapi.Error
			if !tc.ok && (!errors.As(err, &gerr) || gerr.Code != http.StatusUnauthorized || len(l.Instances) != 0) {
				t.Errorf("ListInstances(%s) with %s = %d instances, %v; want a 401", demo.LinuxVM.Project, tc.name, len(l.Instances), err)
			}
		}
	})
}
