package gcetest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

const computePrefix = "/compute/v1/projects/{project}"

func (s *Server) computeRoutes(mux *http.ServeMux) {
	inst := computePrefix + "/zones/{zone}/instances/{instance}"
	mux.HandleFunc("GET "+computePrefix, s.getProject)
	mux.HandleFunc("POST "+computePrefix+"/setCommonInstanceMetadata", s.setCommonInstanceMetadata)
	mux.HandleFunc("GET "+computePrefix+"/aggregated/instances", s.aggregatedList)
	mux.HandleFunc("GET "+computePrefix+"/zones", s.listZones)
	mux.HandleFunc("GET "+computePrefix+"/zones/{zone}/instances", s.listInstances)
	mux.HandleFunc("GET "+inst, s.getInstance)
	mux.HandleFunc("POST "+inst+"/setMetadata", s.setMetadata)
	mux.HandleFunc("POST "+inst+"/start", s.instanceAction("start"))
	mux.HandleFunc("POST "+inst+"/stop", s.instanceAction("stop"))
	mux.HandleFunc("POST "+inst+"/reset", s.instanceAction("reset"))
	mux.HandleFunc("GET "+inst+"/serialPort", s.serialPort)
	mux.HandleFunc("GET "+inst+"/getGuestAttributes", s.guestAttributes)
	mux.HandleFunc("GET "+computePrefix+"/zones/{zone}/operations/{operation}", s.getOperation(false))
	mux.HandleFunc("POST "+computePrefix+"/zones/{zone}/operations/{operation}/wait", s.getOperation(true))
	mux.HandleFunc("GET "+computePrefix+"/global/operations/{operation}", s.getOperation(false))
	mux.HandleFunc("POST "+computePrefix+"/global/operations/{operation}/wait", s.getOperation(true))
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ps, aerr := s.checkProject(r.PathValue("project"), "compute.projects.get")
	if aerr != nil {
		s.mu.Unlock()
		writeError(w, aerr)
		return
	}
	b, err := json.Marshal(&compute.Project{
		Kind:                   "compute#project",
		Id:                     uint64(ps.number),
		Name:                   ps.id,
		CreationTimestamp:      "2020-01-01T00:00:00.000-08:00",
		CommonInstanceMetadata: ps.meta,
		DefaultServiceAccount:  fmt.Sprintf("%d-compute@developer.gserviceaccount.com", ps.number),
		DefaultNetworkTier:     "PREMIUM",
		XpnProjectStatus:       "UNSPECIFIED_XPN_PROJECT_STATUS",
		VmDnsSetting:           "ZONAL_ONLY",
		SelfLink:               projectURL(ps.id),
	})
	s.mu.Unlock()
	if err != nil {
		writeError(w, &apiError{Code: http.StatusInternalServerError, Message: err.Error(), Reason: "backendError"})
		return
	}
	writeBody(w, r, b)
}

// pageSize reads maxResults (Compute) or pageSize (Resource Manager),
// capped by Config.PageSize.
func (s *Server) pageSize(r *http.Request, param string, max int) (int, *apiError) {
	n := max
	if v := r.URL.Query().Get(param); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 || i > max {
			return 0, &apiError{Code: http.StatusBadRequest, Reason: "invalid", Status: "INVALID_ARGUMENT",
				Message: fmt.Sprintf("Invalid value for field '%s': '%s'. Must be between 0 and %d.", param, v, max)}
		}
		if i > 0 {
			n = i
		}
	}
	return min(n, s.cfg.PageSize), nil
}

// pageToken tokens are opaque to clients; they encode the scope they belong
// to and the offset of the next item.
func encodePageToken(scope string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(scope + "\x00" + strconv.Itoa(offset)))
}

func decodePageToken(tok, scope string) (int, *apiError) {
	if tok == "" {
		return 0, nil
	}
	bad := &apiError{Code: http.StatusBadRequest, Reason: "invalid", Status: "INVALID_ARGUMENT",
		Message: fmt.Sprintf("Invalid value for field 'pageToken': '%s'.", tok)}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, bad
	}
	i := strings.LastIndexByte(string(b), 0)
	if i < 0 || string(b[:i]) != scope {
		return 0, bad
	}
	n, err := strconv.Atoi(string(b[i+1:]))
	if err != nil || n < 0 {
		return 0, bad
	}
	return n, nil
}

// page cuts items[offset:offset+size] and returns the next token.
func page[T any](items []T, offset, size int, scope string) ([]T, string) {
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+size, len(items))
	next := ""
	if end < len(items) {
		next = encodePageToken(scope, end)
	}
	return items[offset:end], next
}

