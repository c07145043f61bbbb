package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"iapdesk/app/settings"
)

// ProfilesConfig configures Profiles.
type ProfilesConfig struct {
	Store *ConfigStore // required
	// Credentials holds the profiles' passwords; nil: passwords are
	// neither deleted with a profile nor copied by Duplicate.
	Credentials *Credentials
	// Now stamps Created and Modified; nil means time.Now.
	Now func() time.Time
}

// Profiles is the "Saved connections" use case: list, add, edit,
// duplicate, delete, import and export profiles, and edit the project,
// zone and instance settings levels. Every change is one ConfigStore
// Update, so two windows or processes never lose each other's changes.
//
// An error wrapping ErrConfigCorrupt from a method that changes something
// means the change WAS saved, after a damaged file was moved aside: show
// the *UserError so the user learns where it went. Any other error means
// nothing was saved.
type Profiles struct {
	store *ConfigStore
	creds *Credentials
	now   func() time.Time
}

// NewProfiles returns the use case.
func NewProfiles(cfg ProfilesConfig) (*Profiles, error) {
	if cfg.Store == nil {
		return nil, errors.New("new profiles: Store is nil")
	}
	p := &Profiles{store: cfg.Store, creds: cfg.Credentials, now: cfg.Now}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// List returns the profiles sorted by name (case-insensitively), then ID.
// On ErrConfigCorrupt the list is the recovered one; see ConfigStore.Load.
func (ps *Profiles) List(ctx context.Context) ([]Profile, error) {
	doc, err := ps.store.Load(ctx)
	sortProfiles(doc.Profiles)
	return doc.Profiles, err
}

func sortProfiles(list []Profile) {
	slices.SortStableFunc(list, func(a, b Profile) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.ID, b.ID))
	})
}

// Get returns the profile with id, or an error wrapping ErrProfileNotFound.
func (ps *Profiles) Get(ctx context.Context, id string) (Profile, error) {
	doc, err := ps.store.Load(ctx)
	if err != nil && !errors.Is(err, ErrConfigCorrupt) {
		return Profile{}, err
	}
	p, ok := doc.Profile(id)
	if !ok {
		return Profile{}, notFound(id)
	}
	return *p, nil
}

func notFound(id string) error {
	return &UserError{What: "The saved connection no longer exists",
		Why: fmt.Sprintf("no profile has ID %s; it may have been deleted in another window", id),
		Fix: "Refresh the list of saved connections.", Err: ErrProfileNotFound}
}

// Add validates p, gives it a new ID and timestamps, saves it and returns
// it.
func (ps *Profiles) Add(ctx context.Context, p Profile) (Profile, error) {
	now := ps.now().UTC()
	p.ID, p.Created, p.Modified = newProfileID(), now, now
	if err := p.Validate(); err != nil {
		return Profile{}, invalidProfile(err)
	}
	_, err := ps.store.Update(ctx, func(d *ConnectionsFile) error {
		d.Profiles = append(d.Profiles, p)
		return nil
	})
	if failed(err) {
		return Profile{}, err
	}
	return p, err
}

// Update replaces the saved profile with p.ID by p.
func (ps *Profiles) Update(ctx context.Context, p Profile) error {
	if err := p.Validate(); err != nil {
		return invalidProfile(err)
	}
	p.Modified = ps.now().UTC()
	_, err := ps.store.Update(ctx, func(d *ConnectionsFile) error {
		cur, ok := d.Profile(p.ID)
		if !ok {
			return notFound(p.ID)
		}
		p.Created = cur.Created
		*cur = p
		return nil
	})
	return err
}

// Duplicate saves a copy of the profile with id, named "<name> (copy)",
// with a copy of its saved password, and returns it.
func (ps *Profiles) Duplicate(ctx context.Context, id string) (Profile, error) {
	var dup Profile
	_, err := ps.store.Update(ctx, func(d *ConnectionsFile) error {
		src, ok := d.Profile(id)
		if !ok {
			return notFound(id)
		}
		now := ps.now().UTC()
		dup = *src
		dup.ID, dup.Created, dup.Modified = newProfileID(), now, now
		dup.Name = uniqueName(d.Profiles, truncate(src.Name, maxProfileName-12)+" (copy)")
		d.Profiles = append(d.Profiles, dup)
		return nil
	})
	if failed(err) {
		return Profile{}, err
	}
	if ps.creds != nil {
		if err := ps.creds.copySecret(ctx, ProfileSecret(id), ProfileSecret(dup.ID)); err != nil {
			return dup, err
		}
	}
	return dup, err
}

// Delete removes the profile with id and its saved password.
func (ps *Profiles) Delete(ctx context.Context, id string) error {
	_, err := ps.store.Update(ctx, func(d *ConnectionsFile) error {
		i := slices.IndexFunc(d.Profiles, func(p Profile) bool { return p.ID == id })
		if i < 0 {
			return notFound(id)
		}
		d.Profiles = slices.Delete(d.Profiles, i, i+1)
		return nil
	})
	if failed(err) {
		return err
	}
	if ps.creds != nil {
		if derr := ps.creds.Delete(ctx, ProfileSecret(id)); derr != nil {
			return derr
		}
	}
	return err
}

// Layers returns the settings levels of a connection to ref: project,
// zone, instance and, when profileID is not empty, the profile. Pass them
// to settings.Resolve, or to settings.Rows for a dialog.
func (ps *Profiles) Layers(ctx context.Context, ref InstanceRef, profileID string) ([]settings.Layer, error) {
	doc, err := ps.store.Load(ctx)
	if err != nil && !errors.Is(err, ErrConfigCorrupt) {
		return nil, err
	}
	layers := doc.Settings.Layers(ref.Scope())
	if profileID != "" {
		p, ok := doc.Profile(profileID)
		if !ok {
			return nil, notFound(profileID)
		}
		layers = append(layers, settings.Layer{Source: settings.SourceProfile, Settings: p.Settings})
	}
	return layers, nil
}

