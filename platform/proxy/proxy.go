package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// Mode is where the proxy settings come from.
type Mode string

// Proxy modes.
const (
	// ModeSystem uses the operating system's settings: the environment
	// (HTTPS_PROXY, NO_PROXY) on Linux, WinINet's (Internet Options,
	// with its auto-config URL) on Windows, System Configuration's on
	// macOS. The zero Mode.
	ModeSystem Mode = ""
	ModeManual Mode = "manual" // one proxy, Settings.Address
	ModePAC    Mode = "pac"    // the PAC file at Settings.PACURL
	ModeDirect Mode = "direct" // no proxy
)

// ParseMode reads "system" (or ""), "manual", "pac" or "direct".
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "system":
		return ModeSystem, nil
	case "manual":
		return ModeManual, nil
	case "pac", "auto-config", "autoconfig":
		return ModePAC, nil
	case "direct", "none":
		return ModeDirect, nil
	}
	return "", fmt.Errorf("proxy mode %q: want system, manual, pac or direct", s)
}

// String is the mode as the settings show it.
func (m Mode) String() string {
	if m == ModeSystem {
		return "system"
	}
	return string(m)
}

// Settings are the user's proxy settings. The zero value is the system's.
type Settings struct {
	Mode Mode
	// Address is the manual proxy: host:port or http://host:port.
	Address string
	// PACURL is the PAC file: http(s)://… or file://….
	PACURL string
	// NoProxy lists hosts reached directly in manual mode, as NO_PROXY
	// does: comma-separated names, .domains, IPs and CIDRs.
	NoProxy string
	// Username and Password authenticate to whichever proxy is picked
	// (Basic), unless its address carries its own credentials. The
	// password never appears in errors or logs.
	Username string
	Password string
}

// LogValue implements slog.LogValuer: Settings hold the proxy password.
func (s Settings) LogValue() slog.Value { return slog.StringValue(s.String()) }

// String describes the settings without the password.
func (s Settings) String() string {
	d := s.Mode.String()
	switch s.Mode {
	case ModeManual:
		d += " " + s.Address
	case ModePAC:
		d += " " + s.PACURL
	}
	if s.Username != "" {
		d += " as " + s.Username
	}
	return d
}

// ErrUnsupportedProxy reports a proxy iapdesk cannot use: the relay is
// reached through HTTP CONNECT proxies only (SOCKS is refused, as gcloud
// refuses it).
var ErrUnsupportedProxy = errors.New("unsupported proxy type")

// ParseAddress reads a proxy address as a user types it: host:port,
// http://host:port or https://host:port, with optional user:password@.
// The port defaults to 80 (http) or 443 (https).
func ParseAddress(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty proxy address")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("proxy address %q: %w", redactURL(s), err)
	}
	switch u.Scheme {
	case "http", "https":
	case "socks", "socks4", "socks5", "socks5h":
		return nil, fmt.Errorf("proxy address %s: %w: %s (only HTTP proxies can carry the tunnel)", u.Redacted(), ErrUnsupportedProxy, u.Scheme)
	default:
		return nil, fmt.Errorf("proxy address %s: %w: %s", u.Redacted(), ErrUnsupportedProxy, u.Scheme)
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("proxy address %s: want host:port", u.Redacted())
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("proxy address %s: port %q is not 1-65535", u.Redacted(), p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("proxy address %s: empty port", u.Redacted())
	}
	u.Path = ""
	return u, nil
}

// redactURL hides a password in a string that may not parse as a URL.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return "…@" + s[i+1:]
	}
	return s
}

// Entry is one choice of a PAC answer: a proxy (host:port, with its
// scheme) or DIRECT (nil URL).
type Entry struct {
	Proxy *url.URL // nil for DIRECT
}

