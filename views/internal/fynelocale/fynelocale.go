// Package fynelocale keeps Fyne quiet about the C.UTF-8 locale. Fyne's
// lang package reads the locale while it initialises and, for LANG=C.UTF-8
// (the default of Debian and Ubuntu containers and CI images), logs
// "Fyne error: Error parsing user locale C" on stderr — in every iapdesk
// command, `iapdesk tunnel` as ssh's ProxyCommand included, since they share
// the binary. C and POSIX without a codeset are fine, so this package sets
// LC_MESSAGES=C for that case. Messages in the C locale are what C.UTF-8
// asked for anyway, so programs iapdesk starts are unaffected.
//
// It must run before Fyne's initialisation: it imports nothing but os and
// strings, so Go (1.21+, which initialises packages in import-path order as
// soon as their imports are ready) initialises it long before fyne.io/….
// views imports it; nothing else should.
package fynelocale

import (
	"os"
	"strings"
)

func init() {
	if v, ok := fix(os.Getenv); ok {
		os.Setenv("LC_MESSAGES", v)
	}
}

// fix decides whether LC_MESSAGES needs setting, and to what: when the
// variable the locale comes from (LC_ALL, then LC_MESSAGES, then LANG) is
// C or POSIX with a codeset (C.UTF-8, POSIX.utf8). LC_ALL overrides
// everything and is left alone.
func fix(getenv func(string) string) (string, bool) {
	if getenv("LC_ALL") != "" {
		return "", false
	}
	v := getenv("LC_MESSAGES")
	if v == "" {
		v = getenv("LANG")
	}
	lang, codeset, ok := strings.Cut(v, ".")
	if !ok || codeset == "" || (lang != "C" && lang != "POSIX") {
		return "", false
	}
	return lang, true
}
