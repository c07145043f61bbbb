package settings

import (
	"errors"
	"fmt"
	"strings"

	"iapdesk/internal/gcename"
)

// ErrInvalidScope reports a settings level that names no valid project,
// zone or VM.
var ErrInvalidScope = errors.New("invalid settings scope")

// Scope names one saved settings level: a project, a zone or a VM.
type Scope struct {
	Source   Source // SourceProject, SourceZone or SourceInstance
	Project  string
	Zone     string // SourceZone, SourceInstance
	Instance string // SourceInstance
}

// ProjectScope is the scope of a project.
func ProjectScope(project string) Scope { return Scope{Source: SourceProject, Project: project} }

// ZoneScope is the scope of a zone of a project.
func ZoneScope(project, zone string) Scope {
	return Scope{Source: SourceZone, Project: project, Zone: zone}
}

// InstanceScope is the scope of a VM.
func InstanceScope(project, zone, instance string) Scope {
	return Scope{Source: SourceInstance, Project: project, Zone: zone, Instance: instance}
}

// key is the map key of the scope in its Tree map.
func (s Scope) key() string {
	switch s.Source {
	case SourceZone:
		return s.Project + "/" + s.Zone
	case SourceInstance:
		return s.Project + "/" + s.Zone + "/" + s.Instance
	}
	return s.Project
}

// Validate checks that s names a project, zone or VM by valid names
// (package gcename): a project ID, a zone, a VM's name. The error wraps
// ErrInvalidScope.
func (s Scope) Validate() error {
	if !gcename.IsProjectID(s.Project) {
		return fmt.Errorf("%w: project %q is not a project ID", ErrInvalidScope, s.Project)
	}
	switch s.Source {
	case SourceProject:
		return nil
	case SourceZone, SourceInstance:
		if !gcename.IsName(s.Zone) {
			return fmt.Errorf("%w: zone %q is not a zone name (e.g. us-central1-a)", ErrInvalidScope, s.Zone)
		}
		if s.Source == SourceInstance && !gcename.IsName(s.Instance) {
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

// Tree holds the saved settings levels above profiles, as
// connections.json keeps them.
type Tree struct {
	Projects  map[string]Settings `json:"projects,omitempty"`  // by project ID
	Zones     map[string]Settings `json:"zones,omitempty"`     // by "project/zone"
	Instances map[string]Settings `json:"instances,omitempty"` // by "project/zone/name"
}

func (t *Tree) level(src Source) *map[string]Settings {
	switch src {
	case SourceProject:
		return &t.Projects
	case SourceZone:
		return &t.Zones
	case SourceInstance:
		return &t.Instances
	}
	return nil
}

// Get returns the settings saved at scope (empty if none).
func (t *Tree) Get(scope Scope) Settings {
	m := t.level(scope.Source)
	if m == nil {
		return Settings{}
	}
	return (*m)[scope.key()]
}

// Set saves s at scope; empty settings remove the entry.
func (t *Tree) Set(scope Scope, s Settings) error {
	m := t.level(scope.Source)
	if m == nil {
		return fmt.Errorf("settings scope %v: want project, zone or instance", scope.Source)
	}
	if s.IsEmpty() {
		delete(*m, scope.key())
		return nil
	}
	if *m == nil {
		*m = make(map[string]Settings)
	}
	(*m)[scope.key()] = s
	return nil
}

// Layers returns the project, zone and instance levels of the VM vm (an
// InstanceScope).
func (t *Tree) Layers(vm Scope) []Layer {
	return []Layer{
		{Source: SourceProject, Settings: t.Get(ProjectScope(vm.Project))},
		{Source: SourceZone, Settings: t.Get(ZoneScope(vm.Project, vm.Zone))},
		{Source: SourceInstance, Settings: t.Get(vm)},
	}
}

// Validate checks every level: a valid key (Scope.Validate) and valid
// settings (Settings.Validate). The error names the offending level.
func (t *Tree) Validate() error {
	for _, src := range []Source{SourceProject, SourceZone, SourceInstance} {
		for key, s := range *t.level(src) {
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
