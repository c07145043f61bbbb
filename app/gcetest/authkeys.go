package gcetest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// AuthorizedKeys returns the authorized_keys lines a VM's guest agent would
// install for the POSIX user: with OS Login enabled (enable-oslogin, the
// instance value winning when set), that user's OS Login keys; otherwise the
// unexpired `ssh-keys` entries for user in the instance metadata and, unless
// block-project-ssh-keys is true or the instance has legacy `sshKeys`, in
// the project metadata (legacy `sshKeys` items are merged in).
func (s *Server) AuthorizedKeys(project, zone, name, user string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, err := s.instanceLocked(project, zone, name)
	if err != nil {
		return nil, err
	}
	ps := s.projects[project]
	if metadataBool(ps, is, "enable-oslogin") {
		return s.osLoginKeysLocked(user), nil
	}
	var lines []string
	v, _ := metadataValue(is.inst.Metadata, "ssh-keys")
	lines = append(lines, strings.Split(v, "\n")...)
	legacy, hasLegacy := metadataValue(is.inst.Metadata, "sshKeys")
	lines = append(lines, strings.Split(legacy, "\n")...)
	if !hasLegacy && !metadataBool(ps, is, "block-project-ssh-keys") {
		v, _ := metadataValue(ps.meta, "ssh-keys")
		lines = append(lines, strings.Split(v, "\n")...)
		v, _ = metadataValue(ps.meta, "sshKeys")
		lines = append(lines, strings.Split(v, "\n")...)
	}
	now := s.now()
	var out []string
	seen := map[string]bool{}
	for _, l := range lines {
		u, key, ok := strings.Cut(strings.TrimSpace(l), ":")
		if !ok || u != user || key == "" {
			continue
		}
		f := strings.Fields(key)
		if len(f) < 2 {
			continue
		}
		if len(f) >= 4 && f[2] == "google-ssh" {
			var m struct {
				ExpireOn string `json:"expireOn"`
			}
			if json.Unmarshal([]byte(strings.Join(f[3:], " ")), &m) != nil || checkExpired(m.ExpireOn, now) {
				continue
			}
		}
		if id := f[0] + " " + f[1]; !seen[id] {
			seen[id] = true
			out = append(out, key)
		}
	}
	return out, nil
}

// authorizedKeysHandler serves GET
// /iapdesk-test/authorized-keys?project=&zone=&instance=&user= as
// text/plain authorized_keys lines, for an sshd AuthorizedKeysCommand
// (`curl -fsS -H "Authorization: Bearer …" …`). Like every endpoint it needs
// the bearer token when the server requires one: an sshd trusts these keys.
func (s *Server) authorizedKeysHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, z, n, u := q.Get("project"), q.Get("zone"), q.Get("instance"), q.Get("user")
	if p == "" || z == "" || n == "" || u == "" {
		http.Error(w, "project, zone, instance and user are required", http.StatusBadRequest)
		return
	}
	keys, err := s.AuthorizedKeys(p, z, n, u)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, k := range keys {
		w.Write([]byte(k + "\n"))
	}
}
