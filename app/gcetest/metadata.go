package gcetest

import (
	"fmt"
	"net/http"
	"regexp"

	compute "google.golang.org/api/compute/v1"
)

// Metadata limits of the real API.
const (
	maxMetadataValue = 256 << 10
	maxMetadataTotal = 512 << 10
)

var metadataKeyRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)

// checkMetadataBody validates a setMetadata body against the current
// metadata: the fingerprint must match (else 412) and keys and sizes must
// be within the API's limits (else 400).
func checkMetadataBody(cur, body *compute.Metadata) *apiError {
	if body.Fingerprint != cur.Fingerprint {
		return errFingerprint()
	}
	seen := map[string]bool{}
	total := 0
	for _, it := range body.Items {
		if it == nil || !metadataKeyRE.MatchString(it.Key) {
			key := ""
			if it != nil {
				key = it.Key
			}
			return errInvalid(fmt.Sprintf("Invalid value for field 'resource.items[].key': '%s'. Must match regex [a-zA-Z0-9-_]{1,128}", key))
		}
		if seen[it.Key] {
			return errInvalid(fmt.Sprintf("Invalid value for field 'resource.items[]': duplicate key '%s'.", it.Key))
		}
		seen[it.Key] = true
		v := ""
		if it.Value != nil {
			v = *it.Value
		}
		if len(v) > maxMetadataValue {
			return errInvalid(fmt.Sprintf("Value for field 'resource.items[%s].value' is too large: maximum size %d character(s); actual size %d.", it.Key, maxMetadataValue, len(v)))
		}
		total += len(it.Key) + len(v)
	}
	if total > maxMetadataTotal {
		return errInvalid(fmt.Sprintf("Metadata has a total size of %d bytes, more than the limit of %d bytes.", total, maxMetadataTotal))
	}
	return nil
}

// replaceMetadata returns the new metadata object built from body: all
// items replaced, a fresh fingerprint.
func replaceMetadata(body *compute.Metadata) *compute.Metadata {
	m := &compute.Metadata{Kind: "compute#metadata"}
	for _, it := range body.Items {
		v := ""
		if it.Value != nil {
			v = *it.Value
		}
		m.Items = append(m.Items, &compute.MetadataItems{Key: it.Key, Value: ptr(v)})
	}
	m.Fingerprint = metadataFingerprint(m.Items)
	return m
}

func (s *Server) setMetadata(w http.ResponseWriter, r *http.Request) {
	var body compute.Metadata
	if aerr := decodeBody(r, &body); aerr != nil {
		writeError(w, aerr)
		return
	}
	s.mu.Lock()
	ps, is, aerr := s.checkInstance(r, "compute.instances.setMetadata")
	if aerr == nil {
		aerr = checkMetadataBody(is.inst.Metadata, &body)
	}
	if aerr != nil {
		s.mu.Unlock()
		writeError(w, aerr)
		return
	}
	// The new metadata is visible at once (so a concurrent writer with the
	// old fingerprint gets its 412); the guest sees it when the operation
	// is done.
	is.inst.Metadata = replaceMetadata(&body)
	is.touch()
	op := s.newOperationLocked(ps.id, is.zone, "setMetadata", is.inst.SelfLink, is.inst.Id, func() {
		s.agentScanLocked(ps, is)
	})
	b := marshalOp(op)
	s.mu.Unlock()
	writeBody(w, r, b)
}

func (s *Server) setCommonInstanceMetadata(w http.ResponseWriter, r *http.Request) {
	var body compute.Metadata
	if aerr := decodeBody(r, &body); aerr != nil {
		writeError(w, aerr)
		return
	}
	s.mu.Lock()
	ps, aerr := s.checkProject(r.PathValue("project"), "compute.projects.setCommonInstanceMetadata")
	if aerr == nil {
		aerr = checkMetadataBody(ps.meta, &body)
	}
	if aerr != nil {
		s.mu.Unlock()
		writeError(w, aerr)
		return
	}
	ps.meta = replaceMetadata(&body)
	op := s.newOperationLocked(ps.id, "", "setCommonInstanceMetadata", projectURL(ps.id), uint64(ps.number), nil)
	b := marshalOp(op)
	s.mu.Unlock()
	writeBody(w, r, b)
}

// Metadata returns a VM's metadata items and fingerprint as the server
// holds them.
func (s *Server) Metadata(project, zone, name string) ([]MetadataItem, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, err := s.instanceLocked(project, zone, name)
	if err != nil {
		return nil, "", err
	}
	return items(is.inst.Metadata), is.inst.Metadata.Fingerprint, nil
}

// ProjectMetadata returns a project's commonInstanceMetadata items and
// fingerprint.
func (s *Server) ProjectMetadata(project string) ([]MetadataItem, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.projects[project]
	if !ok {
		return nil, "", fmt.Errorf("gcetest: no project %s", project)
	}
	return items(ps.meta), ps.meta.Fingerprint, nil
}

func items(m *compute.Metadata) []MetadataItem {
	var out []MetadataItem
	for _, it := range m.Items {
		v := ""
		if it.Value != nil {
			v = *it.Value
		}
		out = append(out, MetadataItem{Key: it.Key, Value: v})
	}
	return out
}
