package app_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"iapdesk/app"
)

// TestTrayPrefs: the close choice is asked once, then kept (0600); a
// damaged file asks again.
func TestTrayPrefs(t *testing.T) {
	dir := t.TempDir()
	p := app.NewTrayPrefs(dir)
	ctx := context.Background()
	if c, err := p.Load(ctx); err != nil || c != app.CloseAsk {
		t.Fatalf("Load() before a choice = %q, %v; want CloseAsk", c, err)
	}
	for _, c := range []app.CloseChoice{app.CloseToTray, app.CloseQuits} {
		if err := p.Save(ctx, c); err != nil {
			t.Fatal(err)
		}
		if got, err := p.Load(ctx); err != nil || got != c {
			t.Errorf("Load() after Save(%q) = %q, %v", c, got, err)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, app.TrayPrefsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, %v; want mode 0600", app.TrayPrefsFile, fi.Mode(), err)
	}
	if err := os.WriteFile(filepath.Join(dir, app.TrayPrefsFile), []byte(`{"close":"explode"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := p.Load(ctx); err == nil || c != app.CloseAsk {
		t.Errorf("Load() of a damaged file = %q, %v; want CloseAsk and an error", c, err)
	}
}