// ParsePACResult parses a FindProxyForURL answer such as "PROXY a:3128;
// HTTPS b:443; SOCKS c:1080; DIRECT" into the entries iapdesk can use, in
// order: PROXY and HTTP are http proxies, HTTPS an https proxy, DIRECT a
// direct connection; SOCKS entries are skipped (not usable for the relay).
// An empty answer means DIRECT.
func ParsePACResult(s string) ([]Entry, error) {
	var out []Entry
	skipped := false
	for part := range strings.SplitSeq(s, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		kind := strings.ToUpper(f[0])
		if kind == "DIRECT" {
			if len(f) != 1 {
				return nil, fmt.Errorf("PAC answer %q: DIRECT takes no address", s)
			}
			out = append(out, Entry{})
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("PAC answer %q: %s wants one host:port", s, kind)
		}
		scheme := ""
		switch kind {
		case "PROXY", "HTTP":
			scheme = "http"
		case "HTTPS":
			scheme = "https"
		case "SOCKS", "SOCKS4", "SOCKS5":
			skipped = true
			continue
		default:
			return nil, fmt.Errorf("PAC answer %q: unknown kind %s", s, f[0])
		}
		host, port, err := net.SplitHostPort(f[1])
		if err != nil || host == "" {
			return nil, fmt.Errorf("PAC answer %q: %s is not host:port", s, f[1])
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("PAC answer %q: port %q is not 1-65535", s, port)
		}
		pu, err := url.Parse(scheme + "://" + net.JoinHostPort(host, port))
		if err != nil || pu.Hostname() != host || strings.ContainsAny(host, "/?#@%") {
			return nil, fmt.Errorf("PAC answer %q: %s is not host:port", s, f[1])
		}
		out = append(out, Entry{Proxy: pu})
	}
	if len(out) == 0 {
		if skipped {
			return nil, fmt.Errorf("PAC answer %q: %w: only SOCKS proxies", s, ErrUnsupportedProxy)
		}
		return []Entry{{}}, nil
	}
	return out, nil
}

// Resolver picks the proxy for each request. Its Proxy method is an
// http.Transport's Proxy and a tunnel.Dialer's.
type Resolver struct {
	desc  string
	pick  func(u *url.URL) (*url.URL, error)
	creds *url.Userinfo // added to a picked proxy that has none
}

// Options adjust New.
type Options struct {
	// HTTPClient fetches PAC files; nil: a direct client with a 30 s
	// timeout (PAC files are fetched without a proxy, as browsers do).
	HTTPClient *http.Client
	// System reads the OS settings; nil: the platform's (SystemSettings).
	// Tests substitute fixed settings.
	System func(ctx context.Context) (System, error)
}

// System is what the operating system says about proxies.
type System struct {
	// From names where these settings come from, e.g. "environment",
	// "WinINet", "System Configuration".
	From string
	// AutoConfigURL is the PAC file to use, when set (it wins over Proxy).
	AutoConfigURL string
	// Proxy is the HTTPS proxy, "" for none.
	Proxy string
	// Bypass lists hosts reached directly, NO_PROXY style.
	Bypass string
	// env is set for the environment: httpproxy's own rules apply.
	env *httpproxy.Config
}

