package cli

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"iapdesk/internal/gcename"
)

// scpLocation is one operand of `iapdesk scp`: a local path, or a path on
// a VM written [USER@]INSTANCE:PATH as gcloud compute scp writes it.
type scpLocation struct {
	Remote   bool
	User     string // "" for the connect policy's (the published key's) user
	Instance string
	Path     string // on the VM: slash-separated, relative to the home directory
}

// errSCPOperand reports an operand that is neither a local path nor
// [USER@]INSTANCE:PATH.
var errSCPOperand = errors.New("not a local path or [USER@]INSTANCE:PATH")

// parseSCPOperand parses an operand as scp does: a colon makes it remote
// unless a slash comes before it (./a:b, /tmp/a:b are local) or, on
// Windows, it follows a drive letter (C:\x, C:/x). The instance must be a
// Compute Engine VM name; the user a plain name; control characters are
// refused everywhere (they would reach the terminal and the VM).
func parseSCPOperand(s string, windows bool) (scpLocation, error) {
	if s == "" {
		return scpLocation{}, fmt.Errorf("empty operand: %w", errSCPOperand)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return scpLocation{}, fmt.Errorf("operand %q has control characters: %w", s, errSCPOperand)
	}
	colon := strings.IndexByte(s, ':')
	if colon < 0 || strings.ContainsAny(s[:colon], `/\`) || windows && colon == 1 && isDriveLetter(s[0]) {
		return scpLocation{Path: s}, nil
	}
	host, path := s[:colon], s[colon+1:]
	loc := scpLocation{Remote: true, Instance: host, Path: path}
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		loc.User, loc.Instance = host[:at], host[at+1:]
		if !validUser(loc.User) {
			return scpLocation{}, fmt.Errorf("operand %q: user %q is not a valid user name: %w", s, loc.User, errSCPOperand)
		}
	}
	if !gcename.IsInstance(loc.Instance) {
		return scpLocation{}, fmt.Errorf("operand %q: %q is not a VM name: %w", s, loc.Instance, errSCPOperand)
	}
	if loc.Path == "" {
		loc.Path = "." // scp's "vm:" is the home directory
	}
	return loc, nil
}

func isDriveLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// validUser is a POSIX-ish user name: letters, digits, ., _ and -, not
// starting with - (it would read as an ssh option), at most 32 bytes.
func validUser(u string) bool {
	if u == "" || len(u) > 32 || u[0] == '-' {
		return false
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
