package platform

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Terminal is a terminal emulator: its kind decides how it is given a
// command and a title.
type Terminal struct {
	Kind string // a key of the terminal kinds, e.g. "xterm", "kitty", "iterm2", "wt"
	Path string // program started: the emulator, osascript (macOS), wt.exe
}

// termKind is one emulator's argument convention.
type termKind struct {
	goos    string
	program string // looked up on PATH ("" for console)
	// detached: the started program hands the window to another process
	// and returns at once.
	detached bool
	argv     func(path, title string, cmd []string) []string
}

// terminalKinds maps kind names to conventions. Each Linux emulator is
// started so that it stays in the foreground while the command runs
// (gnome-terminal --wait, konsole --nofork, xfce4-terminal
// --disable-server, wezterm --always-new-process): its exit then means the
// session ended.
var terminalKinds = map[string]termKind{
	"xterm": {goos: "linux", program: "xterm", argv: func(p, t string, c []string) []string {
		return append([]string{p, "-T", t, "-e"}, c...)
	}},
	"gnome-terminal": {goos: "linux", program: "gnome-terminal", argv: func(p, t string, c []string) []string {
		return append([]string{p, "--wait", "--title", t, "--"}, c...)
	}},
	"konsole": {goos: "linux", program: "konsole", argv: func(p, t string, c []string) []string {
		return append([]string{p, "--nofork", "-p", "tabtitle=" + t, "-e"}, c...)
	}},
	"xfce4-terminal": {goos: "linux", program: "xfce4-terminal", argv: func(p, t string, c []string) []string {
		return append([]string{p, "--disable-server", "--title", t, "-x"}, c...)
	}},
	"alacritty": {goos: "linux", program: "alacritty", argv: func(p, t string, c []string) []string {
		return append([]string{p, "--title", t, "-e"}, c...)
	}},
	"kitty": {goos: "linux", program: "kitty", argv: func(p, t string, c []string) []string {
		return append([]string{p, "--title", t}, c...)
	}},
	"wezterm": {goos: "linux", program: "wezterm", argv: func(p, t string, c []string) []string {
		return append([]string{p, "start", "--always-new-process", "--"}, c...)
	}},
	"foot": {goos: "linux", program: "foot", argv: func(p, t string, c []string) []string {
		return append([]string{p, "--title", t}, c...)
	}},
	// generic: x-terminal-emulator or $TERMINAL of an unknown kind; Debian
	// policy requires "-e command args…" of every x-terminal-emulator.
	"generic": {goos: "linux", argv: func(p, t string, c []string) []string {
		return append([]string{p, "-e"}, c...)
	}},
	"terminal": {goos: "darwin", program: "osascript", detached: true, argv: appleScriptArgv("terminal")},
	"iterm2":   {goos: "darwin", program: "osascript", detached: true, argv: appleScriptArgv("iterm2")},
	// wt.exe passes the command to a running Windows Terminal and exits.
	"wt": {goos: "windows", program: "wt", detached: true, argv: func(p, t string, c []string) []string {
		out := []string{p, "new-tab", "--title", wtEscape(t), "--"}
		for _, a := range c {
			out = append(out, wtEscape(a))
		}
		return out
	}},
	// console: the command itself in a new console window
	// (CREATE_NEW_CONSOLE), what `start` does without cmd.exe parsing.
	"console": {goos: "windows", argv: func(_, _ string, c []string) []string {
		return append([]string(nil), c...)
	}},
}

// linuxTerminalOrder is the search order after $TERMINAL and
// x-terminal-emulator.
var linuxTerminalOrder = []string{"gnome-terminal", "konsole", "xfce4-terminal", "alacritty", "kitty", "wezterm", "foot", "xterm"}

// terminalAliases maps program names (also the targets of the
// x-terminal-emulator alternative) to kinds.
var terminalAliases = map[string]string{
	"lxterm": "xterm", "uxterm": "xterm", "koi8rxterm": "xterm",
	"gnome-terminal.wrapper": "gnome-terminal", "xfce4-terminal.wrapper": "xfce4-terminal",
}

