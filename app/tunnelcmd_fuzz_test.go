package app_test

import (
	"net"
	"strconv"
	"testing"

	"iapdesk/app"
)

// FuzzParseLocalHostPort feeds --local-host-port arbitrary values: it must
// not panic, never yield an empty host (which would listen on every
// interface when the user asked for none), and what it accepts is a
// HOST:PORT with a port in 0-65535 that parses to itself.
func FuzzParseLocalHostPort(f *testing.F) {
	for _, s := range []string{"", "localhost:2222", ":2222", "localhost:", "0.0.0.0:3389", "[::1]:22", "127.0.0.1",
		"::1", "host:65536", "host:-1", "[fe80::1%eth0]:0", "[]:5", "a:+5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 512 {
			return // a flag value; nothing longer behaves differently
		}
		addr, err := app.ParseLocalHostPort(s)
		if err != nil {
			return
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("ParseLocalHostPort(%q) = %q, not HOST:PORT: %v", s, addr, err)
		}
		if host == "" || host == "localhost" {
			t.Fatalf("ParseLocalHostPort(%q) = %q, want an explicit host (localhost is 127.0.0.1)", s, addr)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			t.Fatalf("ParseLocalHostPort(%q) = %q, port not in 0-65535", s, addr)
		}
		if again, err := app.ParseLocalHostPort(addr); err != nil || again != addr {
			t.Fatalf("ParseLocalHostPort(%q) = %q, %v; want %q (it is the result for %q)", addr, again, err, addr, s)
		}
	})
}