// New builds the resolver for s. It fetches and compiles a PAC file (the
// system's auto-config URL, or Settings.PACURL) now, so a broken one is
// reported at once.
func New(ctx context.Context, s Settings, o Options) (*Resolver, error) {
	r := &Resolver{}
	if s.Username != "" {
		r.creds = url.UserPassword(s.Username, s.Password)
	}
	switch s.Mode {
	case ModeDirect:
		r.desc = "direct"
		r.pick = func(*url.URL) (*url.URL, error) { return nil, nil }
	case ModeManual:
		pu, err := ParseAddress(s.Address)
		if err != nil {
			return nil, err
		}
		cfg := &httpproxy.Config{HTTPProxy: pu.String(), HTTPSProxy: pu.String(), NoProxy: s.NoProxy}
		pf := cfg.ProxyFunc()
		r.desc = "proxy " + pu.Redacted()
		r.pick = pf
	case ModePAC:
		pac, err := loadPAC(ctx, s.PACURL, o.HTTPClient)
		if err != nil {
			return nil, err
		}
		r.desc = "PAC file " + redactURL(s.PACURL)
		r.pick = pacPicker(pac)
	case ModeSystem:
		sys := o.System
		if sys == nil {
			sys = SystemSettings
		}
		st, err := sys(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the system proxy settings: %w", err)
		}
		switch {
		case st.AutoConfigURL != "":
			pac, err := loadPAC(ctx, st.AutoConfigURL, o.HTTPClient)
			if err != nil {
				return nil, err
			}
			r.desc = "system (" + st.From + "): PAC file " + redactURL(st.AutoConfigURL)
			r.pick = pacPicker(pac)
		case st.env != nil:
			r.desc = "system (" + st.From + ")"
			r.pick = st.env.ProxyFunc()
		case st.Proxy != "":
			pu, err := ParseAddress(st.Proxy)
			if err != nil {
				return nil, fmt.Errorf("system proxy (%s): %w", st.From, err)
			}
			r.desc = "system (" + st.From + "): proxy " + pu.Redacted()
			r.pick = (&httpproxy.Config{HTTPProxy: pu.String(), HTTPSProxy: pu.String(), NoProxy: st.Bypass}).ProxyFunc()
		default:
			r.desc = "system (" + st.From + "): direct"
			r.pick = func(*url.URL) (*url.URL, error) { return nil, nil }
		}
	default:
		return nil, fmt.Errorf("proxy mode %q: want system, manual, pac or direct", s.Mode)
	}
	return r, nil
}

// String describes the resolver, without credentials: "system
// (environment)", "proxy http://proxy:3128", "PAC file https://…".
func (r *Resolver) String() string { return r.desc }

// Proxy returns the proxy for req (nil: connect directly), with the
// configured credentials when the proxy's own address has none.
func (r *Resolver) Proxy(req *http.Request) (*url.URL, error) {
	u, err := r.pick(req.URL)
	if err != nil || u == nil {
		return u, err
	}
	if u.User == nil && r.creds != nil {
		c := *u
		c.User = r.creds
		u = &c
	}
	return u, nil
}

// pacPicker returns the first entry of the PAC answer iapdesk can use.
// Browsers fail over to the next entry when a proxy is down; an HTTP
// transport takes one proxy per request, so the first one is it.
func pacPicker(pac *PAC) func(u *url.URL) (*url.URL, error) {
	return func(u *url.URL) (*url.URL, error) {
		ans, err := pac.FindProxyForURL(u)
		if err != nil {
			return nil, err
		}
		entries, err := ParsePACResult(ans)
		if err != nil {
			return nil, &PACError{URL: pac.source, Err: err}
		}
		return entries[0].Proxy, nil
	}
}

// maxPACSize bounds a PAC file.
const maxPACSize = 1 << 20

// loadPAC fetches and compiles the PAC file at raw (http, https or file).
func loadPAC(ctx context.Context, raw string, hc *http.Client) (*PAC, error) {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return nil, &PACError{URL: raw, Err: errors.New("not a URL")}
	}
	var script []byte
	switch u.Scheme {
	case "file":
		p := u.Path
		if u.Host != "" && u.Host != "localhost" { // file://server/share/proxy.pac
			p = "//" + u.Host + u.Path
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, &PACError{URL: raw, Err: err}
		}
		defer f.Close()
		if script, err = io.ReadAll(io.LimitReader(f, maxPACSize+1)); err != nil {
			return nil, &PACError{URL: raw, Err: err}
		}
	case "http", "https":
		if hc == nil {
			hc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
		if err != nil {
			return nil, &PACError{URL: redactURL(raw), Err: err}
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, &PACError{URL: redactURL(raw), Err: err}
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, &PACError{URL: redactURL(raw), Err: fmt.Errorf("HTTP %s", resp.Status)}
		}
		if script, err = io.ReadAll(io.LimitReader(resp.Body, maxPACSize+1)); err != nil {
			return nil, &PACError{URL: redactURL(raw), Err: err}
		}
	default:
		return nil, &PACError{URL: redactURL(raw), Err: fmt.Errorf("scheme %q: want http, https or file", u.Scheme)}
	}
	if len(script) > maxPACSize {
		return nil, &PACError{URL: redactURL(raw), Err: fmt.Errorf("larger than %d bytes", maxPACSize)}
	}
	return CompilePAC(redactURL(raw), string(script))
}

