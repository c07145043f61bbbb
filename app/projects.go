package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"iapdesk/internal/gcename"
	"iapdesk/platform/atomicfile"
)

// ErrInvalidProjectID reports a string that cannot be a project ID.
var ErrInvalidProjectID = errors.New("invalid project ID")

// ValidateProjectID checks a project ID typed by the user. The error is a
// *UserError wrapping ErrInvalidProjectID.
func ValidateProjectID(id string) error {
	if gcename.IsProjectID(id) {
		return nil
	}
	return &UserError{
		What: fmt.Sprintf("%q is not a project ID", id),
		Why:  "a project ID has 6 to 30 lower-case letters, digits or hyphens, starts with a letter and does not end with a hyphen",
		Fix:  "Enter the project ID (e.g. my-project-123), not its display name or number, or pick the project from the list.",
		Err:  ErrInvalidProjectID,
	}
}

// ProjectStoreConfig configures a ProjectStore.
type ProjectStoreConfig struct {
	// Dir is iapdesk's configuration directory; the set is kept in
	// Dir/projects.json. Created (0700) on first write.
	Dir string
}

// ProjectStore remembers the projects the user added to the explorer, in
// the order added. The file is the only state, so several stores (or
// processes) on the same file see each other's changes.
type ProjectStore struct {
	path string
	// writing serialises read-modify-write cycles of the file; it is a
	// channel, not a mutex, so a waiting writer honours its ctx and no
	// mutex is held across file I/O.
	writing chan struct{}
}

// projectsFile is the on-disk format.
type projectsFile struct {
	Version  int           `json:"version"`
	Projects []ProjectInfo `json:"projects"`
}

// NewProjectStore returns a store for cfg.Dir. It does no I/O.
func NewProjectStore(cfg ProjectStoreConfig) (*ProjectStore, error) {
	if cfg.Dir == "" {
		return nil, errors.New("new project store: Dir is required")
	}
	return &ProjectStore{path: filepath.Join(cfg.Dir, "projects.json"), writing: make(chan struct{}, 1)}, nil
}

// Path is the file the store uses.
func (s *ProjectStore) Path() string { return s.path }

// Projects returns the remembered projects; none if the file does not
// exist yet.
func (s *ProjectStore) Projects(ctx context.Context) ([]ProjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read projects file: %w", err)
	}
	var f projectsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, &UserError{
			What: "Cannot read the list of projects",
			Why:  fmt.Sprintf("%s is not valid JSON: %v", s.path, err),
			Fix:  "Fix the file by hand, or delete it and add the projects again.",
			Err:  err,
		}
	}
	return f.Projects, nil
}

// Add remembers projects (appended in order; a known ID keeps its place
// and takes the new display name if one is given). IDs are validated.
func (s *ProjectStore) Add(ctx context.Context, projects ...ProjectInfo) error {
	for _, p := range projects {
		if err := ValidateProjectID(p.ID); err != nil {
			return err
		}
	}
	return s.update(ctx, func(cur []ProjectInfo) []ProjectInfo {
		for _, p := range projects {
			i := slices.IndexFunc(cur, func(q ProjectInfo) bool { return q.ID == p.ID })
			switch {
			case i < 0:
				cur = append(cur, p)
			case p.Name != "":
				cur[i].Name = p.Name
			}
		}
		return cur
	})
}

// Remove forgets projects by ID; unknown IDs are ignored.
func (s *ProjectStore) Remove(ctx context.Context, ids ...string) error {
	return s.update(ctx, func(cur []ProjectInfo) []ProjectInfo {
		return slices.DeleteFunc(cur, func(p ProjectInfo) bool { return slices.Contains(ids, p.ID) })
	})
}

func (s *ProjectStore) update(ctx context.Context, change func([]ProjectInfo) []ProjectInfo) error {
	select {
	case s.writing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writing }()
	// Another iapdesk process may save at the same time: read-modify-write
	// under an OS file lock, so neither loses the other's change.
	unlock, err := atomicfile.Lock(ctx, s.path+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := s.Projects(ctx)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(projectsFile{Version: 1, Projects: change(cur)}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode projects: %w", err)
	}
	return writeFileAtomic(s.path, append(b, '\n'))
}

// ProjectSearch is one search result page for the "add project" picker.
type ProjectSearch struct {
	Projects []ProjectInfo // ACTIVE projects, sorted as the API returns them (by ID)
	// Truncated reports that more projects match than were returned; the
	// picker should ask the user to type more.
	Truncated bool
}

// ProjectSearcher finds projects the user can see; *gce.ResourceManager
// implements it.
type ProjectSearcher interface {
	SearchProjects(ctx context.Context, query string, max int) (ProjectSearch, error)
}
