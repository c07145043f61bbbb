package platform

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// App is a client application for "Connect to port…": either a command
// line template or, for a browser, a URL template. Placeholders {host},
// {port} and {username} are expanded inside single arguments, never through
// a shell; {{ and }} stand for literal braces.
type App struct {
	Name     string // shown in menus, unique
	Template string // command line, e.g. "psql -h {host} -p {port} -U {username}"
	URL      string // instead of Template: opened in the browser
	Ports    []int  // remote ports it is suggested for
	Terminal bool   // runs in a terminal window
	Package  string // what to install when the program is missing; default per OS
}

// BuiltinApps returns the predefined client applications: the browser for
// HTTP(S) ports and common database clients.
func BuiltinApps() []App {
	return []App{
		{Name: "Browser (HTTP)", URL: "http://{host}:{port}/", Ports: []int{80, 3000, 5000, 8000, 8008, 8080, 8888, 9090}},
		{Name: "Browser (HTTPS)", URL: "https://{host}:{port}/", Ports: []int{443, 8443, 9443}},
		{Name: "PostgreSQL (psql)", Template: "psql -h {host} -p {port} -U {username}", Ports: []int{5432}, Terminal: true},
		{Name: "MySQL (mysql)", Template: "mysql --protocol=TCP -h {host} -P {port} -u {username} -p", Ports: []int{3306}, Terminal: true},
		{Name: "SQL Server (sqlcmd)", Template: "sqlcmd -S tcp:{host},{port} -U {username}", Ports: []int{1433}, Terminal: true},
		{Name: "Redis (redis-cli)", Template: "redis-cli -h {host} -p {port}", Ports: []int{6379}, Terminal: true},
		{Name: "MongoDB (mongosh)", Template: "mongosh --host {host} --port {port}", Ports: []int{27017}, Terminal: true},
	}
}

// AppsForPort returns the apps among apps suggested for a remote port.
func AppsForPort(apps []App, port int) []App {
	var out []App
	for _, a := range apps {
		if slices.Contains(a.Ports, port) {
			out = append(out, a)
		}
	}
	return out
}

// TemplateVars are the values of the template placeholders.
type TemplateVars struct {
	Host     string // {host}; default "127.0.0.1"
	Port     int    // {port}
	Username string // {username}
}

func (v TemplateVars) check() error {
	if v.Port < 1 || v.Port > 65535 {
		return fmt.Errorf("port %d: want 1-65535", v.Port)
	}
	if err := checkHost(v.Host); err != nil {
		return err
	}
	if strings.HasPrefix(v.Username, "-") {
		return fmt.Errorf("username %q starts with -, which a program would read as an option", v.Username)
	}
	return checkPrintable("username", v.Username)
}

func (v TemplateVars) host() string {
	if v.Host == "" {
		return "127.0.0.1"
	}
	return v.Host
}

// ExpandTemplate splits a command template into arguments and expands the
// placeholders in each. Arguments are separated by spaces; '…' and "…"
// group text with spaces (no escapes inside, so Windows paths work). A value
// never splits or joins arguments, whatever it contains.
func ExpandTemplate(tmpl string, v TemplateVars) ([]string, error) {
	if err := v.check(); err != nil {
		return nil, fmt.Errorf("expand %q: %w", tmpl, err)
	}
	var (
		args  []string
		cur   strings.Builder
		inArg bool // cur holds an argument, possibly empty ("")
		quote rune
	)
	rs := []rune(tmpl)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r != '\t' && unicode.IsControl(r):
			return nil, fmt.Errorf("expand %q: control character in template", tmpl)
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '\'' || r == '"'):
			quote, inArg = r, true
		case quote == 0 && unicode.IsSpace(r):
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		case r == '{' || r == '}':
			val, n, err := placeholder(rs[i:], v)
			if err != nil {
				return nil, fmt.Errorf("expand %q: %w", tmpl, err)
			}
			cur.WriteString(val)
			inArg = true
			i += n - 1
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("expand %q: unterminated %c quote", tmpl, quote)
	}
	if inArg {
		args = append(args, cur.String())
	}
	if len(args) == 0 || args[0] == "" {
		return nil, fmt.Errorf("expand %q: %w", tmpl, errEmpty)
	}
	if strings.HasPrefix(args[0], "-") {
		return nil, fmt.Errorf("expand %q: program %q starts with -", tmpl, args[0])
	}
	return args, nil
}

