package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Export file identification.
const (
	// ExportFormat is the "format" member of an export file.
	ExportFormat = "iapdesk-profiles"
	// ExportVersion is the export format version this iapdesk writes and
	// reads.
	ExportVersion = 1
)

// Limits on an imported file, which may come from anyone.
const (
	maxImportSize     = 4 << 20
	maxImportProfiles = 10000
)

// ErrInvalidImport reports a profiles file that cannot be imported.
var ErrInvalidImport = errors.New("invalid profiles file")

// exportFile is an export file:
//
//	{
//	  "format": "iapdesk-profiles",
//	  "version": 1,
//	  "exported": "2024-05-01T10:00:00Z",
//	  "profiles": [ <profile>, … ]
//	}
//
// where <profile> is a Profile in its JSON form:
//
//	{
//	  "id": "p-3f9c0a1b2d4e",
//	  "name": "SQL prod",
//	  "target": {"project": "acme-prod", "zone": "us-central1-a", "instance": "sql-1"},
//	  "protocol": "rdp",                    // "rdp", "ssh" or "port"
//	  "remotePort": 3389,                   // optional; required for "port"
//	  "settings": {                         // optional; every member optional
//	    "displayName": "…",
//	    "rdp": {"username": "…", "domain": "…", "fullScreen": true, "width": 1920, "height": 1080,
//	            "dynamicResolution": false, "scaleToWindow": false, "colorDepth": 32, "audio": "local|remote|off",
//	            "clipboard": true, "redirectDrives": false, "certificate": "ignore|tofu|deny",
//	            "connectionBar": "autohide|pinned|off"},
//	    "ssh": {"username": "…", "keyType": "ed25519|rsa", "proxyCommand": false, "terminal": "…"},
//	    "tunnel": {"keepOpen": false, "localPort": 13389}
//	  },
//	  "created": "…", "modified": "…"       // optional, RFC 3339
//	}
//
// An on-premises target is {"project", "region", "network", "host",
// "destGroup"} instead of zone and instance. The file never contains a
// password or passphrase: those live only in the OS keyring and are not
// exported. Unknown members are an error, so a misspelt or newer member is
// reported instead of silently dropped.
type exportFile struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Exported time.Time `json:"exported,omitzero"`
	Profiles []Profile `json:"profiles"`
}

// ExportProfiles encodes profiles as an export file (see docs/saved-connections.md).
func ExportProfiles(profiles []Profile, now time.Time) ([]byte, error) {
	if profiles == nil {
		profiles = []Profile{}
	}
	b, err := json.MarshalIndent(exportFile{Format: ExportFormat, Version: ExportVersion, Exported: now.UTC(), Profiles: profiles}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode profiles: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseProfiles decodes and validates an export file. It is the parser of
// untrusted input (a file from a colleague, a download): size and count are
// bounded, unknown members are refused and every profile is validated.
// Errors wrap ErrInvalidImport and say what is wrong where.
func ParseProfiles(data []byte) ([]Profile, error) {
	fail := func(format string, args ...any) ([]Profile, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidImport, fmt.Sprintf(format, args...))
	}
	if len(data) > maxImportSize {
		return fail("the file is %d bytes, more than the %d allowed", len(data), maxImportSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f exportFile
	if err := dec.Decode(&f); err != nil {
		return fail("%v", jsonError(data, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail("unexpected data after the JSON object")
	}
	if f.Format != ExportFormat {
		return fail("format is %q, want %q: this is not an iapdesk profiles file", f.Format, ExportFormat)
	}
	if f.Version != ExportVersion {
		if f.Version > ExportVersion {
			return fail("version %d was written by a newer iapdesk; this one reads version %d", f.Version, ExportVersion)
		}
		return fail("version %d is not supported", f.Version)
	}
	if len(f.Profiles) > maxImportProfiles {
		return fail("%d profiles, more than the %d allowed", len(f.Profiles), maxImportProfiles)
	}
	for i := range f.Profiles {
		if err := f.Profiles[i].Validate(); err != nil {
			return fail("profile %d: %v", i+1, err)
		}
	}
	return f.Profiles, nil
}

// Export returns an export file of the profiles with ids, or of all
// profiles when ids is empty. Passwords are never included.
func (ps *Profiles) Export(ctx context.Context, ids ...string) ([]byte, error) {
	doc, err := ps.store.Load(ctx)
	if failed(err) {
		return nil, err
	}
	list := doc.Profiles
	if len(ids) > 0 {
		list = make([]Profile, 0, len(ids))
		for _, id := range ids {
			p, ok := doc.Profile(id)
			if !ok {
				return nil, notFound(id)
			}
			list = append(list, *p)
		}
	}
	sortProfiles(list)
	return ExportProfiles(list, ps.now())
}

// Import adds the profiles of an export file and returns them as saved:
// each gets a new ID (an import never overwrites a saved profile) and, if
// its name is taken, a number after it. Nothing is saved if any profile is
// invalid.
func (ps *Profiles) Import(ctx context.Context, data []byte) ([]Profile, error) {
	list, err := ParseProfiles(data)
	if err != nil {
		return nil, &UserError{What: "Cannot import the profiles", Why: err.Error(),
			Fix: "Choose a file exported by iapdesk (Saved connections → Export), or correct the file as docs/saved-connections.md in iapdesk's documentation describes.", Err: err}
	}
	now := ps.now().UTC()
	_, err = ps.store.Update(ctx, func(d *ConnectionsFile) error {
		names := newNameSet(d.Profiles)
		d.Profiles = slices.Grow(d.Profiles, len(list))
		for i := range list {
			p := &list[i]
			p.ID, p.Created, p.Modified = newProfileID(), now, now
			p.Name = names.unique(p.Name)
			d.Profiles = append(d.Profiles, *p)
		}
		return nil
	})
	if failed(err) {
		return nil, err
	}
	return list, err
}
