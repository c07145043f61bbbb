package app

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at link time by the Makefile from git (-X iapdesk/app.version=…); empty
// in a plain `go build`, where the module's build info is used instead.
var (
	version string
	commit  string
)

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version string // e.g. v0.3.0, v0.3.0-4-gabc123, or "devel"
	// Commit is the short VCS revision, with "+dirty" when the tree had
	// changes; "" when the binary records none (go build -buildvcs=false,
	// or outside a repository).
	Commit    string
	GoVersion string
	Platform  string // GOOS/GOARCH
}

// Build returns the version, commit and toolchain of the running binary. Values
// stamped by the Makefile win; otherwise it reads runtime/debug build info
// (module version and vcs.revision, present with -buildvcs).
func Build() BuildInfo {
	info, _ := debug.ReadBuildInfo()
	return buildInfo(version, commit, info)
}

// buildInfo is Build with the stamped values and the build info (nil when
// there is none) as parameters.
func buildInfo(version, commit string, info *debug.BuildInfo) BuildInfo {
	b := BuildInfo{
		Version:   version,
		Commit:    commit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if b.Commit == "unknown" {
		b.Commit = "" // the Makefile's word outside a repository
	}
	if info != nil {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		if info.GoVersion != "" {
			b.GoVersion = info.GoVersion
		}
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if b.Commit == "" && rev != "" {
			b.Commit = rev[:min(len(rev), 12)]
			if dirty {
				b.Commit += "+dirty"
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	return b
}

// String formats b the way `iapdesk version` and About print it:
// "iapdesk VERSION (commit C, GO, OS/ARCH)", without the commit when the
// binary records none.
func (b BuildInfo) String() string {
	parts := []string{b.GoVersion, b.Platform}
	if b.Commit != "" {
		parts = append([]string{"commit " + b.Commit}, parts...)
	}
	return fmt.Sprintf("iapdesk %s (%s)", b.Version, strings.Join(parts, ", "))
}

// UserAgent is the User-Agent iapdesk sends to Google: iapdesk/<version> (<os>/<arch>).
func (b BuildInfo) UserAgent() string {
	return fmt.Sprintf("iapdesk/%s (%s)", b.Version, b.Platform)
}
