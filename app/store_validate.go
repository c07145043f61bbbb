package app

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidScope reports a settings level that names no valid project,
// zone or VM.
var ErrInvalidScope = errors.New("invalid settings scope")

// Validate checks a document as saved: every profile passes
// Profile.Validate (the check import applies to each imported profile) and
// has a unique ID, and every settings level has a valid key (Scope.Validate)
// and valid settings (Settings.Validate). ConfigStore applies it to every
// file it reads, so a hand-edited or hostile connections.json is held to
// the same rules as an import; the error names the offending entry.
func (d *Document) Validate() error {
	ids := make(map[string]int, len(d.Profiles))
	for i := range d.Profiles {
		p := &d.Profiles[i]
		if p.ID == "" {
			return fmt.Errorf("profile %d (%q): %w: no id", i+1, p.Name, ErrInvalidProfile)
		}
		if j, dup := ids[p.ID]; dup {
			return fmt.Errorf("profiles %d and %d: %w: both have id %q", j+1, i+1, ErrInvalidProfile, p.ID)
		}
		ids[p.ID] = i
		if err := p.Validate(); err != nil {
			return fmt.Errorf("profile %d: %w", i+1, err)
		}
	}
	for _, src := range []Source{SourceProject, SourceZone, SourceInstance} {
		for key, s := range *d.Settings.level(src) {
			scope, err := parseScopeKey(src, key)
			if err == nil {
				err = scope.Validate()
			}
			if err == nil {
				err = s.Validate()
			}
			if err != nil {
				return fmt.Errorf("%s settings %q: %w", strings.ToLower(src.String()), key, err)
			}
		}
	}
	return nil
}

// Validate checks that s names a project, zone or VM by valid IDs: a
// project ID, and zone and VM names of lower-case letters, digits and
// hyphens. The error wraps ErrInvalidScope.
func (s Scope) Validate() error {
	if !projectIDRE.MatchString(s.Project) {
		return fmt.Errorf("%w: project %q is not a project ID", ErrInvalidScope, s.Project)
	}
	switch s.Source {
	case SourceProject:
		return nil
	case SourceZone, SourceInstance:
		if !resourceNameRE.MatchString(s.Zone) {
			return fmt.Errorf("%w: zone %q is not a zone name (e.g. us-central1-a)", ErrInvalidScope, s.Zone)
		}
		if s.Source == SourceInstance && !resourceNameRE.MatchString(s.Instance) {
			return fmt.Errorf("%w: instance %q is not a VM name", ErrInvalidScope, s.Instance)
		}
		return nil
	}
	return fmt.Errorf("%w: level %v: want project, zone or instance", ErrInvalidScope, s.Source)
}

// parseScopeKey is the inverse of Scope.key for a key of level src.
func parseScopeKey(src Source, key string) (Scope, error) {
	parts := strings.Split(key, "/")
	want := map[Source]int{SourceProject: 1, SourceZone: 2, SourceInstance: 3}[src]
	if len(parts) != want {
		return Scope{}, fmt.Errorf("%w: want %d parts separated by /, got %d", ErrInvalidScope, want, len(parts))
	}
	s := Scope{Source: src, Project: parts[0]}
	if want > 1 {
		s.Zone = parts[1]
	}
	if want > 2 {
		s.Instance = parts[2]
	}
	return s, nil
}