// placeholder reads "{{", "}}" or "{name}" at the start of rs and returns
// its value and length.
func placeholder(rs []rune, v TemplateVars) (string, int, error) {
	if len(rs) >= 2 && rs[0] == rs[1] {
		return string(rs[0]), 2, nil // {{ or }}
	}
	if rs[0] == '}' {
		return "", 0, fmt.Errorf("lone } (write }} for a brace)")
	}
	end := slices.Index(rs, '}')
	if end < 0 {
		return "", 0, fmt.Errorf("unterminated { (write {{ for a brace)")
	}
	name := string(rs[1:end])
	switch name {
	case "host":
		return v.host(), end + 1, nil
	case "port":
		return strconv.Itoa(v.Port), end + 1, nil
	case "username":
		if v.Username == "" {
			return "", 0, fmt.Errorf("{username} is used but no username is set")
		}
		return v.Username, end + 1, nil
	}
	return "", 0, fmt.Errorf("unknown placeholder {%s}: use {host}, {port} or {username}", name)
}

// ExpandURL expands a browser URL template; the host is bracketed when it is
// an IPv6 address and the username is escaped for a URL.
func ExpandURL(tmpl string, v TemplateVars) (string, error) {
	if err := v.check(); err != nil {
		return "", fmt.Errorf("expand %q: %w", tmpl, err)
	}
	host := v.host()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	esc := TemplateVars{Host: host, Port: v.Port, Username: url.PathEscape(v.Username)}
	var b strings.Builder
	rs := []rune(tmpl)
	for i := 0; i < len(rs); i++ {
		if rs[i] != '{' && rs[i] != '}' {
			b.WriteRune(rs[i])
			continue
		}
		val, n, err := placeholder(rs[i:], esc)
		if err != nil {
			return "", fmt.Errorf("expand %q: %w", tmpl, err)
		}
		b.WriteString(val)
		i += n - 1
	}
	u := b.String()
	if err := checkBrowserURL(u); err != nil {
		return "", err
	}
	return u, nil
}

// AppSpec asks Launch to start a client application against a tunnel port.
type AppSpec struct {
	App      App
	Host     string // tunnel listener; default "127.0.0.1"
	Port     int    // tunnel port
	Username string
	Title    string // terminal window title for terminal apps
}

func (AppSpec) spec() {}

// LogValue describes the spec for slog.
func (s AppSpec) LogValue() slog.Value {
	return slog.GroupValue(slog.String("app", s.App.Name), slog.Int("port", s.Port))
}

func (l *Launcher) appPlan(goos string, s AppSpec) (*plan, error) {
	vars := TemplateVars{Host: s.Host, Port: s.Port, Username: s.Username}
	if s.App.URL != "" {
		u, err := ExpandURL(s.App.URL, vars)
		if err != nil {
			return nil, err
		}
		return l.buildPlan(goos, URLSpec{URL: u})
	}
	argv, err := ExpandTemplate(s.App.Template, vars)
	if err != nil {
		return nil, err
	}
	prog, err := l.lookPath(argv[0])
	if err != nil {
		pkg := s.App.Package
		if pkg == "" {
			pkg = packageFor(goos, argv[0])
		}
		return nil, &NotFoundError{Program: argv[0], Package: pkg}
	}
	argv[0] = prog
	if !s.App.Terminal {
		return &plan{argv: argv}, nil
	}
	title := s.Title
	if title == "" {
		title = s.App.Name + " " + net.JoinHostPort(vars.host(), strconv.Itoa(s.Port))
	}
	return l.terminalPlan(goos, title, argv)
}

// terminalPlan runs cmd in the configured terminal.
func (l *Launcher) terminalPlan(goos, title string, cmd []string) (*plan, error) {
	term, err := l.findTerminal(goos)
	if err != nil {
		return nil, err
	}
	argv, detached, err := TerminalArgv(term, title, cmd)
	if err != nil {
		return nil, err
	}
	return &plan{argv: argv, detached: detached, sys: sysAttr{newConsole: term.Kind == "console"}}, nil
}
