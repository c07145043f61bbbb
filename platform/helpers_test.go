package platform

import (
	"errors"
	"io/fs"
	"log/slog"
	"os/exec"
	"slices"
	"testing"
)

// fakeSystem describes the programs, app bundles and symlinks a test
// launcher sees.
type fakeSystem struct {
	programs map[string]string // name → path
	apps     []string          // existing macOS .app paths
	links    map[string]string // path → resolved path
	env      []string
}

// newFakeLauncher returns a Launcher that sees only sys.
func newFakeLauncher(t *testing.T, sys fakeSystem, cfg Config) *Launcher {
	t.Helper()
	cfg.LookPath = func(name string) (string, error) {
		if p, ok := sys.programs[name]; ok {
			return p, nil
		}
		return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
	}
	cfg.Env = append(cfg.Env, sys.env...)
	if cfg.ConfigDir == "" {
		cfg.ConfigDir = "/home/u/.config/iapdesk"
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	l, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	l.stat = func(p string) error {
		if slices.Contains(sys.apps, p) {
			return nil
		}
		return fs.ErrNotExist
	}
	l.evalSymlinks = func(p string) (string, error) {
		if r, ok := sys.links[p]; ok {
			return r, nil
		}
		return p, nil
	}
	return l
}

// wantNotFound checks that err is a *NotFoundError for program.
func wantNotFound(t *testing.T, err error, program, pkg string) {
	t.Helper()
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("error = %v, want *NotFoundError", err)
	}
	if nf.Program != program || nf.Package != pkg {
		t.Errorf("NotFoundError = %+v, want Program %q Package %q", nf, program, pkg)
	}
	if !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("errors.Is(%v, exec.ErrNotFound) = false", err)
	}
}
