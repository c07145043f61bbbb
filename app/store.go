package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	"iapdesk/app/settings"
	"iapdesk/platform/atomicfile"
)

// Sentinel errors of the config store.
var (
	// ErrConfigCorrupt reports that the saved connections file could not be
	// read and was moved aside. The error is a *UserError that says where
	// it went; the ConnectionsFile returned with it is usable (restored from the
	// backup, or empty).
	ErrConfigCorrupt = errors.New("saved connections file is corrupt")
	// ErrConfigTooNew reports a file written by a newer iapdesk, with a
	// schema this version does not know. It is left alone and not written.
	ErrConfigTooNew = errors.New("saved connections file is from a newer iapdesk")
)

// EnvConfigDir overrides the configuration directory, as for auth.
const EnvConfigDir = "IAPDESK_CONFIG_DIR"

// ConfigFileName is the saved connections file in the config directory.
const ConfigFileName = "connections.json"

// SchemaVersion is the version of ConnectionsFile this iapdesk writes.
const SchemaVersion = 2

// ConnectionsFile is the saved state: profiles and the project, zone and instance
// settings levels. It is versioned (SchemaVersion) and migrated from older
// versions when read. The format is documented in docs/saved-connections.md.
type ConnectionsFile struct {
	SchemaVersion int `json:"schemaVersion"`
	// Revision counts saves; a view that loaded revision N and sees a
	// larger one knows another window or process changed the file.
	Revision uint64        `json:"revision"`
	Profiles []Profile     `json:"profiles"`
	Settings settings.Tree `json:"settings,omitzero"`
}

// Profile returns the profile with id.
func (d *ConnectionsFile) Profile(id string) (*Profile, bool) {
	for i := range d.Profiles {
		if d.Profiles[i].ID == id {
			return &d.Profiles[i], true
		}
	}
	return nil, false
}

// ConfigStoreConfig configures a ConfigStore.
type ConfigStoreConfig struct {
	// Dir is the configuration directory. Empty: $IAPDESK_CONFIG_DIR, then
	// os.UserConfigDir()/iapdesk. Created 0700 on first write.
	Dir string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now names moved-aside files; nil means time.Now.
	Now func() time.Time
}

// DefaultConfigDir is $IAPDESK_CONFIG_DIR, else os.UserConfigDir()/iapdesk.
func DefaultConfigDir() (string, error) {
	if d := os.Getenv(EnvConfigDir); d != "" {
		return d, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config directory: %w", err)
	}
	return filepath.Join(d, "iapdesk"), nil
}

// ConfigStore keeps the ConnectionsFile in Dir/connections.json.
//
// Every read-modify-write cycle (Update) holds an OS file lock on
// Dir/connections.lock (atomicfile.Lock: flock / LockFileEx) from the read
// to the rename, so two iapdesk processes saving at once never lose an
// update: the second reads what the first wrote. A lock rather than a
// compare-and-swap on Revision, because a rename cannot be made conditional
// on the file's content without one, and the OS drops the lock when a
// process dies, so no stale lock can block the user.
//
// Writes are atomic (a 0600 temp file, fsync, rename, fsync of the
// directory) and keep the previous version as connections.json.bak. A file
// that cannot be parsed is moved aside (connections.json.corrupt-<time>),
// the backup is used if it parses, and the user is told (ErrConfigCorrupt).
type ConfigStore struct {
	dir  string
	path string
	log  *slog.Logger
	now  func() time.Time
	// cycle serialises this process's locked cycles; a channel so a waiter
	// honours its ctx. The file lock excludes other processes.
	cycle chan struct{}
}

