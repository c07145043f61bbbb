package app

import (
	"net"
	"strings"
	"testing"
)

func TestParseLocalHostPort(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"", "127.0.0.1:0", false},
		{"0", "127.0.0.1:0", false}, // was "lookup 0: no such host"
		{"2222", "127.0.0.1:2222", false},
		{"65535", "127.0.0.1:65535", false},
		{":2222", "127.0.0.1:2222", false},
		{"localhost", "127.0.0.1:0", false},
		{"localhost:0", "127.0.0.1:0", false},
		{"localhost:", "127.0.0.1:0", false},
		{"127.0.0.1:8080", "127.0.0.1:8080", false},
		{"[::1]:0", "[::1]:0", false},
		{"::1", "[::1]:0", false},
		{"0.0.0.0:0", "0.0.0.0:0", false},
		{"myhost:22", "myhost:22", false},
		{"65536", "", true},
		{"localhost:99999", "", true},
		{"localhost:+22", "", true},
		{"localhost:-1", "", true},
		{"localhost:ssh", "", true},
		{"a:b:c", "", true},
		{"[", "", true},
		{"[::1", "", true},
		{"a b:22", "", true},
		{"[fe80::1%eth0]:0", "[fe80::1%eth0]:0", false},
	}
	for _, tc := range tests {
		got, err := ParseLocalHostPort(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("ParseLocalHostPort(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseLocalHostPort(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestListenWarning: a port bound to any address but loopback gets a
// warning that the network can reach it; loopback gets none.
func TestListenWarning(t *testing.T) {
	tests := []struct {
		addr string
		warn bool
	}{
		{"127.0.0.1:0", false},
		{"[::1]:0", false},
		{"0.0.0.0:0", true},
		{"[::]:0", true},
	}
	for _, tc := range tests {
		addr, err := ParseLocalHostPort(tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Logf("listen %s: %v (no such address family here)", addr, err)
			continue
		}
		got := listenWarning(ln.Addr())
		ln.Close()
		if tc.warn != (got != "") {
			t.Errorf("listenWarning(%v) = %q, want a warning: %v", ln.Addr(), got, tc.warn)
		}
		if tc.warn && (!strings.Contains(got, ln.Addr().String()) || !strings.Contains(got, "network")) {
			t.Errorf("listenWarning(%v) = %q, want the address and that the network can reach it", ln.Addr(), got)
		}
	}
}
