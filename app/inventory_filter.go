package app

import (
	"strings"
)

// Filter selects the VMs the explorer shows. The zero Filter shows all.
type Filter struct {
	// Text holds whitespace-separated terms; a VM must match all of them,
	// case-insensitively. A bare term matches a substring of the VM's name,
	// internal or external IP, zone, machine type, or of a label value or
	// "key=value". A term "key=value" or "key:value" matches a label whose
	// key is key and whose value contains value; the keys name, ip, zone,
	// status, os and type match those properties instead.
	Text string `json:"text,omitempty"`
	// OS keeps only VMs of that family; OSAny keeps all.
	OS OS `json:"os,omitempty"`
	// RunningOnly keeps only RUNNING VMs.
	RunningOnly bool `json:"runningOnly,omitempty"`
}

// IsZero reports whether f lets every VM through.
func (f Filter) IsZero() bool {
	return strings.TrimSpace(f.Text) == "" && f.OS == OSAny && !f.RunningOnly
}

// Match reports whether the VM passes the filter.
func (f Filter) Match(in *Instance) bool {
	if f.OS != OSAny && in.OS != f.OS {
		return false
	}
	if f.RunningOnly && !in.Running() {
		return false
	}
	for _, term := range strings.Fields(strings.ToLower(f.Text)) {
		if !matchTerm(in, term) {
			return false
		}
	}
	return true
}

func matchTerm(in *Instance, term string) bool {
	if i := strings.IndexAny(term, "=:"); i > 0 {
		key, val := term[:i], term[i+1:]
		switch key {
		case "name":
			return contains(in.Name, val)
		case "ip":
			return contains(in.InternalIP, val) || contains(in.ExternalIP, val)
		case "zone":
			return contains(in.Zone, val)
		case "status":
			return contains(in.Status, val)
		case "os":
			return contains(in.OS.String(), val)
		case "type":
			return contains(in.MachineType, val)
		}
		for k, v := range in.Labels {
			if strings.EqualFold(k, key) && contains(v, val) {
				return true
			}
		}
		return false
	}
	if contains(in.Name, term) || contains(in.InternalIP, term) || contains(in.ExternalIP, term) ||
		contains(in.Zone, term) || contains(in.MachineType, term) {
		return true
	}
	for k, v := range in.Labels {
		if contains(v, term) || contains(k+"="+v, term) {
			return true
		}
	}
	return false
}

// contains is a case-insensitive substring test; sub is already lower case.
func contains(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), sub)
}

// Filter returns the inventory views show for f: only the projects and
// zones that keep a matching VM (an empty result means nothing matches;
// projects whose VMs could not be listed have none to match). With a zero
// filter it returns inv itself, every project and error included.
func (inv *Inventory) Filter(f Filter) *Inventory {
	if f.IsZero() {
		return inv
	}
	var ps []Project
	for _, p := range inv.Projects {
		q := p
		q.Zones = nil
		for _, z := range p.Zones {
			var kept []Instance
			for j := range z.Instances {
				if f.Match(&z.Instances[j]) {
					kept = append(kept, z.Instances[j])
				}
			}
			if len(kept) > 0 {
				q.Zones = append(q.Zones, Zone{Name: z.Name, Instances: kept})
			}
		}
		if len(q.Zones) > 0 {
			ps = append(ps, q)
		}
	}
	return &Inventory{Projects: ps, LoadedAt: inv.LoadedAt}
}
