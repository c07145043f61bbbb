package app

import (
	"fmt"
)

// Validate checks a document as saved: every profile passes
// Profile.Validate (the check import applies to each imported profile) and
// has a unique ID, and every settings level has a valid key (Scope.Validate)
// and valid settings (Settings.Validate). ConfigStore applies it to every
// file it reads, so a hand-edited or hostile connections.json is held to
// the same rules as an import; the error names the offending entry.
func (d *ConnectionsFile) Validate() error {
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
	if err := d.Settings.Validate(); err != nil {
		return err
	}
	return nil
}
