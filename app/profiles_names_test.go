package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"iapdesk/app"
)

// sameNameExport is an export file of n profiles all named name.
func sameNameExport(tb testing.TB, n int, names ...string) []byte {
	tb.Helper()
	list := make([]app.Profile, 0, n+len(names))
	for i := range n {
		p := sampleProfile("web")
		p.ID = fmt.Sprintf("p-%d", i)
		list = append(list, p)
	}
	for i, name := range names {
		p := sampleProfile(name)
		p.ID = fmt.Sprintf("q-%d", i)
		list = append(list, p)
	}
	b, err := app.ExportProfiles(list, time.Unix(0, 0))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestImportSameNames: clashing names get the lowest free suffix,
// case-insensitively, counting the profiles already saved and those
// imported before them, exactly as one at a time would.
func TestImportSameNames(t *testing.T) {
	e := newProfilesEnv(t)
	ctx := context.Background()
	for _, n := range []string{"web", "WEB 2", "web 4", "db"} {
		e.add(t, sampleProfile(n))
	}
	data := sameNameExport(t, 3, "Web", "web 3", "DB", "db", "ſql", "SQL")
	imported, err := e.ps.Import(ctx, data)
	if err != nil {
		t.Fatalf("Import = %v", err)
	}
	want := []string{"web 3", "web 5", "web 6", "Web 7", "web 3 2", "DB 2", "db 3", "ſql", "SQL 2"}
	if got := profileNames(imported); !slices.Equal(got, want) {
		t.Errorf("imported names = %q, want %q", got, want)
	}
}

// TestImportManySameNames imports 3,000 profiles of one name: every name
// ends up distinct, in linear time. Before names were handed out from a
// set this took cubic time (2,000 took 19 s, 3,000 about a minute); now it
// takes a fraction of a second, so 10 s is a bound no slow CI machine
// reaches.
func TestImportManySameNames(t *testing.T) {
	const n = 3000
	e := newProfilesEnv(t)
	data := sameNameExport(t, n)
	start := time.Now()
	imported, err := e.ps.Import(context.Background(), data)
	if err != nil {
		t.Fatalf("Import = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Import of %d same-named profiles took %v, want well under 10s (linear)", n, d)
	}
	seen := make(map[string]bool, n)
	for i, p := range imported {
		want := "web"
		if i > 0 {
			want = fmt.Sprintf("web %d", i+1)
		}
		if p.Name != want || seen[strings.ToLower(p.Name)] {
			t.Fatalf("profile %d named %q, want %q", i, p.Name, want)
		}
		seen[strings.ToLower(p.Name)] = true
	}
}

// BenchmarkImportSameName10000 imports 10,000 profiles that share a name,
// the most an import file may hold, into an empty store: parse, name,
// validate and save. It must stay well under a second.
func BenchmarkImportSameName10000(b *testing.B) {
	const n = 10000
	data := sameNameExport(b, n)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	imports := 0
	for b.Loop() {
		b.StopTimer()
		s, err := app.NewConfigStore(app.ConfigStoreConfig{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		ps, err := app.NewProfiles(app.ProfilesConfig{Store: s})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		list, err := ps.Import(ctx, data)
		if err != nil || len(list) != n {
			b.Fatalf("Import = %d profiles, %v", len(list), err)
		}
		imports++
	}
	b.ReportMetric(float64(imports*n)/b.Elapsed().Seconds(), "profiles/s")
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(imports), "ms/import")
}
