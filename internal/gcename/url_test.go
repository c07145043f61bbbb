package gcename

import (
	"errors"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want Resource
	}{
		{"https://www.googleapis.com/compute/v1/projects/my-project/zones/us-central1-a",
			Resource{Project: "my-project", Zone: "us-central1-a"}},
		{"https://compute.googleapis.com/compute/v1/projects/p/zones/z/machineTypes/e2-medium",
			Resource{Project: "p", Zone: "z", Collection: "machineTypes", Name: "e2-medium"}},
		{"https://www.googleapis.com/compute/v1/projects/windows-cloud/global/licenses/windows-server-2022-dc",
			Resource{Project: "windows-cloud", Global: true, Collection: "licenses", Name: "windows-server-2022-dc"}},
		{"projects/p/regions/us-central1/subnetworks/default",
			Resource{Project: "p", Region: "us-central1", Collection: "subnetworks", Name: "default"}},
		{"projects/p", Resource{Project: "p"}},
		{"/projects/p/zones/z/instances/vm-1/", Resource{Project: "p", Zone: "z", Collection: "instances", Name: "vm-1"}},
	}
	for _, tc := range tests {
		got, err := ParseURL(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "zones/z", "projects/", "projects//zones/z", "projects/p/zones", "projects/p/zones/z/instances",
		"projects/p/zones/z/instances/i/serialPort", "https://[::1", "projects/p/zones/z/instances/"} {
		if got, err := ParseURL(bad); !errors.Is(err, ErrMalformedURL) {
			t.Errorf("ParseURL(%q) = %+v, %v; want ErrMalformedURL", bad, got, err)
		}
	}
}

// FuzzParseResource feeds resource URLs (which come from the network) to
// the parser: it must not panic, and what it accepts has a project.
func FuzzParseResource(f *testing.F) {
	for _, s := range []string{
		"https://www.googleapis.com/compute/v1/projects/p/zones/z",
		"https://www.googleapis.com/compute/v1/projects/windows-cloud/global/licenses/x",
		"projects/p/regions/r/subnetworks/s", "projects", "://", "projects/p/zones//instances/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<10 {
			return // resource URLs are short; longer ones only slow the fuzzer
		}
		r, err := ParseURL(s)
		if err != nil {
			return
		}
		if r.Project == "" {
			t.Fatalf("ParseURL(%q) = %+v with an empty project", s, r)
		}
		if (r.Collection == "") != (r.Name == "") {
			t.Fatalf("ParseURL(%q) = %+v: collection without name or name without collection", s, r)
		}
	})
}