// NewConfigStore returns a store; it does no I/O.
func NewConfigStore(cfg ConfigStoreConfig) (*ConfigStore, error) {
	dir := cfg.Dir
	if dir == "" {
		var err error
		if dir, err = DefaultConfigDir(); err != nil {
			return nil, err
		}
	}
	s := &ConfigStore{dir: dir, path: filepath.Join(dir, ConfigFileName), log: cfg.Logger, now: cfg.Now,
		cycle: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Dir is the configuration directory.
func (s *ConfigStore) Dir() string { return s.dir }

// Path is the saved connections file.
func (s *ConfigStore) Path() string { return s.path }

// Load reads the document; a missing file is an empty document. On
// ErrConfigCorrupt the returned ConnectionsFile is still usable (see
// ConfigStore); on other errors it is empty.
func (s *ConfigStore) Load(ctx context.Context) (ConnectionsFile, error) {
	var doc ConnectionsFile
	var notice error
	err := s.locked(ctx, func() error {
		st, err := s.read()
		doc, notice = st.doc, st.notice
		return err
	})
	if err != nil {
		return ConnectionsFile{SchemaVersion: SchemaVersion}, err
	}
	return doc, notice
}

// Update reads the document, calls change on it and, if change returns
// nil and the result passes ConnectionsFile.Validate, saves it with Revision
// incremented, all under the file lock. It returns the saved document. An
// error from change is returned as is and nothing is saved. A corrupt file is recovered as for Load before change
// runs: the update is saved and the *UserError wrapping ErrConfigCorrupt is
// returned with the saved document, so the user learns what was moved
// aside.
func (s *ConfigStore) Update(ctx context.Context, change func(*ConnectionsFile) error) (ConnectionsFile, error) {
	var doc ConnectionsFile
	var notice error
	err := s.locked(ctx, func() error {
		st, err := s.read()
		if err != nil {
			return err
		}
		notice = st.notice
		doc = st.doc
		if err := change(&doc); err != nil {
			return err
		}
		doc.SchemaVersion = SchemaVersion
		doc.Revision = nextRevision(st.doc.Revision)
		if err := doc.Validate(); err != nil {
			// Saving it would make the next Load treat the file as corrupt.
			return &UserError{What: "Cannot save the connections", Why: err.Error(),
				Fix: "Correct the value and save again.", Err: err}
		}
		return s.write(doc, st)
	})
	if err != nil {
		return ConnectionsFile{}, err
	}
	return doc, notice
}

// nextRevision is the revision after r. It saturates instead of wrapping
// to 0: a view compares revisions to notice changes, and a wrapped counter
// would look older than the one it loaded. Only a hand-edited file gets
// near the limit.
func nextRevision(r uint64) uint64 {
	if r == math.MaxUint64 {
		return r
	}
	return r + 1
}

// locked runs fn holding this process's cycle and the file lock.
func (s *ConfigStore) locked(ctx context.Context, fn func() error) error {
	select {
	case s.cycle <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.cycle }()
	unlock, err := atomicfile.Lock(ctx, filepath.Join(s.dir, "connections.lock"))
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return &UserError{What: "Cannot open the saved connections",
			Why: fmt.Sprintf("the lock file in %s cannot be created or locked", s.dir),
			Fix: "Check that the directory exists and is writable by you.", Err: err}
	}
	defer func() {
		if err := unlock(); err != nil {
			s.log.Warn("release config lock", slog.Any("error", err))
		}
	}()
	return fn()
}

// readState is what read found.
type readState struct {
	doc     ConnectionsFile
	raw     []byte // the file's bytes when they parsed as the current schema; kept as .bak on the next write
	fromVer int    // schema version of the file; 0 if there was none
	notice  error  // *UserError (ErrConfigCorrupt) when the file was moved aside
}

// read reads and migrates the file. The caller holds the lock.
func (s *ConfigStore) read() (readState, error) {
	empty := ConnectionsFile{SchemaVersion: SchemaVersion}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return readState{doc: empty}, nil
	}
	if err != nil {
		return readState{}, &UserError{What: "Cannot read the saved connections", Why: err.Error(),
			Fix: fmt.Sprintf("Check the permissions of %s.", s.path), Err: err}
	}
	doc, ver, err := decodeDocument(b)
	switch {
	case err == nil:
		st := readState{doc: doc, fromVer: ver}
		if ver == SchemaVersion {
			st.raw = b
		}
		return st, nil
	case errors.Is(err, ErrConfigTooNew):
		return readState{}, &UserError{What: "Cannot use the saved connections",
			Why: fmt.Sprintf("%s was written by a newer iapdesk (schema %d; this one knows up to %d)", s.path, ver, SchemaVersion),
			Fix: "Update iapdesk. The file was left unchanged.", Err: err}
	}
	return s.recover(err)
}

// recover moves a corrupt file aside and falls back to the backup, or to
// an empty document.
func (s *ConfigStore) recover(cause error) (readState, error) {
	aside := fmt.Sprintf("%s.corrupt-%s", s.path, s.now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(s.path, aside); err != nil {
		return readState{}, &UserError{What: "Cannot read the saved connections",
			Why: fmt.Sprintf("%s is corrupt (%v) and could not be moved aside", s.path, cause),
			Fix: "Move or delete the file by hand, then restart iapdesk.", Err: errors.Join(cause, err)}
	}
	ue := &UserError{What: "The saved connections file was damaged",
		Why: fmt.Sprintf("it could not be read (%v); it was moved to %s", cause, aside),
		Err: fmt.Errorf("%w: %w", ErrConfigCorrupt, cause)}
	if b, err := os.ReadFile(s.path + ".bak"); err == nil {
		if doc, ver, err := decodeDocument(b); err == nil && writeFileAtomic(s.path, b) == nil {
			ue.Fix = fmt.Sprintf("The previous version (revision %d) was restored from the backup; changes made after it may be missing. Your keyring passwords and SSH keys are untouched.", doc.Revision)
			return readState{doc: doc, fromVer: ver, notice: ue}, nil
		}
	}
	ue.Fix = "Saved connections and settings start empty; restore the moved file from a backup or fix it by hand and move it back. Your keyring passwords and SSH keys are untouched."
	return readState{doc: ConnectionsFile{SchemaVersion: SchemaVersion}, notice: ue}, nil
}

// write saves doc. The previous file's bytes go to .bak first, and a file
// of an older schema is also kept as connections.v<N>.json, so downgrading
// iapdesk loses nothing; members of the previous file this iapdesk does not
// know are carried over (keepUnknown). The caller holds the lock.
func (s *ConfigStore) write(doc ConnectionsFile, prev readState) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode saved connections: %w", err)
	}
	if prev.raw != nil {
		if b, _, err = keepUnknown(prev.raw, b); err != nil {
			return fmt.Errorf("encode saved connections: %w", err)
		}
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return fmt.Errorf("encode saved connections: %w", err)
	}
	b = append(out.Bytes(), '\n')
	if prev.raw != nil {
		if err := writeFileAtomic(s.path+".bak", prev.raw); err != nil {
			return saveError(s.path, err)
		}
	}
	if prev.fromVer != 0 && prev.fromVer < SchemaVersion {
		old := filepath.Join(s.dir, fmt.Sprintf("connections.v%d.json", prev.fromVer))
		if _, err := os.Stat(old); errors.Is(err, fs.ErrNotExist) {
			if err := copyFileAtomic(s.path, old); err != nil {
				return saveError(s.path, err)
			}
		}
	}
	if err := writeFileAtomic(s.path, b); err != nil {
		return saveError(s.path, err)
	}
	return nil
}

func saveError(path string, err error) error {
	return &UserError{What: "Cannot save the connections", Why: err.Error(),
		Fix: fmt.Sprintf("Check free disk space and the permissions of %s, then retry.", filepath.Dir(path)), Err: err}
}
