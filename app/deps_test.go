package app_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pkgInfo is the part of `go list -json` the layering rules need.
type pkgInfo struct {
	ImportPath string
	Dir        string
	GoFiles    []string // non-test, for this GOOS
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
var demoWiring = map[string]bool{"iapdesk/app/demo": true}

// googleAPIs are the only packages that may import google.golang.org/api:
// the adapters, and the fake that serves the same JSON.
var googleAPIs = map[string]bool{"iapdesk/app/gce": true, "iapdesk/app/gcetest": true}

// TestLayering enforces the import direction main → {internal/cli, views}
// → app → {tunnel, auth, platform}, with the composition root (app/desk)
// and the Google API adapters (app/gce) beside app. Each ban says why it
// exists.
func TestLayering(t *testing.T) {
	type ban struct {
		pkg  string // packages the rule applies to: this one and those under it
		dep  string // forbidden dependency prefix
		why  string
		only bool // pkg itself only, not the packages under it
		// direct bans the direct imports only; the default is every
		// transitive dependency.
		direct bool
	}
	bans := []ban{
		{pkg: "iapdesk/app", dep: "fyne.io/", why: "app holds use cases; only views may touch Fyne, so app stays testable without a display"},
		{pkg: "iapdesk/internal", dep: "fyne.io/", why: "the command line runs headless; the window is main's to give it"},
		{pkg: "iapdesk/internal", dep: "iapdesk/views", why: "the command line runs headless; the window is main's to give it"},
		{pkg: "iapdesk/tunnel", dep: "fyne.io/", why: "the tunnel is a protocol library, reused headless by `iapdesk tunnel`"},
		{pkg: "iapdesk/auth", dep: "fyne.io/", why: "auth is used by headless commands"},
		{pkg: "iapdesk/platform", dep: "fyne.io/", why: "launchers are plain Go so their command lines are tested on every OS"},
		{pkg: "iapdesk/tunnel", dep: "cloud.google.com/", why: "the tunnel knows nothing of GCP APIs"},
		{pkg: "iapdesk/tunnel", dep: "google.golang.org/api", why: "the tunnel knows nothing of GCP APIs"},
		{pkg: "iapdesk/tunnel", dep: "iapdesk/auth", why: "the tunnel takes an oauth2.TokenSource, not our sign-in"},
		{pkg: "iapdesk/tunnel", dep: "iapdesk/app", why: "imports flow app → tunnel, never back"},
		{pkg: "iapdesk/tunnel", dep: "iapdesk/platform", why: "tunnel and platform are siblings"},
		{pkg: "iapdesk/auth", dep: "iapdesk/app", why: "imports flow app → auth, never back"},
		{pkg: "iapdesk/auth", dep: "iapdesk/tunnel", why: "auth and tunnel are siblings"},
		{pkg: "iapdesk/auth", dep: "iapdesk/platform", why: "auth and platform are siblings; app hands auth a browser opener"},
		{pkg: "iapdesk/platform/atomicfile", dep: "iapdesk/", why: "atomicfile is the leaf auth and app share to save config files; " +
			"whatever it imported from iapdesk would reach auth through it"},
		{pkg: "iapdesk/internal/gcename", dep: "iapdesk/", why: "the one definition of Compute Engine names is a leaf app, gce and platform share; " +
			"whatever it imported would reach platform through it"},
		{pkg: "iapdesk/internal/proxyreq", dep: "iapdesk/", why: "the SOCKS5 and HTTP CONNECT wire format is a leaf: it knows nothing of GCP, " +
			"tunnels or the app; app's gateway routes what it reads"},
		{pkg: "iapdesk/platform", dep: "iapdesk/app", why: "imports flow app → platform, never back"},
		{pkg: "iapdesk/platform", dep: "iapdesk/tunnel", why: "platform and tunnel are siblings"},
		{pkg: "iapdesk/platform", dep: "iapdesk/auth", why: "platform and auth are siblings"},
		{pkg: "iapdesk/app", dep: "iapdesk/views", why: "imports flow views → app, never back"},

		// Google's APIs are reached through the adapters only: the use
		// cases work on app's own types and errors (app.APIError), so a
		// change of client library, or a fake, touches one package.
		{pkg: "iapdesk/app", dep: "google.golang.org/api", only: true, why: "the use cases define small interfaces (InstanceLister, KeyPublisher, …) that app/gce implements"},
		{pkg: "iapdesk/app/settings", dep: "google.golang.org/api", why: "settings resolution is pure"},
		{pkg: "iapdesk/views", dep: "google.golang.org/api", why: "the window works with app's types; main hands it the adapters"},
		{pkg: "iapdesk/auth", dep: "google.golang.org/api", why: "auth speaks OAuth, not Google's service APIs"},
		{pkg: "iapdesk/platform", dep: "google.golang.org/api", why: "platform launches programs; it knows no Google API"},
		{pkg: "iapdesk/internal/gcename", dep: "google.golang.org/api", why: "names are checked without a client library"},
		{pkg: "iapdesk", dep: "google.golang.org/api", direct: true, why: "only app/gce (and its fake) import Google's client libraries; " +
			"the composition root, the command line and main reach them through app/gce"},

		// One composition root: app/desk builds the graph; the use cases
		// below it and the window above it do not build it.
		{pkg: "iapdesk/app", dep: "iapdesk/app/gce", only: true, why: "app defines the interfaces app/gce implements; the root (app/desk) joins them"},
		{pkg: "iapdesk/app", dep: "iapdesk/app/desk", only: true, why: "the root builds app's objects, never the reverse"},
		{pkg: "iapdesk/app/settings", dep: "iapdesk/app", why: "settings resolution is a leaf of app: app saves levels and turns resolved settings into parameters"},
		{pkg: "iapdesk/app/gce", dep: "iapdesk/app/desk", why: "the adapters are built by the root, not the reverse"},
		{pkg: "iapdesk/views", dep: "iapdesk/app/desk", why: "the window receives the services main builds; it does not build them"},
		{pkg: "iapdesk/views", dep: "iapdesk/app/gce", why: "the window works with app's interfaces; main hands it the adapters"},
		{pkg: "iapdesk/views", dep: "iapdesk/internal/cli", why: "the command line gives the window what to show, not the reverse"},
	}
	// exempt are the dependencies a ban above would forbid, keyed by the
	// package it applies to and the dependency, each with why it is allowed.
	exempt := map[[2]string]string{
		{"iapdesk/auth", "iapdesk/platform/atomicfile"}: "accounts.json is saved (temp file, fsync, rename) and locked " +
			"like every other config file, by the one implementation; the package is a leaf (see its own ban)",
		{"iapdesk/platform", "iapdesk/internal/gcename"}: "ssh's ProxyCommand line names the VM, project and zone: platform checks " +
			"them with the one definition of those names; the package is a leaf (see its own ban)",
		{"iapdesk/app/gce", "google.golang.org/api"}:     "app/gce is the adapters' package",
		{"iapdesk/app/gcetest", "google.golang.org/api"}: "the fake serves the API's own JSON types",
	}
	for _, p := range listPackages(t) {
		deps := append(append([]string{}, p.Deps...), p.Imports...)
		for _, b := range bans {
			applies := p.ImportPath == b.pkg || !b.only && strings.HasPrefix(p.ImportPath, b.pkg+"/")
			if !applies {
				continue
			}
			list := deps
			if b.direct {
				list = p.Imports
			}
			for _, d := range list {
				if !strings.HasPrefix(d, b.dep) {
					continue
				}
				if exempt[[2]string{p.ImportPath, b.dep}] != "" || exemptPrefix(exempt, p.ImportPath, d) {
					continue
				}
				t.Errorf("%s depends on %s: %s", p.ImportPath, d, b.why)
			}
		}
		// Fakes (…test packages) are for tests only: no production package
		// may import one. The demo (app/demo) may: the demo mode runs the
		// app against those same fakes.
		if demoWiring[p.ImportPath] || strings.HasSuffix(p.ImportPath, "test") || strings.Contains(p.ImportPath, "test/") {
			continue
		}
		for _, d := range p.Imports {
			if strings.HasPrefix(d, "iapdesk/") && strings.HasSuffix(d, "test") {
				t.Errorf("%s imports the fake %s; only tests and the demo (app/demo) may", p.ImportPath, d)
			}
		}
	}
	for pkg := range googleAPIs {
		if exempt[[2]string{pkg, "google.golang.org/api"}] == "" {
			t.Errorf("%s may import google.golang.org/api but has no exemption saying why", pkg)
		}
	}
}

// exemptPrefix reports whether the dependency d of pkg is exempt: the
// exemption names pkg (or a package it is under) and d or a prefix of d.
func exemptPrefix(exempt map[[2]string]string, pkg, d string) bool {
	for k := range exempt {
		if (pkg == k[0] || strings.HasPrefix(pkg, k[0]+"/")) && (d == k[1] || strings.HasPrefix(d, k[1]+"/")) {
			return true
		}
	}
	return false
}

// TestOneCompositionRoot: the object graph is built in one place. No
// production code outside app/desk constructs the connector, the tunnels
// or the Google API adapters; the window, the command line and the demo
// get them from desk.
func TestOneCompositionRoot(t *testing.T) {
	ctor := regexp.MustCompile(`\b(app\.NewConnector|app\.NewTunnels|app\.NewSSHClients|gce\.New[A-Za-z]*|app\.NewExplorer|app\.NewProfiles)\(`)
	for _, p := range listPackages(t) {
		if p.ImportPath == "iapdesk/app/desk" {
			continue
		}
		for _, f := range p.GoFiles {
			b, err := os.ReadFile(filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ctor.FindAllString(string(b), -1) {
				t.Errorf("%s/%s calls %s: only the composition root (app/desk) builds the object graph", p.ImportPath, f, m)
			}
		}
	}
}
