package packaging

import (
	"os/exec"
	"strings"
	"testing"
)

// versionSh runs version.sh KIND VERSION and returns its trimmed output.
func versionSh(t *testing.T, kind, version string) string {
	t.Helper()
	out, err := exec.Command("bash", "version.sh", kind, version).Output()
	if err != nil {
		t.Fatalf("version.sh %s %q: %v", kind, version, err)
	}
	return strings.TrimSpace(string(out))
}

func TestVersionMapping(t *testing.T) {
	tests := []struct {
		git, deb, win, semver string
	}{
		{"v0.1.0", "0.1.0", "0,1,0,0", "0.1.0"},
		{"0.1.0", "0.1.0", "0,1,0,0", "0.1.0"},
		{"v0.1.0-3-gabc1234", "0.1.0+git3.gabc1234", "0,1,0,3", "0.1.0"},
		{"v0.1.0-3-gabc1234-dirty", "0.1.0+git3.gabc1234.dirty", "0,1,0,3", "0.1.0"},
		{"v0.1.0-dirty", "0.1.0+dirty", "0,1,0,0", "0.1.0"},
		{"v0.2.0-rc1", "0.2.0~rc1", "0,2,0,0", "0.2.0"},
		{"v0.2.0-rc.1-12-gdeadbeef", "0.2.0~rc.1+git12.gdeadbeef", "0,2,0,12", "0.2.0"},
		{"v1.20.300-70000-gabcdef0", "1.20.300+git70000.gabcdef0", "1,20,300,65535", "1.20.300"},
		{"abc1234", "0.0.0+gabc1234", "0,0,0,0", "0.0.0"},
		{"abc1234-dirty", "0.0.0+gabc1234.dirty", "0,0,0,0", "0.0.0"},
		{"devel", "0.0.0+devel", "0,0,0,0", "0.0.0"},
		{"feature/x y", "0.0.0+feature.x.y", "0,0,0,0", "0.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.git, func(t *testing.T) {
			if got := versionSh(t, "deb", tc.git); got != tc.deb {
				t.Errorf("version.sh deb %q = %q, want %q", tc.git, got, tc.deb)
			}
			if got := versionSh(t, "win", tc.git); got != tc.win {
				t.Errorf("version.sh win %q = %q, want %q", tc.git, got, tc.win)
			}
			if got := versionSh(t, "semver", tc.git); got != tc.semver {
				t.Errorf("version.sh semver %q = %q, want %q", tc.git, got, tc.semver)
			}
		})
	}
}

// TestDebianVersionOrder checks that dpkg orders the mapped versions of a
// git history the way the history runs, so apt upgrades along it, and that
// dpkg accepts each as a valid version.
func TestDebianVersionOrder(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg not installed: not a Debian system")
	}
	history := []string{ // oldest first
		"abc1234",
		"v0.1.0-rc1",
		"v0.1.0-rc1-2-gabc1234",
		"v0.1.0",
		"v0.1.0-dirty",
		"v0.1.0-1-gabc1234",
		"v0.1.0-10-gdef5678",
		"v0.2.0-beta",
		"v0.2.0",
		"v0.10.0",
	}
	// Not git describe forms, but they must still map to valid versions.
	odd := []string{"v0.2.0~", "release 1", "-", "v1.2.3-"}
	var debs []string
	for _, g := range append(history, odd...) {
		d := versionSh(t, "deb", g)
		if out, err := exec.Command("dpkg", "--validate-version", d).CombinedOutput(); err != nil {
			t.Errorf("dpkg --validate-version %q (from %q): %v: %s", d, g, err, out)
		}
		debs = append(debs, d)
	}
	for i := 1; i < len(history); i++ {
		a, b := debs[i-1], debs[i]
		if err := exec.Command("dpkg", "--compare-versions", a, "lt", b).Run(); err != nil {
			t.Errorf("dpkg --compare-versions %q lt %q (from %q, %q) = false, want true", a, b, history[i-1], history[i])
		}
	}
}
