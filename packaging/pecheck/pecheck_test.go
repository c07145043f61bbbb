package main

import (
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"iapdesk/platform/systest"
)

// buildExe cross-compiles a tiny Windows program (no cgo) the way
// `make package-windows` builds iapdesk: with the resources from
// packaging/windows/mkrsrc.sh when rsrc is set, as a GUI program when gui is.
func buildExe(t *testing.T, rsrc, gui bool) string {
	t.Helper()
	systest.Require(t, "go", "bash", "x86_64-w64-mingw32-windres")
	dir := t.TempDir()
	for name, text := range map[string]string{
		"go.mod":  "module hello\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() { println(\"hello\") }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if rsrc {
		mkrsrc, err := filepath.Abs("../windows/mkrsrc.sh")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", mkrsrc, "v1.2.3-4-gabc1234", "abc1234def0", filepath.Join(dir, "rsrc_windows_amd64.syso"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mkrsrc.sh: %v\n%s", err, out)
		}
	}
	ldflags := ""
	if gui {
		ldflags = "-H=windowsgui"
	}
	exe := filepath.Join(dir, "hello.exe")
	cmd := exec.Command("go", "build", "-ldflags", ldflags, "-o", exe, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build (windows): %v\n%s", err, out)
	}
	return exe
}

// buildCExe links a C program with MinGW's pthread DLL, as a cgo build can
// by accident.
func buildCExe(t *testing.T) string {
	t.Helper()
	systest.Require(t, "x86_64-w64-mingw32-gcc")
	dir := t.TempDir()
	src := filepath.Join(dir, "t.c")
	if err := os.WriteFile(src, []byte("#include <pthread.h>\nint main(void) { return pthread_self() == 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "t.exe")
	if out, err := exec.Command("x86_64-w64-mingw32-gcc", "-mwindows", "-o", exe, src, "-lpthread").CombinedOutput(); err != nil {
		t.Fatalf("x86_64-w64-mingw32-gcc: %v\n%s", err, out)
	}
	return exe
}

func TestCheck(t *testing.T) {
	full := buildExe(t, true, true)
	tests := []struct {
		name string
		exe  string
		want want
		// problems lists a substring of each expected problem, in order.
		problems []string
	}{
		{"matching", full, want{version: "v1.2.3-4-gabc1234", fileVersion: "1,2,3,4"}, nil},
		{"any version", full, want{}, nil},
		{"other version", full, want{version: "v1.2.4", fileVersion: "1,2,4,0"},
			[]string{"file version 1,2,3,4, want 1,2,4,0", `ProductVersion "v1.2.3-4-gabc1234", want "v1.2.4"`, `FileVersion "v1.2.3-4-gabc1234"`}},
		{"console", buildExe(t, true, false), want{}, []string{"subsystem 3 (console)"}},
		{"no resources", buildExe(t, false, true), want{},
			[]string{"no icon image resource", "no icon group resource", "no version resource", "no manifest resource"}},
		{"mingw runtime dll", buildCExe(t), want{},
			[]string{"imports libwinpthread-1.dll", "no icon image resource", "no icon group resource", "no version resource", "no manifest resource"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var report strings.Builder
			problems, err := check(&report, tc.exe, tc.want)
			if err != nil {
				t.Fatalf("check(%s) error: %v", tc.name, err)
			}
			if len(problems) != len(tc.problems) {
				t.Fatalf("check(%s) problems = %q, want %d matching %q\nreport:\n%s", tc.name, problems, len(tc.problems), tc.problems, report.String())
			}
			for i, p := range problems {
				if !strings.Contains(p, tc.problems[i]) {
					t.Errorf("check(%s) problem %d = %q, want it to contain %q", tc.name, i, p, tc.problems[i])
				}
			}
		})
	}
}

// TestVersionInfoStrings checks every string mkrsrc.sh puts in the version
// resource, read back from a linked executable.
func TestVersionInfoStrings(t *testing.T) {
	vi := readVersionInfo(t, buildExe(t, true, true))
	want := map[string]string{
		"ProductName":      "iapdesk",
		"ProductVersion":   "v1.2.3-4-gabc1234",
		"FileVersion":      "v1.2.3-4-gabc1234",
		"OriginalFilename": "iapdesk.exe",
		"Comments":         "commit abc1234def0",
	}
	for k, v := range want {
		if vi.Strings[k] != v {
			t.Errorf("version string %s = %q, want %q", k, vi.Strings[k], v)
		}
	}
	if vi.FileVersion != [4]uint16{1, 2, 3, 4} {
		t.Errorf("FileVersion = %v, want [1 2 3 4]", vi.FileVersion)
	}
}

// TestParseVersionInfoTruncated feeds every prefix of a real version resource
// to the parser: it may fail, never panic.
func TestParseVersionInfoTruncated(t *testing.T) {
	blob := versionBlob(t, buildExe(t, true, true))
	for i := range len(blob) {
		_, _ = parseVersionInfo(blob[:i])
	}
	if _, err := parseVersionInfo(blob); err != nil {
		t.Errorf("parseVersionInfo(whole) error: %v", err)
	}
}

func versionBlob(t *testing.T, exe string) []byte {
	t.Helper()
	f, err := pe.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := resources(f)
	if err != nil {
		t.Fatalf("resources(%s) error: %v", exe, err)
	}
	if len(res[rtVersion]) != 1 {
		t.Fatalf("resources(%s) has %d version resources, want 1", exe, len(res[rtVersion]))
	}
	return res[rtVersion][0]
}

func readVersionInfo(t *testing.T, exe string) versionInfo {
	t.Helper()
	vi, err := parseVersionInfo(versionBlob(t, exe))
	if err != nil {
		t.Fatalf("parseVersionInfo(%s) error: %v", exe, err)
	}
	return vi
}