// SaveSettings saves the settings of one project, zone or VM level. Fields
// left unset inherit; empty settings remove the level.
func (ps *Profiles) SaveSettings(ctx context.Context, scope settings.Scope, s settings.Settings) error {
	if err := scope.Validate(); err != nil {
		return &UserError{What: "Cannot save the settings", Why: err.Error(), Fix: "Pick the project, zone or VM from the explorer.", Err: err}
	}
	if err := s.Validate(); err != nil {
		return &UserError{What: "Cannot save the settings", Why: err.Error(), Fix: "Correct the value and save again.", Err: err}
	}
	_, err := ps.store.Update(ctx, func(d *ConnectionsFile) error { return d.Settings.Set(scope, s) })
	return err
}

// SaveWindowsCredentials remembers generated Windows credentials: the
// username in the settings of the profile (profileID) or else of the VM,
// and the password in the keyring under the same level.
func (ps *Profiles) SaveWindowsCredentials(ctx context.Context, profileID string, wc WindowsCredentials) error {
	if ps.creds == nil {
		return errors.New("save windows credentials: Profiles has no Credentials")
	}
	key := InstanceSecret(wc.Instance)
	_, err := ps.store.Update(ctx, func(d *ConnectionsFile) error {
		if profileID != "" {
			p, ok := d.Profile(profileID)
			if !ok {
				return notFound(profileID)
			}
			p.Settings.RDP.Username = settings.Some(wc.Username)
			p.Modified = ps.now().UTC()
			key = ProfileSecret(profileID)
			return nil
		}
		scope := wc.Instance.Scope()
		s := d.Settings.Get(scope)
		s.RDP.Username = settings.Some(wc.Username)
		return d.Settings.Set(scope, s)
	})
	if failed(err) {
		return err
	}
	if perr := ps.creds.SetRDPPassword(ctx, key, wc.Password); perr != nil {
		return perr
	}
	return err
}

// SaveRDPCredentials remembers credentials the user typed for an RDP
// connection: the password in the keyring under the profile (profileID) or
// else the VM ref, and the user name and domain, where they differ from
// what the settings gave (was), in the settings of that same level.
func (ps *Profiles) SaveRDPCredentials(ctx context.Context, profileID string, ref InstanceRef, was, typed RDPParams) error {
	if ps.creds == nil {
		return errors.New("save rdp credentials: Profiles has no Credentials")
	}
	key := InstanceSecret(ref)
	if profileID != "" {
		key = ProfileSecret(profileID)
	}
	var err error
	if typed.Username != was.Username || typed.Domain != was.Domain {
		set := func(s *settings.Settings) {
			s.RDP.Username = settings.Some(typed.Username)
			if typed.Domain != was.Domain {
				s.RDP.Domain = settings.Some(typed.Domain)
			}
		}
		_, err = ps.store.Update(ctx, func(d *ConnectionsFile) error {
			if profileID != "" {
				p, ok := d.Profile(profileID)
				if !ok {
					return notFound(profileID)
				}
				set(&p.Settings)
				p.Modified = ps.now().UTC()
				return nil
			}
			s := d.Settings.Get(ref.Scope())
			set(&s)
			return d.Settings.Set(ref.Scope(), s)
		})
		if failed(err) {
			return err
		}
	}
	if perr := ps.creds.SetRDPPassword(ctx, key, typed.Password); perr != nil {
		return perr
	}
	return err
}

// failed reports whether an Update error means nothing was saved: any
// error but the ErrConfigCorrupt notice of a recovered file.
func failed(err error) bool { return err != nil && !errors.Is(err, ErrConfigCorrupt) }

func invalidProfile(err error) error {
	return &UserError{What: "Cannot save the connection", Why: err.Error(),
		Fix: "Correct the field and save again.", Err: err}
}

// uniqueName returns name, or name followed by " 2", " 3", … if a profile
// already has it. For many names at once use a nameSet: this builds one.
func uniqueName(list []Profile, name string) string {
	return newNameSet(list).unique(name)
}

// nameSet hands out profile names no profile has yet, compared
// case-insensitively. An import of n profiles that share a name costs O(n)
// overall: each base name remembers the next suffix to try, so no suffix
// is tried twice.
type nameSet struct {
	taken map[string]bool // foldName of every name in use
	next  map[string]int  // foldName of a base → the next suffix to try
}

func newNameSet(list []Profile) *nameSet {
	s := &nameSet{taken: make(map[string]bool, len(list)), next: make(map[string]int)}
	for i := range list {
		s.taken[foldName(list[i].Name)] = true
	}
	return s
}

// unique returns name, or name with the lowest free suffix " N" (N ≥ 2),
// and marks the result as taken.
func (s *nameSet) unique(name string) string {
	if k := foldName(name); !s.taken[k] {
		s.taken[k] = true
		return name
	}
	base := truncate(name, maxProfileName-8)
	bk := foldName(base)
	i := max(s.next[bk], 2)
	for ; ; i++ {
		n := fmt.Sprintf("%s %d", base, i)
		if k := foldName(n); !s.taken[k] {
			s.taken[k] = true
			s.next[bk] = i + 1
			return n
		}
	}
}

// foldName maps names that strings.EqualFold considers equal to one key:
// each rune becomes the smallest rune of its case-folding orbit.
func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, s)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
