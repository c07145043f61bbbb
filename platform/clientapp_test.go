package platform

import (
	"reflect"
	"strings"
	"testing"
)

func TestExpandTemplate(t *testing.T) {
	v := TemplateVars{Port: 50432, Username: "alice"}
	tests := []struct {
		tmpl string
		vars TemplateVars
		want []string
	}{
		{"psql -h {host} -p {port} -U {username}", v, []string{"psql", "-h", "127.0.0.1", "-p", "50432", "-U", "alice"}},
		{"sqlcmd -S tcp:{host},{port}", v, []string{"sqlcmd", "-S", "tcp:127.0.0.1,50432"}},
		{"  spaced   out  ", v, []string{"spaced", "out"}},
		{`"C:\Program Files\DBeaver\dbeaver.exe" -con "host={host}|port={port}"`, v,
			[]string{`C:\Program Files\DBeaver\dbeaver.exe`, "-con", "host=127.0.0.1|port=50432"}},
		{`tool '' "" x`, v, []string{"tool", "", "", "x"}},
		{`tool a"b c"d`, v, []string{"tool", "ab cd"}},
		{"tool {{literal}} }}", v, []string{"tool", "{literal}", "}"}},
		{"mysql -u {username}", TemplateVars{Port: 1, Username: "John Smith; rm -rf /"}, []string{"mysql", "-u", "John Smith; rm -rf /"}},
		{`tool "{username}"`, TemplateVars{Port: 1, Username: `a"b'c`}, []string{"tool", `a"b'c`}},
		{"nc {host} {port}", TemplateVars{Host: "::1", Port: 80}, []string{"nc", "::1", "80"}},
	}
	for _, tc := range tests {
		got, err := ExpandTemplate(tc.tmpl, tc.vars)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ExpandTemplate(%q) = %q, %v, want %q", tc.tmpl, got, err, tc.want)
		}
	}
}

func TestExpandTemplateErrors(t *testing.T) {
	v := TemplateVars{Port: 50432, Username: "alice"}
	tests := []struct {
		tmpl string
		vars TemplateVars
	}{
		{"", v},
		{"   ", v},
		{`psql "unterminated`, v},
		{"psql {hots}", v},
		{"psql {host", v},
		{"psql host}", v},
		{"psql -U {username}", TemplateVars{Port: 1}},
		{"psql -U {username}", TemplateVars{Port: 1, Username: "-c drop"}},
		{"psql", TemplateVars{Port: 0}},
		{"psql", TemplateVars{Port: 1, Host: "a b"}},
		{"--help", v},
		{"psql\n-c", v},
		{`"" x`, v},
	}
	for _, tc := range tests {
		if got, err := ExpandTemplate(tc.tmpl, tc.vars); err == nil {
			t.Errorf("ExpandTemplate(%q, %+v) = %q, want an error", tc.tmpl, tc.vars, got)
		}
	}
}

