package app_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"iapdesk/app"
)

// maxFuzzProfilesLen bounds FuzzParseProfiles' input: a dozen profiles with
// every setting fit, and larger JSON only makes each run slower (the 4 MiB
// limit is checked by TestParseProfilesRejects).
const maxFuzzProfilesLen = 16 << 10

// FuzzParseProfiles feeds the import parser arbitrary files: it must not
// panic, and whatever it accepts must be valid, export again and parse back
// to the same profiles. The committed corpus
// (testdata/fuzz/FuzzParseProfiles) holds a real export, every setting and
// each kind of refused file.
func FuzzParseProfiles(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "profiles-export.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"format":"iapdesk-profiles","version":1,"profiles":[]}`))
	f.Add([]byte(`{"format":"iapdesk-profiles","version":1,"profiles":[{"id":"p-1","name":"a","protocol":"port","remotePort":22,` +
		`"target":{"project":"acme-prod-web","region":"r","network":"n","host":"::1","destGroup":"g"},"settings":{"rdp":{"width":null}}}]}`))
	f.Add([]byte(`{"format":"iapdesk-profiles","version":1,"profiles":[{"name":"\u0000"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzProfilesLen {
			return
		}
		checkProfilesRoundTrip(t, data)
	})
}

// checkProfilesRoundTrip is the body of FuzzParseProfiles.
func checkProfilesRoundTrip(t testing.TB, data []byte) {
	t.Helper()
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
}

// BenchmarkParseProfilesCorpus runs FuzzParseProfiles' body over its
// committed corpus: the cost of one fuzz execution, without the fuzzer.
func BenchmarkParseProfilesCorpus(b *testing.B) {
	inputs := readCorpus(b, "FuzzParseProfiles")
	size := 0
	for _, in := range inputs {
		size += len(in)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, in := range inputs {
			checkProfilesRoundTrip(b, in)
		}
	}
	b.ReportMetric(float64(b.N*len(inputs))/b.Elapsed().Seconds(), "inputs/s")
}

// readCorpus returns the single []byte value of each file in
// testdata/fuzz/<target>, which must be in the "go test fuzz v1" format.
func readCorpus(tb testing.TB, target string) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("corpus of %s: %d files, %v", target, len(files), err)
	}
	var out [][]byte
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, len(raw)+1)
		if !sc.Scan() || sc.Text() != "go test fuzz v1" || !sc.Scan() {
			tb.Fatalf("%s: not a go test fuzz v1 file", name)
		}
		quoted, ok := strings.CutPrefix(sc.Text(), "[]byte(")
		if !ok || !strings.HasSuffix(quoted, ")") {
			tb.Fatalf("%s: value %.40q is not a []byte", name, sc.Text())
		}
		v, err := strconv.Unquote(strings.TrimSuffix(quoted, ")"))
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		out = append(out, []byte(v))
	}
	return out
}
