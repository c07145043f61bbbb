package tunnel

import (
	"strings"
	"testing"
)

func TestEndpointURLs(t *testing.T) {
	vm := Target{Project: "p", Zone: "us-central1-a", Instance: "vm-1", Port: 22}
	tests := []struct {
		base, connect string
	}{
		{"", "wss://tunnel.cloudproxy.app/v4/connect?"},
		{"wss://tunnel.cloudproxy.app/v4", "wss://tunnel.cloudproxy.app/v4/connect?"},
		{"ws://127.0.0.1:8080", "ws://127.0.0.1:8080/v4/connect?"},
		{"ws://127.0.0.1:8080/", "ws://127.0.0.1:8080/v4/connect?"},
		{"wss://relay.example/custom/", "wss://relay.example/custom/connect?"},
		{"wss://relay.example/custom?x=1", "wss://relay.example/custom/connect?"},
		{"https://relay.example/a/b", "wss://relay.example/a/b/connect?"},
		{"http://[::1]:9000", "ws://[::1]:9000/v4/connect?"},
	}
	for _, tc := range tests {
		ep, err := parseEndpoint(tc.base)
		if err != nil {
			t.Errorf("parseEndpoint(%q) error = %v", tc.base, err)
			continue
		}
		if got := ep.connectURL(vm); !strings.HasPrefix(got, tc.connect) {
			t.Errorf("connectURL(%q) = %q, want prefix %q", tc.base, got, tc.connect)
		}
	}
	for _, bad := range []string{"ftp://x", "://", "wss:///v4", "relay.example"} {
		if _, err := parseEndpoint(bad); err == nil {
			t.Errorf("parseEndpoint(%q) = nil error, want one", bad)
		}
	}
}

func TestQueryOrder(t *testing.T) {
	ep, _ := parseEndpoint("")
	tests := []struct {
		name string
		t    Target
		want string
	}{
		{"vm", Target{Project: "p", Zone: "z", Instance: "i", Port: 3389},
			"project=p&port=3389&newWebsocket=True&zone=z&instance=i&interface=nic0"},
		{"vm nic1", Target{Project: "p", Zone: "z", Instance: "i", Interface: "nic1", Port: 22},
			"project=p&port=22&newWebsocket=True&zone=z&instance=i&interface=nic1"},
		{"host", Target{Project: "p", Region: "r", Network: "n", Host: "10.0.0.1", DestGroup: "g", Port: 443},
			"project=p&port=443&newWebsocket=True&region=r&network=n&host=10.0.0.1&group=g"},
		{"host no group", Target{Project: "p", Region: "r", Network: "n", Host: "db.corp", Port: 5432},
			"project=p&port=5432&newWebsocket=True&region=r&network=n&host=db.corp"},
		{"escaping", Target{Project: "p", Zone: "z", Instance: "a b&c", Port: 22},
			"project=p&port=22&newWebsocket=True&zone=z&instance=a+b%26c&interface=nic0"},
	}
	for _, tc := range tests {
		got := ep.connectURL(tc.t)
		if q := got[strings.IndexByte(got, '?')+1:]; q != tc.want {
			t.Errorf("%s: query = %q, want %q", tc.name, q, tc.want)
		}
	}
	got := ep.reconnectURL(Target{Project: "p", Zone: "z", Instance: "i", Port: 22}, "s/i+d", 1<<40)
	if want := "wss://tunnel.cloudproxy.app/v4/reconnect?sid=s%2Fi%2Bd&ack=1099511627776&newWebsocket=True&zone=z"; got != want {
		t.Errorf("reconnectURL = %q, want %q", got, want)
	}
	got = ep.reconnectURL(Target{Project: "p", Region: "r", Network: "n", Host: "h", Port: 22}, "s", 0)
	if !strings.HasSuffix(got, "&region=r") {
		t.Errorf("host reconnectURL = %q, want region", got)
	}
}

func TestTargetValidate(t *testing.T) {
	tests := []struct {
		name    string
		t       Target
		wantErr string
	}{
		{"vm ok", Target{Project: "p", Zone: "z", Instance: "i", Port: 22}, ""},
		{"host ok", Target{Project: "p", Region: "r", Network: "n", Host: "h", Port: 22}, ""},
		{"no project", Target{Zone: "z", Instance: "i", Port: 22}, "missing project"},
		{"no port", Target{Project: "p", Zone: "z", Instance: "i"}, "port 0"},
		{"big port", Target{Project: "p", Zone: "z", Instance: "i", Port: 70000}, "port 70000"},
		{"vm no zone", Target{Project: "p", Instance: "i", Port: 22}, "missing zone"},
		{"host missing network", Target{Project: "p", Region: "r", Host: "h", Port: 22}, "missing network"},
		{"group only", Target{Project: "p", DestGroup: "g", Port: 22}, "missing region, network, host"},
		{"mixed", Target{Project: "p", Region: "r", Network: "n", Host: "h", Zone: "z", Port: 22}, "zone cannot be combined"},
	}
	for _, tc := range tests {
		err := tc.t.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: Validate() = %v, want nil", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: Validate() = %v, want error containing %q", tc.name, err, tc.wantErr)
		}
	}
}
