package platform

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// shellQuote quotes one argument for a POSIX shell: bare when it only holds
// safe characters, otherwise in single quotes with each ' written as '\”.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellJoin quotes argv for a POSIX shell command line.
func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// windowsQuote quotes one argument the way CommandLineToArgvW and the C
// runtime split it (the rules of syscall.EscapeArg).
func windowsQuote(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1)) // double them, escape the quote
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	b.WriteString(strings.Repeat(`\`, slashes)) // before the closing quote
	b.WriteByte('"')
	return b.String()
}

// windowsJoin quotes argv as one Windows command line.
func windowsJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = windowsQuote(a)
	}
	return strings.Join(q, " ")
}

// SSHConfigQuote quotes a value for ssh_config (and for `ssh -o Key=value`,
// which is parsed the same way): bare when safe, otherwise in double quotes
// with \ and " escaped, the way OpenSSH's argv_split reads them. A value with
// a line break or NUL cannot be written and is an error.
func SSHConfigQuote(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n\x00") {
		return "", fmt.Errorf("ssh_config value %q contains a line break or NUL", s)
	}
	if s != "" && !strings.ContainsAny(s, " \t\"'\\#=") && strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s, nil // a trailing form feed would be stripped, so controls are quoted
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`, nil
}

// sshPath prepares a file path for ssh: ssh expands %-tokens in IdentityFile
// and UserKnownHostsFile (also from -i), so % is doubled; it also expands
// ${VAR} there, which has no escape, so such a path is refused.
func sshPath(what, p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("%s: empty path", what)
	}
	if strings.Contains(p, "${") {
		return "", fmt.Errorf("%s %q contains \"${\", which ssh would expand; move the file", what, p)
	}
	return strings.ReplaceAll(p, "%", "%%"), nil
}

// errEmpty is returned for an empty template or command.
var errEmpty = errors.New("empty command")
