package app_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"iapdesk/app"
)

func newStore(t *testing.T) (*app.ProjectStore, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "iapdesk")
	s, err := app.NewProjectStore(app.ProjectStoreConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func TestProjectStore(t *testing.T) {
	ctx := context.Background()
	s, dir := newStore(t)
	if got, err := s.Projects(ctx); err != nil || got != nil {
		t.Fatalf("Projects() before any write = %v, %v; want none", got, err)
	}
	if err := s.Add(ctx, app.ProjectInfo{ID: "beta-project"}, app.ProjectInfo{ID: "alpha-project", Name: "Alpha"}); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if err := s.Add(ctx, app.ProjectInfo{ID: "beta-project", Name: "Beta"}, app.ProjectInfo{ID: "gamma-project"}); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if err := s.Remove(ctx, "gamma-project", "never-added"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	// A second store on the same directory sees the same set: the file is the state.
	s2, err := app.NewProjectStore(app.ProjectStoreConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Projects(ctx)
	want := []app.ProjectInfo{{ID: "beta-project", Name: "Beta"}, {ID: "alpha-project", Name: "Alpha"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Projects() = %v, %v; want %v (insertion order, names updated)", got, err, want)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("projects file mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// The lock file stays by design (see atomicfile.Lock); temp files must not.
	if want := []string{"projects.json", "projects.json.lock"}; !slices.Equal(names, want) {
		t.Errorf("config dir holds %v, want %v (no temp files left)", names, want)
	}
}

func TestProjectStoreInvalidID(t *testing.T) {
	s, _ := newStore(t)
	for _, id := range []string{"", "My Project", "1project", "ab", "project-", "UPPER-case", "a-very-long-project-id-that-is-way-too-long"} {
		err := s.Add(context.Background(), app.ProjectInfo{ID: id})
		var ue *app.UserError
		if !errors.Is(err, app.ErrInvalidProjectID) || !errors.As(err, &ue) || ue.Fix == "" {
			t.Errorf("Add(%q) = %v, want a UserError wrapping ErrInvalidProjectID", id, err)
		}
	}
	for _, id := range []string{"my-project-123", "example.com:legacy-proj", "abcdef"} {
		if err := app.ValidateProjectID(id); err != nil {
			t.Errorf("ValidateProjectID(%q) = %v, want nil", id, err)
		}
	}
}

func TestProjectStoreCorrupt(t *testing.T) {
	s, dir := newStore(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.Projects(context.Background())
	var ue *app.UserError
	if !errors.As(err, &ue) || !strings.Contains(ue.Why, s.Path()) {
		t.Errorf("Projects() on a corrupt file = %v, want a UserError naming the file", err)
	}
	// A write does not silently replace a file it cannot read.
	if err := s.Add(context.Background(), app.ProjectInfo{ID: "new-project"}); err == nil {
		t.Errorf("Add over a corrupt file succeeded, want the read error")
	}
	if b, _ := os.ReadFile(s.Path()); string(b) != "{not json" {
		t.Errorf("corrupt file was overwritten: %q", b)
	}
}

func TestProjectStoreConcurrentAdds(t *testing.T) {
	s, _ := newStore(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := s.Add(context.Background(), app.ProjectInfo{ID: "project-" + string(rune('a'+i)) + "-x"}); err != nil {
				t.Errorf("Add: %v", err)
			}
		})
	}
	wg.Wait()
	got, err := s.Projects(context.Background())
	if err != nil || len(got) != 8 {
		t.Errorf("after 8 concurrent adds Projects() = %v, %v; want 8 projects (no lost update)", got, err)
	}
}

func TestProjectStoreCanceled(t *testing.T) {
	s, _ := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Add(ctx, app.ProjectInfo{ID: "my-project"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Add with a canceled ctx = %v, want context.Canceled", err)
	}
}