func (s *Server) listInstances(w http.ResponseWriter, r *http.Request) {
	p, z := r.PathValue("project"), r.PathValue("zone")
	q := r.URL.Query()
	size, aerr := s.pageSize(r, "maxResults", 500)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	flt, err := parseFilter(q.Get("filter"))
	if err != nil {
		writeError(w, errInvalid(fmt.Sprintf("Invalid value for field 'filter': '%s'. %v", q.Get("filter"), err)))
		return
	}
	scope := "projects/" + p + "/zones/" + z + "/instances"
	offset, aerr := decodePageToken(q.Get("pageToken"), scope)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.mu.Lock()
	ps, aerr := s.checkProject(p, "compute.instances.list")
	if aerr == nil && !ps.zones[z] && !knownZone(z) {
		aerr = errNotFound(fmt.Sprintf("projects/%s/zones/%s", p, z))
	}
	if aerr == nil && ps.unreachable[z] {
		aerr = &apiError{Code: http.StatusServiceUnavailable, Message: fmt.Sprintf("The zone '%s' is currently unavailable.", z), Reason: "backendError"}
	}
	if aerr != nil {
		s.mu.Unlock()
		writeError(w, aerr)
		return
	}
	var matches []*compute.Instance
	for _, is := range ps.sorted() {
		if is.zone == z && flt.match(is.inst) {
			matches = append(matches, is.inst)
		}
	}
	items, next := page(matches, offset, size, scope)
	b, err := json.Marshal(&compute.InstanceList{
		Kind: "compute#instanceList", Id: scope, Items: items, NextPageToken: next,
		SelfLink: zoneURL(p, z) + "/instances",
	})
	s.mu.Unlock()
	if err != nil {
		writeError(w, &apiError{Code: http.StatusInternalServerError, Message: err.Error(), Reason: "backendError"})
		return
	}
	writeBody(w, r, b)
}

func (s *Server) getInstance(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, is, aerr := s.checkInstance(r, "compute.instances.get")
	if aerr != nil {
		s.mu.Unlock()
		writeError(w, aerr)
		return
	}
	b, err := json.Marshal(is.inst)
	s.mu.Unlock()
	if err != nil {
		writeError(w, &apiError{Code: http.StatusInternalServerError, Message: err.Error(), Reason: "backendError"})
		return
	}
	writeBody(w, r, b)
}

func (s *Server) listZones(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("project")
	size, aerr := s.pageSize(r, "maxResults", 500)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	scope := "projects/" + p + "/zones"
	offset, aerr := decodePageToken(r.URL.Query().Get("pageToken"), scope)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.mu.Lock()
	ps, aerr := s.checkProject(p, "compute.zones.list")
	if aerr != nil {
		s.mu.Unlock()
		writeError(w, aerr)
		return
	}
	var zones []*compute.Zone
	for _, z := range slices.Sorted(maps.Keys(ps.zones)) {
		status := "UP"
		if ps.unreachable[z] {
			status = "DOWN"
		}
		zones = append(zones, &compute.Zone{Kind: "compute#zone", Id: stableID("zone", z) % 10000, Name: z,
			Description: z, Status: status, Region: projectURL(p) + "/regions/" + regionOf(z),
			SelfLink: zoneURL(p, z), AvailableCpuPlatforms: []string{"Intel Broadwell", "AMD Milan"}})
	}
	s.mu.Unlock()
	items, next := page(zones, offset, size, scope)
	writeJSON(w, r, &compute.ZoneList{Kind: "compute#zoneList", Id: scope, Items: items, NextPageToken: next,
		SelfLink: projectURL(p) + "/zones"})
}

// guestAttributes answers as the real API does for a VM whose guest wrote
// none: 404.
func (s *Server) guestAttributes(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, _, aerr := s.checkInstance(r, "compute.instances.getGuestAttributes")
	s.mu.Unlock()
	if aerr == nil {
		aerr = errNotFound(fmt.Sprintf("projects/%s/zones/%s/instances/%s/guestAttributes/%s",
			r.PathValue("project"), r.PathValue("zone"), r.PathValue("instance"), r.URL.Query().Get("queryPath")))
	}
	writeError(w, aerr)
}

// knownZone reports whether z looks like a zone name; the fake accepts any
// such name in zone-scoped calls, as long lists of real zones would.
func knownZone(z string) bool {
	parts := strings.Split(z, "-")
	return len(parts) == 3 && len(parts[2]) == 1
}
