package gcetest

import (
	"encoding/json"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
)

func TestFieldMaskPrune(t *testing.T) {
	doc := `{"a":1,"b":{"c":2,"d":3},"items":{"x":{"instances":[{"n":"1","m":2}]},"y":{"warning":{}}},"e":[{"f":1,"g":2}]}`
	tests := []struct {
		mask, want string
	}{
		{"a", `{"a":1}`},
		{"b/c", `{"b":{"c":2}}`},
		{"b(c,d),a", `{"a":1,"b":{"c":2,"d":3}}`},
		{"items/*/instances(n)", `{"items":{"x":{"instances":[{"n":"1"}]},"y":{}}}`},
		{"e/f", `{"e":[{"f":1}]}`},
		{"e(g)", `{"e":[{"g":2}]}`},
		{"nope", `{}`},
	}
	for _, tc := range tests {
		m, err := parseFieldMask(tc.mask)
		if err != nil {
			t.Fatalf("parseFieldMask(%q): %v", tc.mask, err)
		}
		got, err := m.prune([]byte(doc))
		if err != nil {
			t.Fatalf("prune(%q): %v", tc.mask, err)
		}
		if string(got) != tc.want {
			t.Errorf("prune(%q) = %s, want %s", tc.mask, got, tc.want)
		}
	}
	for _, bad := range []string{"", "a,", "a(b", "a)", "a//b", "(a)"} {
		if _, err := parseFieldMask(bad); err == nil {
			t.Errorf("parseFieldMask(%q) = nil error, want one", bad)
		}
	}
}

func FuzzParseFieldMask(f *testing.F) {
	for _, s := range []string{"a,b/c,d(e,f/g)", "items/*/instances(name,zone)", "a((b))", ",,", "(((((("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<10 {
			return // field masks are short; longer ones only slow the fuzzer
		}
		m, err := parseFieldMask(s)
		if err != nil {
			return
		}
		out, err := m.prune([]byte(`{"a":{"b":[1,{"c":2}]},"items":{"z":{"instances":[{"name":"x"}]}}}`))
		if err != nil || !json.Valid(out) {
			t.Fatalf("prune with mask %q = %s, %v", s, out, err)
		}
		// The canonical form parses to the same selection.
		_ = m.String()
	})
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`status = RUNNING`, `(name = "win-*") OR (labels.env:*)`, `NOT NOT name eq a.*`, `name = "\"`, `((((`} {
		f.Add(s)
	}
	in := &compute.Instance{Name: "win-1", Status: "RUNNING", Zone: "https://x/zones/us-central1-a", Labels: map[string]string{"env": "prod"}}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<10 {
			return // filters are short; longer ones only slow the fuzzer
		}
		flt, err := parseFilter(s)
		if err != nil {
			return
		}
		flt.match(in) // must not panic
	})
}

func FuzzParseCRMFilter(f *testing.F) {
	for _, s := range []string{`id:"p"`, `name:"p*" OR id:"p*"`, `labels.env:prod lifecycleState:ACTIVE`, `OR`, `id:`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<10 {
			return // filters are short; longer ones only slow the fuzzer
		}
		flt, err := parseCRMFilter(s)
		if err != nil {
			return
		}
		flt.match(crmProject(&projectState{id: "p", name: "P", state: "ACTIVE", parent: "organizations/1"}))
	})
}

func TestRing(t *testing.T) {
	r := newRing(8)
	r.write([]byte("abcdef"))
	r.write([]byte("ghij"))
	tests := []struct {
		start     int64
		want      string
		wantStart int64
	}{
		{0, "cdefghij", 2},
		{5, "fghij", 5},
		{-3, "hij", 7},
		{-100, "cdefghij", 2},
		{10, "", 10},
		{99, "", 10},
	}
	for _, tc := range tests {
		got, start := r.read(tc.start)
		if string(got) != tc.want || start != tc.wantStart {
			t.Errorf("read(%d) = %q from %d, want %q from %d", tc.start, got, start, tc.want, tc.wantStart)
		}
	}
}

func TestCheckExpired(t *testing.T) {
	now := mustTime(t, "2024-05-01T10:00:00Z")
	tests := []struct {
		in   string
		want bool
	}{
		{"2024-05-01T10:05:00Z", false},
		{"2024-05-01T10:05:00.123Z", false},
		{"2024-05-01T10:05:00+0000", false},
		{"2024-05-01T09:55:00+0000", true},
		{"2024-05-01T12:05:00+02:00", false},
		{"garbage", true},
		{"", true},
	}
	for _, tc := range tests {
		if got := checkExpired(tc.in, now); got != tc.want {
			t.Errorf("checkExpired(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
