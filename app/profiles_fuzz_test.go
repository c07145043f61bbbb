package app_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"iapdesk/app"
)

// FuzzParseProfiles feeds the import parser arbitrary files: it must not
// panic, and whatever it accepts must be valid, export again and parse back
// to the same profiles.
func FuzzParseProfiles(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "profiles-export.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"format":"iapdesk-profiles","version":1,"profiles":[]}`))
	f.Add([]byte(`{"format":"iapdesk-profiles","version":1,"profiles":[{"id":"p-1","name":"a","protocol":"port","remotePort":22,` +
		`"target":{"project":"acme-prod-web","region":"r","network":"n","host":"::1","destGroup":"g"},"settings":{"rdp":{"width":null}}}]}`))
	f.Add([]byte(`{"format":"iapdesk-profiles","version":1,"profiles":[{"name":"\u0000"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := app.ParseProfiles(data)
		if err != nil {
			return
		}
		for i := range list {
			if err := list[i].Validate(); err != nil {
				t.Fatalf("ParseProfiles accepted an invalid profile: %v", err)
			}
		}
		out, err := app.ExportProfiles(list, time.Unix(0, 0))
		if err != nil {
			t.Fatalf("ExportProfiles = %v", err)
		}
		back, err := app.ParseProfiles(out)
		if err != nil {
			t.Fatalf("ParseProfiles(ExportProfiles(list)) = %v\n%s", err, out)
		}
		if len(back) != len(list) {
			t.Fatalf("round trip: %d profiles, want %d", len(back), len(list))
		}
		for i := range list {
			a, b := list[i], back[i]
			if !a.Created.Equal(b.Created) || !a.Modified.Equal(b.Modified) {
				t.Fatalf("round trip changed timestamps of profile %d", i)
			}
			a.Created, a.Modified, b.Created, b.Modified = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("round trip changed profile %d:\n%+v\n%+v", i, a, b)
			}
		}
	})
}