// TerminalKinds lists the terminal kinds that can be chosen on goos.
func TerminalKinds(goos string) []string {
	var out []string
	for k, v := range terminalKinds {
		if v.goos == goos && k != "generic" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TerminalArgv returns the command line that opens term with title running
// cmd (cmd[0] is the program, e.g. the path of ssh). It reports whether the
// started program is detached from the window (see Process.Detached).
func TerminalArgv(term Terminal, title string, cmd []string) (argv []string, detached bool, err error) {
	k, ok := terminalKinds[term.Kind]
	if !ok {
		return nil, false, fmt.Errorf("terminal kind %q: unknown", term.Kind)
	}
	if len(cmd) == 0 || cmd[0] == "" {
		return nil, false, fmt.Errorf("terminal %s: %w", term.Kind, errEmpty)
	}
	if strings.HasPrefix(cmd[0], "-") {
		return nil, false, fmt.Errorf("terminal %s: program %q starts with -", term.Kind, cmd[0])
	}
	for _, a := range append([]string{title}, cmd...) {
		if err := checkPrintable("terminal command", a); err != nil {
			return nil, false, err
		}
	}
	return k.argv(term.Path, title, cmd), k.detached, nil
}

// wtEscape escapes ";" which Windows Terminal reads as its own command
// separator even inside the command line it starts.
func wtEscape(s string) string { return strings.ReplaceAll(s, ";", `\;`) }

// findTerminal picks the terminal for goos: Config.Terminal, then (Linux)
// $TERMINAL, x-terminal-emulator and a list of well-known emulators; macOS
// iTerm2 if installed, else Terminal; Windows wt, else a console window.
func (l *Launcher) findTerminal(goos string) (Terminal, error) {
	if l.terminal != "" {
		return l.terminalFor(goos, l.terminal)
	}
	switch goos {
	case "darwin":
		if _, err := l.macApp("iTerm"); err == nil {
			return l.terminalFor(goos, "iterm2")
		}
		return l.terminalFor(goos, "terminal")
	case "windows":
		if t, err := l.terminalFor(goos, "wt"); err == nil {
			return t, nil
		}
		return Terminal{Kind: "console"}, nil
	}
	if env := strings.Fields(l.getenv("TERMINAL")); len(env) > 0 {
		if t, err := l.terminalFor(goos, env[0]); err == nil {
			return t, nil
		}
	}
	if t, err := l.terminalFor(goos, "x-terminal-emulator"); err == nil {
		return t, nil
	}
	for _, k := range linuxTerminalOrder {
		if t, err := l.terminalFor(goos, k); err == nil {
			return t, nil
		}
	}
	return Terminal{}, &NotFoundError{Program: "a terminal emulator (x-terminal-emulator)", Package: packageFor(goos, "xterm")}
}

// terminalFor resolves a kind name or a program (name or path) to a
// Terminal. A program of unknown kind gets the generic "-e" convention
// (Linux only).
func (l *Launcher) terminalFor(goos, name string) (Terminal, error) {
	if k, ok := terminalKinds[name]; ok && k.goos == goos && k.program != "" {
		p, err := l.find(goos, k.program)
		if err != nil {
			return Terminal{}, err
		}
		return Terminal{Kind: name, Path: p}, nil
	} else if ok && k.goos == goos {
		return Terminal{Kind: name}, nil
	}
	if goos != "linux" {
		return Terminal{}, fmt.Errorf("terminal %q: choose one of %s", name, strings.Join(TerminalKinds(goos), ", "))
	}
	p, err := l.find(goos, name)
	if err != nil {
		return Terminal{}, err
	}
	// x-terminal-emulator and $TERMINAL are often links to a known emulator
	// (via /etc/alternatives): use that emulator's own convention.
	real := p
	if r, err := l.evalSymlinks(p); err == nil {
		real = r
	}
	for _, cand := range []string{filepath.Base(real), filepath.Base(p)} {
		kind := cand
		if a, ok := terminalAliases[cand]; ok {
			kind = a
		}
		if k, ok := terminalKinds[kind]; ok && k.goos == "linux" && k.program != "" {
			if kp, err := l.lookPath(k.program); err == nil {
				return Terminal{Kind: kind, Path: kp}, nil
			}
			if kind == cand {
				return Terminal{Kind: kind, Path: p}, nil
			}
		}
	}
	return Terminal{Kind: "generic", Path: p}, nil
}
