package gcename

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Resource is a parsed Compute Engine resource URL such as
// https://www.googleapis.com/compute/v1/projects/p/zones/z/instances/i.
type Resource struct {
	Project    string
	Zone       string // "" unless zonal
	Region     string // "" unless regional
	Global     bool   // …/global/…
	Collection string // "instances", "machineTypes", "licenses", …; "" for a bare project or zone
	Name       string
}

// ErrMalformedURL reports a string ParseURL cannot read as a resource URL.
var ErrMalformedURL = errors.New("malformed resource URL")

// ParseURL parses a Compute resource URL or relative path
// ("projects/p/zones/z", "https://compute.googleapis.com/compute/v1/projects/…").
// The API answers with www.googleapis.com URLs whatever endpoint was called,
// so the host and the version prefix are ignored and only the path after
// "projects/" counts.
func ParseURL(s string) (Resource, error) {
	p := s
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return Resource{}, fmt.Errorf("%w %q: %v", ErrMalformedURL, s, err)
		}
		p = u.Path
	}
	p = strings.Trim(p, "/")
	segs := strings.Split(p, "/")
	i := 0
	for i < len(segs) && segs[i] != "projects" {
		i++
	}
	segs = segs[i:]
	if len(segs) < 2 || segs[1] == "" {
		return Resource{}, fmt.Errorf("%w %q: no projects/ segment", ErrMalformedURL, s)
	}
	r := Resource{Project: segs[1]}
	rest := segs[2:]
	if len(rest) > 0 {
		switch rest[0] {
		case "zones", "regions":
			if len(rest) < 2 || rest[1] == "" {
				return Resource{}, fmt.Errorf("%w %q: %s without a name", ErrMalformedURL, s, rest[0])
			}
			if rest[0] == "zones" {
				r.Zone = rest[1]
			} else {
				r.Region = rest[1]
			}
			rest = rest[2:]
		case "global":
			r.Global = true
			rest = rest[1:]
		}
	}
	switch len(rest) {
	case 0:
	case 2:
		if rest[0] == "" || rest[1] == "" {
			return Resource{}, fmt.Errorf("%w %q: empty segment", ErrMalformedURL, s)
		}
		r.Collection, r.Name = rest[0], rest[1]
	default:
		// Sub-resources (…/instances/i/serialPort) are not needed here.
		return Resource{}, fmt.Errorf("%w %q: unexpected path after the scope", ErrMalformedURL, s)
	}
	return r, nil
}

// LastSegment returns what follows the last "/" (the machine type of a
// machineType URL), or s itself.
func LastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
