package app

import (
	"errors"
	"testing"
)

func TestParseResource(t *testing.T) {
	tests := []struct {
		in   string
		want resource
	}{
		{"https://www.googleapis.com/compute/v1/projects/my-project/zones/us-central1-a",
			resource{Project: "my-project", Zone: "us-central1-a"}},
		{"https://compute.googleapis.com/compute/v1/projects/p/zones/z/machineTypes/e2-medium",
			resource{Project: "p", Zone: "z", Collection: "machineTypes", Name: "e2-medium"}},
		{"https://www.googleapis.com/compute/v1/projects/windows-cloud/global/licenses/windows-server-2022-dc",
			resource{Project: "windows-cloud", Global: true, Collection: "licenses", Name: "windows-server-2022-dc"}},
		{"projects/p/regions/us-central1/subnetworks/default",
			resource{Project: "p", Region: "us-central1", Collection: "subnetworks", Name: "default"}},
		{"projects/p", resource{Project: "p"}},
		{"/projects/p/zones/z/instances/vm-1/", resource{Project: "p", Zone: "z", Collection: "instances", Name: "vm-1"}},
	}
	for _, tc := range tests {
		got, err := parseResource(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseResource(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "zones/z", "projects/", "projects//zones/z", "projects/p/zones", "projects/p/zones/z/instances",
		"projects/p/zones/z/instances/i/serialPort", "https://[::1", "projects/p/zones/z/instances/"} {
		if got, err := parseResource(bad); !errors.Is(err, errBadResource) {
			t.Errorf("parseResource(%q) = %+v, %v; want errBadResource", bad, got, err)
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
		r, err := parseResource(s)
		if err != nil {
			return
		}
		if r.Project == "" {
			t.Fatalf("parseResource(%q) = %+v with an empty project", s, r)
		}
		if (r.Collection == "") != (r.Name == "") {
			t.Fatalf("parseResource(%q) = %+v: collection without name or name without collection", s, r)
		}
	})
}
