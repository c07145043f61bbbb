package app_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// pkgInfo is the part of `go list -json` the layering rules need.
type pkgInfo struct {
	ImportPath string
	Deps       []string // transitive, non-test
	Imports    []string // direct, non-test
}

func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "iapdesk/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// demoWiring lists the packages allowed to import fakes outside tests.
var demoWiring = map[string]bool{"iapdesk": true, "iapdesk/app/demo": true}

// TestLayering enforces the import direction main → views → app → {tunnel,
// auth, platform}. Each ban says why it exists.
func TestLayering(t *testing.T) {
	type ban struct {
		pkgPrefix string // packages the rule applies to
		dep       string // forbidden transitive dependency prefix
		why       string
	}
	bans := []ban{
		{"iapdesk/app", "fyne.io/", "app holds use cases; only views may touch Fyne, so app stays testable without a display"},
		{"iapdesk/tunnel", "fyne.io/", "the tunnel is a protocol library, reused headless by `iapdesk tunnel`"},
		{"iapdesk/auth", "fyne.io/", "auth is used by headless commands"},
		{"iapdesk/platform", "fyne.io/", "launchers are plain Go so their command lines are tested on every OS"},
		{"iapdesk/tunnel", "cloud.google.com/", "the tunnel knows nothing of GCP APIs"},
		{"iapdesk/tunnel", "google.golang.org/api", "the tunnel knows nothing of GCP APIs"},
		{"iapdesk/tunnel", "iapdesk/auth", "the tunnel takes an oauth2.TokenSource, not our sign-in"},
		{"iapdesk/tunnel", "iapdesk/app", "imports flow app → tunnel, never back"},
		{"iapdesk/tunnel", "iapdesk/platform", "tunnel and platform are siblings"},
		{"iapdesk/auth", "iapdesk/app", "imports flow app → auth, never back"},
		{"iapdesk/auth", "iapdesk/tunnel", "auth and tunnel are siblings"},
		{"iapdesk/auth", "iapdesk/platform", "auth and platform are siblings; app hands auth a browser opener"},
		{"iapdesk/platform/atomicfile", "iapdesk/", "atomicfile is the leaf auth and app share to save config files; " +
			"whatever it imported from iapdesk would reach auth through it"},
		{"iapdesk/platform", "iapdesk/app", "imports flow app → platform, never back"},
		{"iapdesk/platform", "iapdesk/tunnel", "platform and tunnel are siblings"},
		{"iapdesk/platform", "iapdesk/auth", "platform and auth are siblings"},
		{"iapdesk/app", "iapdesk/views", "imports flow views → app, never back"},
	}
	// exempt are the dependencies a ban above would forbid, keyed by the
	// ban's package prefix and the dependency, each with why it is allowed.
	exempt := map[[2]string]string{
		{"iapdesk/auth", "iapdesk/platform/atomicfile"}: "accounts.json is saved (temp file, fsync, rename) and locked " +
			"like every other config file, by the one implementation; the package is a leaf (see its own ban)",
	}
	for _, p := range listPackages(t) {
		deps := append(append([]string{}, p.Deps...), p.Imports...)
		for _, b := range bans {
			if !strings.HasPrefix(p.ImportPath, b.pkgPrefix) {
				continue
			}
			for _, d := range deps {
				if strings.HasPrefix(d, b.dep) && exempt[[2]string{b.pkgPrefix, d}] == "" {
					t.Errorf("%s depends on %s: %s", p.ImportPath, d, b.why)
				}
			}
		}
		// Fakes (…test packages) are for tests only: no production package
		// may import one. The demo wiring (main, app/demo) may: the demo
		// mode runs the app against those same fakes.
		if demoWiring[p.ImportPath] || strings.HasSuffix(p.ImportPath, "test") || strings.Contains(p.ImportPath, "test/") {
			continue
		}
		for _, d := range p.Imports {
			if strings.HasPrefix(d, "iapdesk/") && strings.HasSuffix(d, "test") {
				t.Errorf("%s imports the fake %s; only tests and the demo wiring in main may", p.ImportPath, d)
			}
		}
	}
}
