package proxy_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"iapdesk/platform/proxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// corpPAC routes the IAP relay through the corporate proxy and Google's
// APIs direct, with the standard PAC functions an administrator uses.
const corpPAC = `
function FindProxyForURL(url, host) {
  if (isPlainHostName(host) || localHostOrDomainIs(host, "intranet.corp")) return "DIRECT";
  if (dnsDomainIs(host, ".googleapis.com")) return "DIRECT";
  if (shExpMatch(host, "*tunnel.cloudproxy.app")) return "PROXY proxy.corp:3128; DIRECT";
  if (isInNet(host, "10.0.0.0", "255.0.0.0")) return "DIRECT";
  if (dnsDomainLevels(host) > 3) return "HTTPS secure-proxy.corp:443";
  if (url.indexOf("?") >= 0) return "PROXY leaked-query:1";
  if (!weekdayRange("SUN", "SAT") || !timeRange(0, 24) || !dateRange(1, 31)) return "PROXY clock-broken:1";
  return "SOCKS socks.corp:1080; PROXY fallback.corp:8080";
}`

func req(t *testing.T, raw string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPACRoutes: a PAC file evaluated by the JavaScript engine with the
// standard functions sends the relay host through the proxy and the API
// hosts direct, skips SOCKS, never sees an https URL's path or query, and
// the configured credentials go to whichever proxy it picks.
func TestPACRoutes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-ns-proxy-autoconfig")
		_, _ = w.Write([]byte(corpPAC))
	}))
	defer srv.Close()
	r, err := proxy.New(context.Background(), proxy.Settings{Mode: proxy.ModePAC, PACURL: srv.URL + "/proxy.pac",
		Username: "alice", Password: "s3cret"}, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ url, want string }{
		{"https://tunnel.cloudproxy.app/v4/connect?project=p&zone=z", "http://alice:s3cret@proxy.corp:3128"},
		{"https://mtls.tunnel.cloudproxy.app/v4/connect?project=p", "http://alice:s3cret@proxy.corp:3128"},
		{"https://compute.googleapis.com/compute/v1/projects/p", ""},
		{"https://oauth2.googleapis.com/token", ""},
		{"http://wpad/", ""},
		{"https://intranet.corp/", ""},
		{"https://10.1.2.3/", ""},
		{"https://a.b.c.d.example/", "https://alice:s3cret@secure-proxy.corp:443"},
		{"https://example.com/?q=1", "http://alice:s3cret@fallback.corp:8080"},
	} {
		got, err := r.Proxy(req(t, tc.url))
		if err != nil {
			t.Errorf("Proxy(%q) error = %v", tc.url, err)
			continue
		}
		s := ""
		if got != nil {
			s = got.String()
		}
		if s != tc.want {
			t.Errorf("Proxy(%q) = %q, want %q", tc.url, s, tc.want)
		}
	}
	if s := r.String(); s != "PAC file "+srv.URL+"/proxy.pac" {
		t.Errorf("String() = %q", s)
	}
}

// TestPACErrors: a PAC file that does not compile, lacks FindProxyForURL,
// loops or answers nonsense is a *PACError, never a hang or a panic.
func TestPACErrors(t *testing.T) {
	defer proxy.SetPACTimeout(200 * time.Millisecond)()
	dir := t.TempDir()
	for _, tc := range []struct{ name, script, url string }{
		{"syntax", "function FindProxyForURL(url, host) { return ", "https://x/"},
		{"no function", "var x = 1;", "https://x/"},
		{"endless loop", "function FindProxyForURL(url, host) { for (;;) {} }", "https://x/"},
		{"throws", "function FindProxyForURL(url, host) { throw new Error('no'); }", "https://x/"},
		{"not a string", "function FindProxyForURL(url, host) { return 42; }", "https://x/"},
		{"nonsense", "function FindProxyForURL(url, host) { return 'TELEPORT x:1'; }", "https://x/"},
		{"only socks", "function FindProxyForURL(url, host) { return 'SOCKS5 s:1080'; }", "https://x/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".pac")
			if err := os.WriteFile(p, []byte(tc.script), 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := proxy.New(context.Background(), proxy.Settings{Mode: proxy.ModePAC, PACURL: "file://" + p}, proxy.Options{})
			if err == nil {
				_, err = r.Proxy(req(t, tc.url))
			}
			if !errors.Is(err, proxy.ErrPAC) {
				t.Fatalf("PAC %q: error = %v, want ErrPAC", tc.script, err)
			}
		})
	}
}

