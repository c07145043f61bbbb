package app

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at link time by the Makefile from git (-X iapdesk/app.version=…); empty
// in a plain `go build`, where the module's build info is used instead.
var (
	version string
	commit  string
)

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version   string // e.g. v0.3.0, v0.3.0-4-gabc123, or "devel"
	Commit    string // short VCS revision, or "unknown"
	GoVersion string
	Platform  string // GOOS/GOARCH
}

// Build returns the version, commit and toolchain of the running binary. Values
// stamped by the Makefile win; otherwise it reads runtime/debug build info
// (module version and vcs.revision, present with -buildvcs).
func Build() BuildInfo {
	b := BuildInfo{
		Version:   version,
		Commit:    commit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && b.Commit == "" {
				b.Commit = s.Value
				if len(b.Commit) > 12 {
					b.Commit = b.Commit[:12]
				}
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// String formats b the way `iapdesk version` prints it.
func (b BuildInfo) String() string {
	return fmt.Sprintf("iapdesk %s (commit %s, %s, %s)", b.Version, b.Commit, b.GoVersion, b.Platform)
}

// UserAgent is the User-Agent iapdesk sends to Google: iapdesk/<version> (<os>/<arch>).
func (b BuildInfo) UserAgent() string {
	return fmt.Sprintf("iapdesk/%s (%s)", b.Version, b.Platform)
}