func TestExpandURL(t *testing.T) {
	tests := []struct {
		tmpl string
		vars TemplateVars
		want string
	}{
		{"http://{host}:{port}/", TemplateVars{Port: 8080}, "http://127.0.0.1:8080/"},
		{"https://{host}:{port}/login?u={username}", TemplateVars{Host: "::1", Port: 8443, Username: "a b/c"}, "https://[::1]:8443/login?u=a%20b%2Fc"},
	}
	for _, tc := range tests {
		got, err := ExpandURL(tc.tmpl, tc.vars)
		if err != nil || got != tc.want {
			t.Errorf("ExpandURL(%q) = %q, %v, want %q", tc.tmpl, got, err, tc.want)
		}
	}
	for _, bad := range []string{"file:///etc/passwd", "javascript:alert(1)", "http://{nope}/", "http:// {host}/"} {
		if got, err := ExpandURL(bad, TemplateVars{Port: 1}); err == nil {
			t.Errorf("ExpandURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestBuiltinApps(t *testing.T) {
	names := map[string]bool{}
	for _, a := range BuiltinApps() {
		if names[a.Name] {
			t.Errorf("BuiltinApps() has %q twice", a.Name)
		}
		names[a.Name] = true
		vars := TemplateVars{Port: 1234, Username: "u"}
		if a.URL != "" {
			if _, err := ExpandURL(a.URL, vars); err != nil {
				t.Errorf("built-in %q: ExpandURL() = %v", a.Name, err)
			}
		} else if _, err := ExpandTemplate(a.Template, vars); err != nil {
			t.Errorf("built-in %q: ExpandTemplate() = %v", a.Name, err)
		}
	}
	tests := []struct {
		port int
		want []string
	}{
		{5432, []string{"PostgreSQL (psql)"}},
		{443, []string{"Browser (HTTPS)"}},
		{8080, []string{"Browser (HTTP)"}},
		{3306, []string{"MySQL (mysql)"}},
		{1433, []string{"SQL Server (sqlcmd)"}},
		{22, nil},
	}
	for _, tc := range tests {
		var got []string
		for _, a := range AppsForPort(BuiltinApps(), tc.port) {
			got = append(got, a.Name)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("AppsForPort(%d) = %q, want %q", tc.port, got, tc.want)
		}
	}
}

func TestAppPlan(t *testing.T) {
	psql := BuiltinApps()[2]
	tests := []struct {
		name     string
		goos     string
		sys      fakeSystem
		spec     AppSpec
		want     []string
		detached bool
	}{
		{
			name: "psql in xterm", goos: "linux",
			sys:  fakeSystem{programs: map[string]string{"psql": "/usr/bin/psql", "xterm": "/usr/bin/xterm"}, env: []string{"TERMINAL="}},
			spec: AppSpec{App: psql, Port: 50432, Username: "alice"},
			want: []string{"/usr/bin/xterm", "-T", "PostgreSQL (psql) 127.0.0.1:50432", "-e", "/usr/bin/psql", "-h", "127.0.0.1", "-p", "50432", "-U", "alice"},
		},
		{
			name: "gui app runs directly", goos: "linux",
			sys:  fakeSystem{programs: map[string]string{"dbeaver": "/usr/bin/dbeaver"}},
			spec: AppSpec{App: App{Name: "DBeaver", Template: "dbeaver -con host={host}|port={port}"}, Port: 50432},
			want: []string{"/usr/bin/dbeaver", "-con", "host=127.0.0.1|port=50432"},
		},
		{
			name: "browser linux", goos: "linux",
			sys:  fakeSystem{programs: map[string]string{"xdg-open": "/usr/bin/xdg-open"}},
			spec: AppSpec{App: BuiltinApps()[0], Port: 50080},
			want: []string{"/usr/bin/xdg-open", "http://127.0.0.1:50080/"}, detached: true,
		},
		{
			name: "browser macos", goos: "darwin",
			sys:  fakeSystem{programs: map[string]string{"open": "/usr/bin/open"}},
			spec: AppSpec{App: BuiltinApps()[1], Port: 50443},
			want: []string{"/usr/bin/open", "https://127.0.0.1:50443/"}, detached: true,
		},
		{
			name: "browser windows", goos: "windows",
			sys:  fakeSystem{programs: map[string]string{"rundll32": `C:\Windows\System32\rundll32.exe`}},
			spec: AppSpec{App: BuiltinApps()[0], Port: 50080},
			want: []string{`C:\Windows\System32\rundll32.exe`, "url.dll,FileProtocolHandler", "http://127.0.0.1:50080/"}, detached: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := newFakeLauncher(t, tc.sys, Config{}).buildPlan(tc.goos, tc.spec)
			if err != nil {
				t.Fatalf("buildPlan() error = %v", err)
			}
			if !reflect.DeepEqual(p.argv, tc.want) || p.detached != tc.detached {
				t.Errorf("plan = %q detached %v, want %q detached %v", p.argv, p.detached, tc.want, tc.detached)
			}
		})
	}
	t.Run("missing program names the package", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{}, Config{}).buildPlan("linux", AppSpec{App: psql, Port: 1, Username: "u"})
		wantNotFound(t, err, "psql", "postgresql-client")
	})
	t.Run("missing program with the app's own package", func(t *testing.T) {
		_, err := newFakeLauncher(t, fakeSystem{}, Config{}).buildPlan("linux", AppSpec{App: App{Template: "dbeaver", Package: "dbeaver-ce (snap)"}, Port: 1})
		wantNotFound(t, err, "dbeaver", "dbeaver-ce (snap)")
	})
}

// FuzzExpandTemplate checks that values never change how a template splits
// into arguments, whatever they contain.
func FuzzExpandTemplate(f *testing.F) {
	for _, s := range []string{
		"psql -h {host} -p {port} -U {username}", `"a b" '{username}' {{x}}`, `x"{username}"y`, "x {", "x }", `x "`,
	} {
		f.Add(s, "John O'Neil \"x\" y")
	}
	const marker = "ZqZ"
	f.Fuzz(func(t *testing.T, tmpl, user string) {
		if len(tmpl) > 1<<10 || len(user) > 256 || strings.Contains(tmpl, marker) {
			return
		}
		want, err := ExpandTemplate(tmpl, TemplateVars{Port: 8080, Username: marker})
		if err != nil {
			return
		}
		if len(want) == 0 || want[0] == "" {
			t.Fatalf("ExpandTemplate(%q) = %q: empty program", tmpl, want)
		}
		odd := TemplateVars{Port: 8080, Username: user}
		got, err := ExpandTemplate(tmpl, odd)
		if err != nil {
			if odd.check() == nil && user != "" {
				t.Fatalf("ExpandTemplate(%q, user %q) = %v, but it worked with user %s", tmpl, user, err, marker)
			}
			return
		}
		if len(got) != len(want) {
			t.Fatalf("ExpandTemplate(%q): %d args with user %s, %d with user %q: %q", tmpl, len(want), marker, len(got), user, got)
		}
		for i := range got {
			if w := strings.ReplaceAll(want[i], marker, user); got[i] != w {
				t.Fatalf("ExpandTemplate(%q, user %q) arg %d = %q, want %q", tmpl, user, i, got[i], w)
			}
		}
	})
}
