package app

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestBuildInfo: a plain `go build` says "devel" with the commit from the
// module's VCS stamp (debug.ReadBuildInfo), marked +dirty for a modified
// tree; without a stamp it leaves the commit out rather than saying
// "unknown"; the Makefile's values win.
func TestBuildInfo(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "2a7e5d160834dbeca3ecb0c471b8a4d753e7ce78"},
		{Key: "vcs.modified", Value: "true"}}}
	clean := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "2a7e5d160834dbeca3ecb0c471b8a4d753e7ce78"}, {Key: "vcs.modified", Value: "false"}}}
	bare := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name            string
		version, commit string
		info            *debug.BuildInfo
		want            string
	}{
		{"go build in a modified tree", "", "", stamped, "iapdesk devel (commit 2a7e5d160834+dirty, go1.26.8, " + platform + ")"},
		{"go build in a clean tree", "", "", clean, "iapdesk devel (commit 2a7e5d160834, go1.26.8, " + platform + ")"},
		{"go build -buildvcs=false", "", "", bare, "iapdesk devel (go1.26.8, " + platform + ")"},
		{"no build info", "", "", nil, "iapdesk devel (" + runtime.Version() + ", " + platform + ")"},
		{"make build", "v0.3.0", "abcdef123456", stamped, "iapdesk v0.3.0 (commit abcdef123456, go1.26.8, " + platform + ")"},
		{"make build outside git", "devel", "unknown", bare, "iapdesk devel (go1.26.8, " + platform + ")"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := buildInfo(tc.version, tc.commit, tc.info).String(); got != tc.want {
				t.Errorf("buildInfo(%q, %q, …) = %q, want %q", tc.version, tc.commit, got, tc.want)
			}
		})
	}
}
