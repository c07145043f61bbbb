package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"iapdesk/app/settings"
	"iapdesk/internal/gcename"
)

// migrations[v] turns the JSON of schema v into schema v+1. Each is kept
// forever: a file from any older iapdesk migrates step by step.
var migrations = map[int]func([]byte) ([]byte, error){
	1: migrateV1,
}

// docHeader finds the schema version: schema 2 on writes "schemaVersion";
// schema 1 wrote "version".
type docHeader struct {
	SchemaVersion *int `json:"schemaVersion"`
	Version       *int `json:"version"`
}

// decodeDocument parses a saved connections file of any known schema and
// returns it migrated to SchemaVersion and validated (ConnectionsFile.Validate),
// with the file's own version. Errors other than ErrConfigTooNew mean the
// file is corrupt: it does not parse, or holds what an import would refuse.
func decodeDocument(b []byte) (ConnectionsFile, int, error) {
	var h docHeader
	if err := json.Unmarshal(b, &h); err != nil {
		return ConnectionsFile{}, 0, jsonError(b, err)
	}
	ver := 0
	switch {
	case h.SchemaVersion != nil:
		ver = *h.SchemaVersion
	case h.Version != nil && *h.Version == 1:
		ver = 1
	}
	if ver > SchemaVersion {
		return ConnectionsFile{}, ver, fmt.Errorf("%w: schema %d", ErrConfigTooNew, ver)
	}
	if ver < 1 {
		return ConnectionsFile{}, 0, errors.New("no schema version in the file")
	}
	for v := ver; v < SchemaVersion; v++ {
		var err error
		if b, err = migrations[v](b); err != nil {
			return ConnectionsFile{}, ver, fmt.Errorf("migrate from schema %d: %w", v, err)
		}
	}
	var doc ConnectionsFile
	if err := json.Unmarshal(b, &doc); err != nil {
		return ConnectionsFile{}, ver, jsonError(b, err)
	}
	doc.SchemaVersion = SchemaVersion
	if err := doc.Validate(); err != nil {
		return ConnectionsFile{}, ver, err
	}
	return doc, ver, nil
}

// jsonError adds the line number to a JSON syntax or type error.
func jsonError(b []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(b)) {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	return fmt.Errorf("not valid JSON at line %d: %w", line, err)
}

// v1Document is schema 1 (iapdesk 0.1). It kept one flat record per
// profile, and remembered the RDP username of each VM in one flat map keyed
// by the VM's resource path. That could hold neither project or zone
// defaults nor any other per-VM setting, so schema 2 replaced both with
// settings levels (project → zone → instance → profile). The migration
// moves each remembered username to its VM's level and each profile's
// flat fields into the profile's settings; the schema 1 file itself is
// kept as connections.v1.json by the first save.
type v1Document struct {
	Version      int               `json:"version"`
	Profiles     []v1Profile       `json:"profiles"`
	RDPUsernames map[string]string `json:"rdpUsernames"` // "projects/p/zones/z/instances/i" → username
}

type v1Profile struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Project    string `json:"project"`
	Zone       string `json:"zone"`
	Instance   string `json:"instance"`
	Protocol   string `json:"protocol"` // "rdp", "ssh" or "tunnel"
	Port       int    `json:"port"`
	LocalPort  int    `json:"localPort"`
	Username   string `json:"username"` // RDP or SSH user, by protocol
	Domain     string `json:"domain"`
	FullScreen bool   `json:"fullScreen"`
	KeepOpen   bool   `json:"keepOpen"`
}

func migrateV1(b []byte) ([]byte, error) {
	var v1 v1Document
	if err := json.Unmarshal(b, &v1); err != nil {
		return nil, jsonError(b, err)
	}
	doc := ConnectionsFile{SchemaVersion: 2, Profiles: []Profile{}}
	for _, p := range v1.Profiles {
		np := Profile{ID: p.ID, Name: p.Name, RemotePort: p.Port,
			Target: ProfileTarget{Project: p.Project, Zone: p.Zone, Instance: p.Instance}}
		if np.ID == "" {
			np.ID = newProfileID()
		}
		switch p.Protocol {
		case "ssh":
			np.Protocol = ProfileSSH
			if p.Username != "" {
				np.Settings.SSH.Username = settings.Some(p.Username)
			}
		case "tunnel":
			np.Protocol = ProfilePort
		default:
			np.Protocol = ProfileRDP
			if p.Username != "" {
				np.Settings.RDP.Username = settings.Some(p.Username)
			}
			if p.Domain != "" {
				np.Settings.RDP.Domain = settings.Some(p.Domain)
			}
			if p.FullScreen {
				np.Settings.RDP.FullScreen = settings.Some(true)
			}
		}
		if np.RemotePort == np.Protocol.DefaultPort() {
			np.RemotePort = 0
		}
		if p.LocalPort != 0 {
			np.Settings.Tunnel.LocalPort = settings.Some(p.LocalPort)
		}
		if p.KeepOpen {
			np.Settings.Tunnel.KeepOpen = settings.Some(true)
		}
		doc.Profiles = append(doc.Profiles, np)
	}
	for path, user := range v1.RDPUsernames {
		r, err := gcename.ParseURL(path)
		if err != nil || r.Zone == "" || r.Collection != "instances" || r.Name == "" || user == "" {
			continue // not a VM path: nothing to attach it to (the v1 file is kept)
		}
		scope := settings.InstanceScope(r.Project, r.Zone, r.Name)
		s := doc.Settings.Get(scope)
		s.RDP.Username = settings.Some(strings.TrimSpace(user))
		if err := doc.Settings.Set(scope, s); err != nil {
			return nil, err
		}
	}
	return json.Marshal(doc)
}
