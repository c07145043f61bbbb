package platform

import (
	"fmt"
	"strings"
)

// AppleScript returns the script that opens a window of the macOS terminal
// app (kind "terminal" for Terminal, "iterm2" for iTerm2) titled title and
// running cmd. The command is quoted for the shell (Terminal runs it in the
// user's shell; iTerm2 splits it the same way) and the result is quoted as an
// AppleScript string literal.
func AppleScript(kind, title string, cmd []string) (string, error) {
	if len(cmd) == 0 {
		return "", fmt.Errorf("AppleScript: %w", errEmpty)
	}
	for _, a := range append([]string{title}, cmd...) {
		if err := checkPrintable("AppleScript argument", a); err != nil {
			return "", err
		}
	}
	line := shellJoin(cmd)
	switch kind {
	case "terminal":
		// exec: the window's shell is replaced, so closing ssh ends it.
		return strings.Join([]string{
			`tell application "Terminal"`,
			`	activate`,
			`	set t to do script ` + appleScriptString("exec "+line),
			`	set custom title of t to ` + appleScriptString(title),
			`end tell`,
		}, "\n"), nil
	case "iterm2":
		return strings.Join([]string{
			`tell application "iTerm"`,
			`	activate`,
			`	set w to (create window with default profile command ` + appleScriptString(line) + `)`,
			`	tell current session of w to set name to ` + appleScriptString(title),
			`end tell`,
		}, "\n"), nil
	}
	return "", fmt.Errorf("AppleScript for terminal %q: want terminal or iterm2", kind)
}

// appleScriptString quotes s as an AppleScript string literal.
func appleScriptString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// appleScriptArgv runs the AppleScript for kind with osascript, one -e per
// line.
func appleScriptArgv(kind string) func(path, title string, cmd []string) []string {
	return func(path, title string, cmd []string) []string {
		script, err := AppleScript(kind, title, cmd)
		if err != nil {
			return nil // TerminalArgv validated the same input already
		}
		argv := []string{path}
		for _, l := range strings.Split(script, "\n") {
			argv = append(argv, "-e", l)
		}
		return argv
	}
}
