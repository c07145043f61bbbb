package main

import (
	"debug/pe"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	version := flag.String("version", "", "expected ProductVersion and FileVersion strings (the Makefile's VERSION); empty: not checked")
	fileVersion := flag.String("file-version", "", "expected numeric file version MAJOR,MINOR,PATCH,BUILD; empty: not checked")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: pecheck [-version V] [-file-version A,B,C,D] FILE.exe")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	problems, err := check(os.Stdout, flag.Arg(0), want{version: *version, fileVersion: *fileVersion})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pecheck:", err)
		os.Exit(1)
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "pecheck: "+flag.Arg(0)+": "+p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

// want is what the caller expects beyond the fixed checks.
type want struct {
	version     string // ProductVersion/FileVersion strings; "" = any
	fileVersion string // "A,B,C,D"; "" = any
}

// check opens path, writes what it finds to w and returns the failed checks.
// err is for a file it cannot read as PE at all.
func check(w io.Writer, path string, wt want) (problems []string, err error) {
	f, err := pe.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read PE file: %w", err) // err names the file
	}
	defer f.Close()

	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return []string{"not a PE32+ (64-bit) image"}, nil
	}
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		fail("machine %#x, want x86-64 (%#x)", f.Machine, pe.IMAGE_FILE_MACHINE_AMD64)
	}
	subsystem := map[uint16]string{pe.IMAGE_SUBSYSTEM_WINDOWS_GUI: "GUI", pe.IMAGE_SUBSYSTEM_WINDOWS_CUI: "console"}[oh.Subsystem]
	fmt.Fprintf(w, "%s: PE32+ machine %#x, subsystem %d (%s)\n", path, f.Machine, oh.Subsystem, subsystem)
	if oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		fail("subsystem %d (%s), want Windows GUI (%d): link with -H=windowsgui", oh.Subsystem, subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}

	// MinGW's runtime DLLs (libwinpthread-1.dll, libgcc_s_seh-1.dll,
	// libstdc++-6.dll) are not on users' machines: the exe must link them
	// statically. Windows' own DLLs never start with "lib".
	// (pe.File.ImportedLibraries is unimplemented; symbols are "name:dll".)
	syms, err := f.ImportedSymbols()
	if err != nil {
		return nil, fmt.Errorf("read imports of %s: %w", path, err)
	}
	seen := map[string]bool{}
	var dlls []string
	for _, s := range syms {
		if _, dll, ok := strings.Cut(s, ":"); ok && !seen[strings.ToLower(dll)] {
			seen[strings.ToLower(dll)] = true
			dlls = append(dlls, dll)
		}
	}
	sort.Strings(dlls)
	fmt.Fprintf(w, "  imports: %s\n", strings.Join(dlls, " "))
	for _, d := range dlls {
		if strings.HasPrefix(strings.ToLower(d), "lib") {
			fail("imports %s, which Windows does not ship: link the MinGW runtime statically", d)
		}
	}

	res, err := resources(f)
	if err != nil {
		return nil, fmt.Errorf("read resources of %s: %w", path, err)
	}
	fmt.Fprintf(w, "  resources: %d icon, %d icon group, %d version, %d manifest\n",
		len(res[rtIcon]), len(res[rtGroupIcon]), len(res[rtVersion]), len(res[rtManifest]))
	for _, r := range []struct {
		typ  uint32
		name string
	}{{rtIcon, "icon image"}, {rtGroupIcon, "icon group"}, {rtVersion, "version"}, {rtManifest, "manifest"}} {
		if len(res[r.typ]) == 0 {
			fail("no %s resource (type %d): was the .syso from windres linked?", r.name, r.typ)
		}
	}
	if m := res[rtManifest]; len(m) > 0 && !strings.Contains(string(m[0]), "<assembly") {
		fail("manifest resource is not an <assembly> XML document")
	}
	if len(res[rtVersion]) == 0 {
		return problems, nil
	}
	vi, err := parseVersionInfo(res[rtVersion][0])
	if err != nil {
		fail("version resource: %v", err)
		return problems, nil
	}
	fv := fmt.Sprintf("%d,%d,%d,%d", vi.FileVersion[0], vi.FileVersion[1], vi.FileVersion[2], vi.FileVersion[3])
	fmt.Fprintf(w, "  file version %s, ProductVersion %q, FileDescription %q\n", fv, vi.Strings["ProductVersion"], vi.Strings["FileDescription"])
	if wt.fileVersion != "" && fv != wt.fileVersion {
		fail("file version %s, want %s", fv, wt.fileVersion)
	}
	for _, k := range []string{"ProductVersion", "FileVersion"} {
		if wt.version != "" && vi.Strings[k] != wt.version {
			fail("%s %q, want %q", k, vi.Strings[k], wt.version)
		}
	}
	for _, k := range []string{"ProductName", "OriginalFilename", "LegalCopyright"} {
		if vi.Strings[k] == "" {
			fail("version resource has no %s string", k)
		}
	}
	return problems, nil
}
