package app_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"iapdesk/app"
)

// TestWindowStateStore: what the window saves comes back on the next start,
// in a file only the user can read; no file is the zero state, a damaged
// one an error, and values a hand-edited file could hold that make no
// sense are dropped.
func TestWindowStateStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := app.NewWindowStateStore(filepath.Join(dir, "config"))
	if st, err := s.Load(ctx); err != nil || !reflect.DeepEqual(st, app.WindowState{}) {
		t.Errorf("Load() without a file = %+v, %v; want the zero state", st, err)
	}
	want := app.WindowState{Width: 1300, Height: 820, Split: 0.4, TunnelsSplit: 0.7, Tab: 1,
		Filter:   app.Filter{Text: "web", OS: app.OSLinux, RunningOnly: true},
		Expanded: []app.NodeID{app.ProjectNode("acme-prod-web"), app.ZoneNode("acme-prod-web", "us-central1-a")}}
	if err := s.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Load() = %+v, %v; want %+v", got, err, want)
	}
	path := filepath.Join(dir, "config", app.WindowStateFile)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("window state file: %v, %v; want mode 0600", fi.Mode(), err)
	}

	if err := os.WriteFile(path, []byte(`{"width":-5,"height":900,"split":1.5,"tab":7,"filter":{"os":9}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load(ctx); err != nil || !reflect.DeepEqual(got, app.WindowState{}) {
		t.Errorf("Load(nonsense values) = %+v, %v; want them dropped", got, err)
	}
	if err := os.WriteFile(path, []byte(`{"width":`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx); err == nil {
		t.Error("Load(damaged file) = nil error, want one")
	}
}
