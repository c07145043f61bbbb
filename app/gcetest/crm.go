package gcetest

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

	crm "google.golang.org/api/cloudresourcemanager/v1"
)

// crmList answers GET /v1/projects: every project, filtered, sorted by ID,
// paginated. Unlike the console, v1 list includes DELETE_REQUESTED
// projects; clients keep the ACTIVE ones.
func (s *Server) crmList(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, errRPC(http.StatusMethodNotAllowed, "INVALID_ARGUMENT", "Method not allowed."))
		return
	}
	q := r.URL.Query()
	size, aerr := s.pageSize(r, "pageSize", 1000)
	if aerr != nil {
		writeError(w, errRPC(http.StatusBadRequest, "INVALID_ARGUMENT", aerr.Message))
		return
	}
	flt, err := parseCRMFilter(q.Get("filter"))
	if err != nil {
		writeError(w, errRPC(http.StatusBadRequest, "INVALID_ARGUMENT", "Request contains an invalid argument: "+err.Error()))
		return
	}
	scope := "crm/projects\x00" + q.Get("filter")
	offset, aerr := decodePageToken(q.Get("pageToken"), scope)
	if aerr != nil {
		writeError(w, errRPC(http.StatusBadRequest, "INVALID_ARGUMENT", aerr.Message))
		return
	}
	s.mu.Lock()
	var all []*crm.Project
	for _, ps := range s.projects {
		if p := crmProject(ps); flt.match(p) {
			all = append(all, p)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b *crm.Project) int { return strings.Compare(a.ProjectId, b.ProjectId) })
	items, next := page(all, offset, size, scope)
	writeJSON(w, r, &crm.ListProjectsResponse{Projects: items, NextPageToken: next})
}

func crmProject(ps *projectState) *crm.Project {
	p := &crm.Project{
		ProjectId:      ps.id,
		ProjectNumber:  ps.number,
		Name:           ps.name,
		LifecycleState: ps.state,
		CreateTime:     "2020-01-01T00:00:00.000Z",
		Labels:         ps.labels,
	}
	if typ, id, ok := strings.Cut(ps.parent, "/"); ok {
		p.Parent = &crm.ResourceId{Type: strings.TrimSuffix(typ, "s"), Id: id}
	}
	return p
}

// crmProject answers GET /v1/projects/{id} and POST
// /v1/projects/{id}:testIamPermissions.
func (s *Server) crmProject(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/v1/projects/")
	id, verb, _ := strings.Cut(rest, ":")
	if id == "" || strings.Contains(id, "/") {
		writeError(w, errRPC(http.StatusNotFound, "NOT_FOUND", "Requested entity was not found."))
		return
	}
	s.mu.Lock()
	ps, ok := s.projects[id]
	var p *crm.Project
	var denied map[string]bool
	if ok {
		p = crmProject(ps)
		denied = ps.denied
	}
	s.mu.Unlock()
	if !ok {
		// Resource Manager does not reveal whether a project exists.
		writeError(w, errRPC(http.StatusForbidden, "PERMISSION_DENIED", "The caller does not have permission"))
		return
	}
	switch {
	case verb == "" && r.Method == http.MethodGet:
		writeJSON(w, r, p)
	case verb == "testIamPermissions" && r.Method == http.MethodPost:
		var req crm.TestIamPermissionsRequest
		if aerr := decodeBody(r, &req); aerr != nil {
			writeError(w, aerr)
			return
		}
		s.mu.Lock()
		var granted []string
		for _, perm := range req.Permissions {
			if !denied[perm] {
				granted = append(granted, perm)
			}
		}
		s.mu.Unlock()
		writeJSON(w, r, &crm.TestIamPermissionsResponse{Permissions: granted})
	default:
		writeError(w, errRPC(http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Method %s %s not found.", r.Method, r.URL.Path)))
	}
}

// crmFilter is a Resource Manager v1 filter: `key:value` terms joined by
// AND (or juxtaposition) and OR, values optionally quoted, `*` a wildcard,
// matching case-insensitively. Keys: id (or projectId), name,
// lifecycleState, parent.type, parent.id, labels.KEY. IAP Desktop sends
// `id:"p"` and `name:"p*" OR id:"p*"`.
type crmFilter struct {
	any [][]crmTerm // OR of ANDs; empty matches everything
}

type crmTerm struct{ key, pattern string }

func parseCRMFilter(s string) (crmFilter, error) {
	toks, err := tokenize(s)
	if err != nil {
		return crmFilter{}, err
	}
	var f crmFilter
	var cur []crmTerm
	for i := 0; i < len(toks); {
		t := toks[i]
		switch {
		case !t.quoted && t.text == "OR":
			if len(cur) == 0 {
				return crmFilter{}, fmt.Errorf("OR without a left term")
			}
			f.any = append(f.any, cur)
			cur = nil
			i++
		case !t.quoted && t.text == "AND":
			i++
		case !t.quoted && (t.text == "(" || t.text == ")"):
			i++ // grouping is not needed for the terms clients send
		case i+2 < len(toks) && !toks[i+1].quoted && (toks[i+1].text == ":" || toks[i+1].text == "="):
			key := t.text
			switch key {
			case "id", "projectId", "name", "lifecycleState", "parent.type", "parent.id":
			default:
				if !strings.HasPrefix(key, "labels.") {
					return crmFilter{}, fmt.Errorf("unsupported filter key %q", key)
				}
			}
			cur = append(cur, crmTerm{key: key, pattern: strings.ToLower(toks[i+2].text)})
			i += 3
		default:
			return crmFilter{}, fmt.Errorf("unexpected %q", t.text)
		}
	}
	if len(cur) > 0 {
		f.any = append(f.any, cur)
	} else if len(f.any) > 0 {
		return crmFilter{}, fmt.Errorf("OR without a right term")
	}
	return f, nil
}

func (f crmFilter) match(p *crm.Project) bool {
	if len(f.any) == 0 {
		return true
	}
	for _, all := range f.any {
		ok := true
		for _, t := range all {
			if !t.match(p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (t crmTerm) match(p *crm.Project) bool {
	var v string
	switch t.key {
	case "id", "projectId":
		v = p.ProjectId
	case "name":
		v = p.Name
	case "lifecycleState":
		v = p.LifecycleState
	case "parent.type", "parent.id":
		if p.Parent == nil {
			return false
		}
		v = p.Parent.Type
		if t.key == "parent.id" {
			v = p.Parent.Id
		}
	default:
		var ok bool
		if v, ok = p.Labels[strings.TrimPrefix(t.key, "labels.")]; !ok {
			return false
		}
		if t.pattern == "*" {
			return true
		}
	}
	ok, err := path.Match(t.pattern, strings.ToLower(v))
	return err == nil && ok
}
