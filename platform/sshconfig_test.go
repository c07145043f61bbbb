package platform

import (
	"strings"
	"testing"
)

// TestSSHConfigHost: one block answers to every alias; the tunnel's extra
// flags (endpoints, credentials, the key to publish) are quoted for the
// shell with the rest of the ProxyCommand, % doubled.
func TestSSHConfigHost(t *testing.T) {
	p := *proxy
	p.Flags = []string{"--access-token-file=/home/al ice/tok", "--publish-ssh-key=alice", "--iap-tunnel-url-override=ws://127.0.0.1:9/v4?x=%"}
	spec := SSHSpec{InstanceID: "4711", Username: "alice", KnownHostsFile: "/kh", Proxy: &p}
	got, err := SSHConfigHost("linux", []string{"vm-1.europe-west1-b.my-proj", "vm-1"}, spec)
	if err != nil {
		t.Fatal(err)
	}
	if first := strings.SplitN(got, "\n", 2)[0]; first != "Host vm-1.europe-west1-b.my-proj vm-1" {
		t.Errorf("SSHConfigHost() first line %q, want both aliases", first)
	}
	wantPC := `    ProxyCommand '/opt/iap desk/iapdesk' tunnel vm-1 22 --project my-proj --zone europe-west1-b --listen-on-stdin ` +
		`'--access-token-file=/home/al ice/tok' --publish-ssh-key=alice '--iap-tunnel-url-override=ws://127.0.0.1:9/v4?x=%%'` + "\n"
	if !strings.HasSuffix(got, wantPC) {
		t.Errorf("SSHConfigHost() =\n%s\nwant it to end with\n%s", got, wantPC)
	}
	for _, tc := range []struct {
		name    string
		aliases []string
		flags   []string
	}{
		{"no alias", nil, nil},
		{"alias with a space", []string{"vm-1.z.p", "vm 1"}, nil},
		{"flag that is not a flag", []string{"vm-1"}, []string{"rm -rf"}},
		{"flag with a newline", []string{"vm-1"}, []string{"--x=a\nb"}},
	} {
		p := *proxy
		p.Flags = tc.flags
		spec.Proxy = &p
		if got, err := SSHConfigHost("linux", tc.aliases, spec); err == nil {
			t.Errorf("%s: SSHConfigHost(%q) = %q, want an error", tc.name, tc.aliases, got)
		}
	}
}
