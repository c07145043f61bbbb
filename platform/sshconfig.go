package platform

import (
	"fmt"
	"strings"
)

// SSHConfigHost is SSHConfigBlock for a Host line with several aliases
// (the VM's full name and, where it is unique, its short one): the first
// names the block, ssh matches any.
func SSHConfigHost(goos string, aliases []string, spec SSHSpec) (string, error) {
	if len(aliases) == 0 {
		return "", fmt.Errorf("ssh config block: no Host alias")
	}
	for _, a := range aliases[1:] {
		if !hostAliasRE.MatchString(a) {
			return "", fmt.Errorf("ssh config Host %q: use letters, digits, ., _ and -", a)
		}
	}
	block, err := SSHConfigBlock(goos, aliases[0], spec)
	if err != nil {
		return "", err
	}
	first := "Host " + aliases[0] + "\n"
	return "Host " + strings.Join(aliases, " ") + "\n" + strings.TrimPrefix(block, first), nil
}