// TestManualAndSystem: a manual proxy (with NO_PROXY-style exceptions) and
// the system's settings, as each OS reports them.
func TestManualAndSystem(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    proxy.Settings
		sys  proxy.System
		url  string
		want string
	}{
		{"manual", proxy.Settings{Mode: proxy.ModeManual, Address: "proxy.corp:3128"}, proxy.System{}, "https://tunnel.cloudproxy.app/v4", "http://proxy.corp:3128"},
		{"manual with credentials", proxy.Settings{Mode: proxy.ModeManual, Address: "proxy.corp:3128", Username: "bob", Password: "pw"}, proxy.System{}, "https://tunnel.cloudproxy.app/", "http://bob:pw@proxy.corp:3128"},
		{"manual bypass", proxy.Settings{Mode: proxy.ModeManual, Address: "proxy.corp:3128", NoProxy: ".googleapis.com"}, proxy.System{}, "https://compute.googleapis.com/", ""},
		{"direct", proxy.Settings{Mode: proxy.ModeDirect}, proxy.System{}, "https://tunnel.cloudproxy.app/", ""},
		{"system proxy", proxy.Settings{}, proxy.System{From: "WinINet", Proxy: "winproxy:8080", Bypass: ".corp"}, "https://tunnel.cloudproxy.app/", "http://winproxy:8080"},
		{"system bypass", proxy.Settings{}, proxy.System{From: "WinINet", Proxy: "winproxy:8080", Bypass: ".corp"}, "https://intranet.corp/", ""},
		{"system direct", proxy.Settings{}, proxy.System{From: "System Configuration"}, "https://tunnel.cloudproxy.app/", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := tc.sys
			r, err := proxy.New(context.Background(), tc.s, proxy.Options{System: func(context.Context) (proxy.System, error) { return sys, nil }})
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Proxy(req(t, tc.url))
			if err != nil {
				t.Fatal(err)
			}
			s := ""
			if got != nil {
				s = got.String()
			}
			if s != tc.want {
				t.Errorf("Proxy(%q) with %v = %q, want %q", tc.url, tc.s, s, tc.want)
			}
		})
	}
}

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		wantErr  error
	}{
		{"proxy.corp:3128", "http://proxy.corp:3128", nil},
		{"http://proxy.corp:3128/", "http://proxy.corp:3128", nil},
		{"https://proxy.corp", "https://proxy.corp", nil},
		{"[::1]:3128", "http://[::1]:3128", nil},
		{"socks5://s:1080", "", proxy.ErrUnsupportedProxy},
		{"proxy.corp:99999", "", nil},
		{"http://proxy.corp:3128/path", "", nil},
		{"", "", nil},
	} {
		u, err := proxy.ParseAddress(tc.in)
		got := ""
		if u != nil {
			got = u.String()
		}
		if got != tc.want || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || (tc.want == "" && err == nil) {
			t.Errorf("ParseAddress(%q) = %q, %v, want %q, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParsePACResult(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"PROXY a:3128; DIRECT", []string{"http://a:3128", ""}, false},
		{"  proxy a:1 ;;  HTTPS b:443", []string{"http://a:1", "https://b:443"}, false},
		{"SOCKS s:1; HTTP h:80", []string{"http://h:80"}, false},
		{"", []string{""}, false},
		{"PROXY [::1]:8080", []string{"http://[::1]:8080"}, false},
		{"PROXY a", nil, true},
		{"DIRECT x", nil, true},
		{"PROXY a:0", nil, true},
		{"SOCKS5 s:1080", nil, true},
	} {
		es, err := proxy.ParsePACResult(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParsePACResult(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		var got []string
		for _, e := range es {
			s := ""
			if e.Proxy != nil {
				s = e.Proxy.String()
			}
			got = append(got, s)
		}
		if len(got) != len(tc.want) {
			t.Errorf("ParsePACResult(%q) = %q, want %q", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ParsePACResult(%q) = %q, want %q", tc.in, got, tc.want)
				break
			}
		}
	}
}

// TestFromGcloudEnv: gcloud's proxy/* properties as environment variables.
func TestFromGcloudEnv(t *testing.T) {
	env := map[string]string{"CLOUDSDK_PROXY_TYPE": "http", "CLOUDSDK_PROXY_ADDRESS": "proxy.corp",
		"CLOUDSDK_PROXY_PORT": "3128", "CLOUDSDK_PROXY_USERNAME": "alice", "CLOUDSDK_PROXY_PASSWORD": "pw"}
	s, ok, err := proxy.FromGcloudEnv(func(k string) string { return env[k] })
	if err != nil || !ok || s.Mode != proxy.ModeManual || s.Address != "proxy.corp:3128" || s.Username != "alice" || s.Password != "pw" {
		t.Errorf("FromGcloudEnv(%v) = %+v, %v, %v", env, s, ok, err)
	}
	env["CLOUDSDK_PROXY_TYPE"] = "socks5"
	if _, _, err := proxy.FromGcloudEnv(func(k string) string { return env[k] }); !errors.Is(err, proxy.ErrUnsupportedProxy) {
		t.Errorf("FromGcloudEnv(socks5) error = %v, want ErrUnsupportedProxy", err)
	}
	if _, ok, err := proxy.FromGcloudEnv(func(string) string { return "" }); ok || err != nil {
		t.Errorf("FromGcloudEnv(empty) = %v, %v, want not set", ok, err)
	}
	if s.String() != "manual proxy.corp:3128 as alice" {
		t.Errorf("Settings.String() = %q, want no password", s.String())
	}
}

// TestSystemParsers: the Windows and macOS settings as their stores hold
// them.
func TestSystemParsers(t *testing.T) {
	p, b := proxy.ParseWinINetProxy("http=h:80;https=s:443;ftp=f:21", "<local>;*.corp;10.*")
	if p != "s:443" || b != "localhost,127.0.0.1,::1,.corp,10.*" {
		t.Errorf("ParseWinINetProxy = %q, %q", p, b)
	}
	if p, _ := proxy.ParseWinINetProxy("one:8080", ""); p != "one:8080" {
		t.Errorf("ParseWinINetProxy(one) = %q", p)
	}
	blob := []byte{0x28, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 9, 0, 0, 0}
	blob = append(blob, "wproxy:80"...)
	blob = append(blob, 6, 0, 0, 0)
	blob = append(blob, "*.corp"...)
	if p, b, ok := proxy.ParseWinHTTPSettings(blob); !ok || p != "wproxy:80" || b != "*.corp" {
		t.Errorf("ParseWinHTTPSettings = %q, %q, %v", p, b, ok)
	}
	if _, _, ok := proxy.ParseWinHTTPSettings(blob[:14]); ok {
		t.Errorf("ParseWinHTTPSettings(truncated) ok")
	}
	out := `<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
    1 : 169.254/16
  }
  HTTPSEnable : 1
  HTTPSPort : 3128
  HTTPSProxy : proxy.corp
}`
	st := proxy.ParseScutilProxy(out)
	if st.Proxy != "proxy.corp:3128" || st.Bypass != ".local,169.254/16" || st.AutoConfigURL != "" {
		t.Errorf("ParseScutilProxy = %+v", st)
	}
	st = proxy.ParseScutilProxy("<dictionary> {\n  ProxyAutoConfigEnable : 1\n  ProxyAutoConfigURLString : http://wpad/proxy.pac\n}")
	if st.AutoConfigURL != "http://wpad/proxy.pac" {
		t.Errorf("ParseScutilProxy(PAC) = %+v", st)
	}
}

func FuzzParsePACResult(f *testing.F) {
	f.Add("PROXY a:3128; DIRECT")
	f.Fuzz(func(t *testing.T, s string) {
		es, err := proxy.ParsePACResult(s)
		if err != nil {
			return
		}
		if len(es) == 0 {
			t.Fatalf("ParsePACResult(%q) = no entries and no error", s)
		}
		for _, e := range es {
			if e.Proxy != nil {
				if _, err := url.Parse(e.Proxy.String()); err != nil || e.Proxy.Hostname() == "" {
					t.Fatalf("ParsePACResult(%q) = unusable proxy %q", s, e.Proxy)
				}
			}
		}
	})
}

func FuzzParseAddress(f *testing.F) {
	f.Add("proxy.corp:3128")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := proxy.ParseAddress(s)
		if err != nil {
			return
		}
		if u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") {
			t.Fatalf("ParseAddress(%q) = %q", s, u)
		}
		again, err := proxy.ParseAddress(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("ParseAddress(%q) = %q, which parses to %v, %v", s, u, again, err)
		}
	})
}
