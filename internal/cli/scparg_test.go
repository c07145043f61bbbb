package cli

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"iapdesk/internal/gcename"
)

func TestParseSCPOperand(t *testing.T) {
	tests := []struct {
		in      string
		windows bool
		want    scpLocation
		err     bool
	}{
		{"file.txt", false, scpLocation{Path: "file.txt"}, false},
		{"/tmp/a:b", false, scpLocation{Path: "/tmp/a:b"}, false},
		{"./a:b", false, scpLocation{Path: "./a:b"}, false},
		{"vm-1:/tmp/", false, scpLocation{Remote: true, Instance: "vm-1", Path: "/tmp/"}, false},
		{"vm-1:", false, scpLocation{Remote: true, Instance: "vm-1", Path: "."}, false},
		{"alice@vm-1:notes.txt", false, scpLocation{Remote: true, User: "alice", Instance: "vm-1", Path: "notes.txt"}, false},
		{"web-prod-01:/tmp/a b", false, scpLocation{Remote: true, Instance: "web-prod-01", Path: "/tmp/a b"}, false},
		{`C:\Users\me\f.txt`, true, scpLocation{Path: `C:\Users\me\f.txt`}, false},
		{"c:/data", true, scpLocation{Path: "c:/data"}, false},
		{"c:/data", false, scpLocation{Remote: true, Instance: "c", Path: "/data"}, false},
		{"VM-1:/tmp", false, scpLocation{}, true},         // not a VM name
		{"-oProxy@vm:/x", false, scpLocation{}, true},     // a user that reads as an option
		{"@vm-1:/x", false, scpLocation{}, true},          // empty user
		{"vm-1:/tmp/\x1b[2J", false, scpLocation{}, true}, // control characters
		{"", false, scpLocation{}, true},
	}
	for _, tc := range tests {
		got, err := parseSCPOperand(tc.in, tc.windows)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseSCPOperand(%q, %v) = %+v, %v, want %+v (error %v)", tc.in, tc.windows, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, errSCPOperand) {
			t.Errorf("parseSCPOperand(%q) error %v does not wrap errSCPOperand", tc.in, err)
		}
	}
}

func TestPlanSCP(t *testing.T) {
	tests := []struct {
		args   []string
		upload bool
		err    string
	}{
		{[]string{"a", "b", "vm-1:/tmp/"}, true, ""},
		{[]string{"vm-1:a", "vm-1:b", "."}, false, ""},
		{[]string{"a", "b"}, false, "nothing is on a VM"},
		{[]string{"vm-1:a", "vm-2:b"}, false, "between VMs"},
		{[]string{"vm-1:a", "vm-2:b", "."}, false, "same VM"},
		{[]string{"vm-1:a", "alice@vm-1:b", "."}, false, "same VM"},
		{[]string{"a", "vm-1:b", "vm-2:/tmp"}, false, "between VMs"},
	}
	for _, tc := range tests {
		plan, err := planSCP(tc.args, false)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("planSCP(%q) = %v, want an error about %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || plan.upload != tc.upload || plan.remote.Instance != "vm-1" {
			t.Errorf("planSCP(%q) = %+v, %v, want upload %v to vm-1", tc.args, plan, err, tc.upload)
		}
	}
}

// FuzzParseSCPOperand: any operand parses to a local path or a remote
// location with a valid VM name, a safe user and no control characters,
// and never panics.
func FuzzParseSCPOperand(f *testing.F) {
	for _, s := range []string{"vm-1:/tmp/", "alice@vm-1:x", "./a:b", `C:\x`, "", "@:", "a@b@c:d"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, windows bool) {
		loc, err := parseSCPOperand(s, windows)
		if err != nil {
			return
		}
		if !utf8.ValidString(s) && loc.Remote && !utf8.ValidString(loc.Instance) {
			t.Fatalf("invalid UTF-8 instance %q", loc.Instance)
		}
		if strings.IndexFunc(loc.Path+loc.User+loc.Instance, unicode.IsControl) >= 0 {
			t.Fatalf("parseSCPOperand(%q) = %+v keeps control characters", s, loc)
		}
		if !loc.Remote {
			if loc.Path != s {
				t.Fatalf("local parseSCPOperand(%q) = %+v, want the path as given", s, loc)
			}
			return
		}
		if !gcename.IsInstance(loc.Instance) || loc.Path == "" {
			t.Fatalf("parseSCPOperand(%q) = %+v: bad instance or empty path", s, loc)
		}
		if loc.User != "" && (!validUser(loc.User) || strings.HasPrefix(loc.User, "-")) {
			t.Fatalf("parseSCPOperand(%q) = %+v: unsafe user", s, loc)
		}
	})
}
