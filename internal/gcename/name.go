package gcename

import "regexp"

// The patterns, anchored. A name is an RFC 1035 label: 1–63 lower-case
// letters, digits and hyphens, starting with a letter and not ending with a
// hyphen (zones, regions, networks, destination groups, VM names). A
// project ID has 6–30 such characters, old domain-scoped ones a
// "example.com:" prefix. A project number and a VM ID are the decimal
// numbers Google assigns (at most 19 and 20 digits, no leading zero).
var (
	nameRE          = regexp.MustCompile(`^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$`)
	projectIDRE     = regexp.MustCompile(`^(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*\.[a-z]{2,63}:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$`)
	projectNumberRE = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)
	instanceIDRE    = regexp.MustCompile(`^[1-9][0-9]{0,19}$`)
)

// IsName reports whether s is a Compute Engine resource name: a zone, a
// region, a network, a destination group or a VM's name.
func IsName(s string) bool { return nameRE.MatchString(s) }

// IsProjectID reports whether s is a project ID (not its number): what
// iapdesk remembers and keeps settings under, and what Compute Engine
// puts in the resource URLs it returns.
func IsProjectID(s string) bool { return projectIDRE.MatchString(s) }

// IsProjectNumber reports whether s is a project number, which the APIs
// and IAP accept wherever a project ID goes.
func IsProjectNumber(s string) bool { return projectNumberRE.MatchString(s) }

// IsProject reports whether s names a project: an ID or a number.
func IsProject(s string) bool { return IsProjectID(s) || IsProjectNumber(s) }

// IsInstanceID reports whether s is a VM's numeric ID, which the APIs
// accept wherever a VM's name goes.
func IsInstanceID(s string) bool { return instanceIDRE.MatchString(s) }

// IsInstance reports whether s names a VM: its name or its numeric ID.
func IsInstance(s string) bool { return IsName(s) || IsInstanceID(s) }
