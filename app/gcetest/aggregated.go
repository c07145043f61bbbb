package gcetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
)

// aggregatedList answers instances.aggregatedList: the project's VMs in
// zone, name order, cut into pages, every zone of the project present as a
// scope (with its VMs on this page or a NO_RESULTS_ON_PAGE warning), and
// unreachable zones reported as Google does.
func (s *Server) aggregatedList(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("project")
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
	partial := q.Get("returnPartialSuccess") == "true"
	scope := "projects/" + p + "/aggregated/instances"
	offset, aerr := decodePageToken(q.Get("pageToken"), scope)
	if aerr != nil {
		writeError(w, aerr)
		return
	}

	s.mu.Lock()
	ps, aerr := s.checkProject(p, "compute.instances.list")
	if aerr != nil {
		s.mu.Unlock()
		writeError(w, aerr)
		return
	}
	var matches []*instanceState
	for _, is := range ps.sorted() {
		if !ps.unreachable[is.zone] && flt.match(is.inst) {
			matches = append(matches, is)
		}
	}
	items, next := page(matches, offset, size, scope)
	mask, aerr := requestMask(r)
	if aerr != nil {
		s.mu.Unlock()
		writeError(w, aerr)
		return
	}
	// The document is built generically, with each instance as cached
	// JSON already pruned to its part of the mask: re-marshalling
	// thousands of generated structs per page would dominate benchmarks.
	// Missing pruned forms are made outside the lock, so concurrent
	// requests prune in parallel.
	type entry struct {
		scope string
		key   string // canonical form of the instance mask
		mj    maskedJSON
		m     *fieldMask
	}
	entries := make([]entry, 0, len(items))
	for _, is := range items {
		scopeKey := "zones/" + is.zone
		m := instancesMask(mask, scopeKey)
		mkey := m.String()
		mj, err := is.jsonMasked(m, mkey)
		if err != nil {
			s.mu.Unlock()
			writeError(w, &apiError{Code: http.StatusInternalServerError, Message: err.Error(), Reason: "backendError"})
			return
		}
		entries = append(entries, entry{scope: scopeKey, key: mkey, mj: mj, m: m})
	}
	scopes := map[string]any{}
	var unreachables []any
	for _, z := range slices.Sorted(maps.Keys(ps.zones)) {
		key := "zones/" + z
		warn := func(code, msg string) map[string]any {
			return map[string]any{"warning": map[string]any{"code": code, "message": msg,
				"data": []any{map[string]any{"key": "scope", "value": key}}}}
		}
		switch {
		case ps.unreachable[z]:
			scopes[key] = warn("UNREACHABLE", fmt.Sprintf("Scope '%s' is unreachable.", key))
			if partial {
				unreachables = append(unreachables, key)
			}
		case !slices.ContainsFunc(entries, func(e entry) bool { return e.scope == key }):
			scopes[key] = warn("NO_RESULTS_ON_PAGE", fmt.Sprintf("There are no results for scope '%s' on this page.", key))
		}
	}
	s.mu.Unlock()

	var fresh []entry
	for i := range entries {
		e := &entries[i]
		if e.mj.pruned == nil {
			if e.mj.pruned, err = e.m.prune(e.mj.raw); err != nil {
				writeError(w, &apiError{Code: http.StatusInternalServerError, Message: err.Error(), Reason: "backendError"})
				return
			}
			fresh = append(fresh, *e)
		}
		sl, _ := scopes[e.scope].(map[string]any)
		if sl == nil {
			sl = map[string]any{"instances": []any{}}
			scopes[e.scope] = sl
		}
		sl["instances"] = append(sl["instances"].([]any), json.RawMessage(e.mj.pruned))
	}
	if len(fresh) > 0 {
		s.mu.Lock()
		for _, e := range fresh {
			e.mj.storePruned(e.key)
		}
		s.mu.Unlock()
	}
	doc := map[string]any{
		"kind":     "compute#instanceAggregatedList",
		"id":       scope,
		"items":    scopes,
		"selfLink": projectURL(p) + "/aggregated/instances",
	}
	if next != "" {
		doc["nextPageToken"] = next
	}
	if len(unreachables) > 0 {
		doc["unreachables"] = unreachables
	}
	var v any = doc
	if mask != nil {
		v = mask.apply(doc)
	}
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, &apiError{Code: http.StatusInternalServerError, Message: err.Error(), Reason: "backendError"})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(b)
}

// requestMask parses the request's fields parameter; nil means none.
func requestMask(r *http.Request) (*fieldMask, *apiError) {
	f := r.URL.Query().Get("fields")
	if f == "" {
		return nil, nil
	}
	m, err := parseFieldMask(f)
	if err != nil {
		return nil, &apiError{Code: http.StatusBadRequest, Message: fmt.Sprintf("Invalid field selection %s", f),
			Reason: "invalidParameter", Location: "fields", LocationType: "parameter"}
	}
	return m, nil
}

// instancesMask is the part of an aggregated list mask that applies to the
// instances of scope key: nil mask (no fields parameter) keeps all. The
// returned mask is "all" when the instances are selected whole.
func instancesMask(m *fieldMask, key string) *fieldMask {
	if m == nil {
		return nil
	}
	for _, k := range []string{"items", key, "instances"} {
		if m.all {
			return m
		}
		if m = m.child(k); m == nil {
			return &fieldMask{kids: map[string]*fieldMask{}} // selects nothing
		}
	}
	return m
}