// FromGcloudEnv reads gcloud's proxy properties from the environment, as
// `gcloud config set proxy/…` names them: CLOUDSDK_PROXY_TYPE (http only;
// socks is refused as gcloud refuses it for IAP tunnels),
// CLOUDSDK_PROXY_ADDRESS, CLOUDSDK_PROXY_PORT, CLOUDSDK_PROXY_USERNAME and
// CLOUDSDK_PROXY_PASSWORD. ok is false when no proxy address is set.
func FromGcloudEnv(getenv func(string) string) (s Settings, ok bool, err error) {
	addr := getenv("CLOUDSDK_PROXY_ADDRESS")
	if addr == "" {
		return Settings{}, false, nil
	}
	typ := strings.ToLower(getenv("CLOUDSDK_PROXY_TYPE"))
	switch typ {
	case "", "http", "http_no_tunnel":
	default:
		return Settings{}, false, fmt.Errorf("CLOUDSDK_PROXY_TYPE=%s: %w (IAP tunnels need an http proxy)", typ, ErrUnsupportedProxy)
	}
	if port := getenv("CLOUDSDK_PROXY_PORT"); port != "" {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), port)
	}
	if _, err := ParseAddress(addr); err != nil {
		return Settings{}, false, fmt.Errorf("CLOUDSDK_PROXY_ADDRESS/PORT: %w", err)
	}
	return Settings{Mode: ModeManual, Address: addr, Username: getenv("CLOUDSDK_PROXY_USERNAME"),
		Password: getenv("CLOUDSDK_PROXY_PASSWORD")}, true, nil
}

// envSystem is the environment's settings (HTTPS_PROXY, NO_PROXY and their
// lower-case forms), read now.
func envSystem() System {
	return System{From: "environment", env: httpproxy.FromEnvironment()}
}

// ErrProxyAuth reports that the proxy refused a CONNECT for lack of (or
// wrong) credentials: HTTP 407.
var ErrProxyAuth = errors.New("proxy authentication failed")

// ConnectError is a CONNECT request the proxy did not grant. It unwraps to
// ErrProxyAuth for 407.
type ConnectError struct {
	Proxy       string // host:port, never the credentials
	StatusCode  int
	Status      string
	Credentials bool // credentials were sent
}

// Error names the proxy and its answer.
func (e *ConnectError) Error() string {
	return fmt.Sprintf("proxy %s answered CONNECT with %s", e.Proxy, e.Status)
}

// Unwrap returns ErrProxyAuth for 407, else nil.
func (e *ConnectError) Unwrap() error {
	if e.StatusCode == http.StatusProxyAuthRequired {
		return ErrProxyAuth
	}
	return nil
}

// CheckConnectResponse is an http.Transport's OnProxyConnectResponse: a
// CONNECT that was not granted becomes a *ConnectError naming the proxy.
func CheckConnectResponse(proxyURL *url.URL, res *http.Response) error {
	if res.StatusCode == http.StatusOK {
		return nil
	}
	return &ConnectError{Proxy: proxyURL.Host, StatusCode: res.StatusCode, Status: res.Status, Credentials: proxyURL.User != nil}
}
