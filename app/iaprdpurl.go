package app

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"iapdesk/app/settings"
	"iapdesk/internal/gcename"
	"iapdesk/platform"
)

// IAPRDPScheme is IAP Desktop's URL scheme, which iapdesk also handles.
const IAPRDPScheme = "iap-rdp"

// ErrInvalidURL reports a malformed iap-rdp:/// URL.
var ErrInvalidURL = errors.New("invalid iap-rdp URL")

// IAPRDPURL is a parsed iap-rdp:///PROJECT/ZONE/INSTANCE?… link, as IAP
// Desktop defines it: the host part is empty (iap-rdp:/// or iap-rdp:/),
// the path names the VM, and the query may carry some connection settings.
type IAPRDPURL struct {
	Instance InstanceRef
	// Port is the RdpPort parameter; 0 means 3389.
	Port int
	// Settings are the link's settings, a layer with SourceURL: they win
	// over the saved ones for this connection (Request.Overrides).
	Settings settings.Settings
	// Ignored says which query parameters were not applied and why
	// (unknown or unsupported names, out-of-range values, a password):
	// the link still opens, and the caller may log or show these.
	Ignored []string
}

// exampleURL is shown with every parse error.
const exampleURL = "iap-rdp:///my-project/us-central1-a/my-vm?username=alice"

// IsIAPRDPURL reports whether a command-line argument is an iap-rdp: link
// (so main hands it to ParseIAPRDPURL instead of treating it as a command).
func IsIAPRDPURL(arg string) bool {
	scheme, _, ok := strings.Cut(strings.TrimSpace(arg), ":")
	return ok && strings.EqualFold(scheme, IAPRDPScheme)
}

// maxURLLength bounds the input: links come from web pages and chat.
const maxURLLength = 8 << 10

// ParseIAPRDPURL parses an iap-rdp:/// link. The scheme is
// case-insensitive; "iap-rdp:/PROJECT/ZONE/INSTANCE" is accepted too, a
// host part ("iap-rdp://host/…") is not. Query parameter names are
// case-insensitive; supported ones are mapped to Settings (see
// docs/saved-connections.md), others are listed in Ignored. Errors are *UserError values
// wrapping ErrInvalidURL that say which part is wrong and show a good URL.
func ParseIAPRDPURL(s string) (IAPRDPURL, error) {
	fail := func(why string) (IAPRDPURL, error) {
		return IAPRDPURL{}, &UserError{What: "Cannot open the iap-rdp link", Why: why,
			Fix: "Use a link of the form iap-rdp:///PROJECT/ZONE/VM, for example " + exampleURL + ".",
			Err: fmt.Errorf("%w: %s", ErrInvalidURL, why)}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return fail("the link is empty")
	}
	if len(s) > maxURLLength {
		return fail(fmt.Sprintf("the link is %d characters long, more than %d", len(s), maxURLLength))
	}
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || !strings.EqualFold(scheme, IAPRDPScheme) {
		return fail(fmt.Sprintf("it does not start with %s:", IAPRDPScheme))
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 || strings.ContainsAny(s, " \\") {
		return fail("it contains spaces, backslashes or control characters")
	}
	u, err := url.Parse(IAPRDPScheme + ":" + rest)
	if err != nil {
		return fail(fmt.Sprintf("it is not a valid URL: %v", errors.Unwrap(err)))
	}
	switch {
	case u.Opaque != "":
		return fail("the path must start with /, as in iap-rdp:///PROJECT/ZONE/VM")
	case u.User != nil || u.Host != "":
		return fail(fmt.Sprintf("the host part must be empty (iap-rdp:/// has three slashes), not %q", u.Host))
	case u.Fragment != "":
		return fail("it has a #fragment, which iap-rdp links do not use")
	}
	parts := strings.Split(u.Path, "/")
	if len(parts) != 4 || parts[0] != "" {
		return fail(fmt.Sprintf("the path %q is not /PROJECT/ZONE/VM", u.Path))
	}
	project, zone, name := parts[1], parts[2], parts[3]
	switch {
	// As IAP Desktop's IapRdpUrl: a project ID (optionally domain-scoped)
	// or number, a zone, a VM's name or numeric ID (package gcename).
	case !gcename.IsProject(project):
		return fail(fmt.Sprintf("%q is not a valid project ID", project))
	case !gcename.IsName(zone):
		return fail(fmt.Sprintf("%q is not a valid zone (e.g. us-central1-a)", zone))
	case !gcename.IsInstance(name):
		return fail(fmt.Sprintf("%q is not a valid VM name", name))
	}
	out := IAPRDPURL{Instance: InstanceRef{Project: project, Zone: zone, Name: name}}
	out.applyQuery(u.RawQuery)
	return out, nil
}

// urlParam maps one query parameter to the settings.
type urlParam struct {
	names []string // lower-case: IAP Desktop's name, then iapdesk's alias
	apply func(u *IAPRDPURL, v string) bool
}

// urlEnum maps IAP Desktop's numeric enum values.
func urlEnum(set func(u *IAPRDPURL, n int), allowed ...int) func(*IAPRDPURL, string) bool {
	return func(u *IAPRDPURL, v string) bool {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || !slices.Contains(allowed, n) {
			return false
		}
		set(u, n)
		return true
	}
}

var urlParams = []urlParam{
	{[]string{"username", "rdpusername"}, func(u *IAPRDPURL, v string) bool {
		return v != "" && u.Settings.SetField("rdp.username", v) == nil
	}},
	{[]string{"domain", "rdpdomain"}, func(u *IAPRDPURL, v string) bool {
		return u.Settings.SetField("rdp.domain", v) == nil
	}},
	// RdpConnectionBarState: AutoHide 0, Pinned 1, Off 2.
	{[]string{"connectionbar", "rdpconnectionbar"}, urlEnum(func(u *IAPRDPURL, n int) {
		u.Settings.RDP.ConnectionBar = settings.Some([]string{settings.ConnectionBarAutoHide, settings.ConnectionBarPinned, settings.ConnectionBarOff}[n])
	}, 0, 1, 2)},
	// RdpDesktopSize: ClientSize 0, ScreenSize 1, AutoAdjust 2.
	{[]string{"desktopsize", "rdpdesktopsize"}, urlEnum(func(u *IAPRDPURL, n int) {
		u.Settings.RDP.FullScreen = settings.Some(n == 1)
		u.Settings.RDP.DynamicResolution = settings.Some(n == 2)
	}, 0, 1, 2)},
	// RdpAuthenticationLevel: AttemptServerAuthentication 0 (warn),
	// RequireServerAuthentication 1, NoServerAuthentication 3.
	{[]string{"authenticationlevel", "rdpauthenticationlevel"}, urlEnum(func(u *IAPRDPURL, n int) {
		u.Settings.RDP.Certificate = settings.Some(map[int]string{0: settings.CertificateTOFU, 1: settings.CertificateDeny, 3: settings.CertificateIgnore}[n])
	}, 0, 1, 3)},
	// RdpColorDepth: HighColor 0, TrueColor 1, DeepColor 2.
	{[]string{"colordepth", "rdpcolordepth"}, urlEnum(func(u *IAPRDPURL, n int) {
		u.Settings.RDP.ColorDepth = settings.Some([]int{16, 24, 32}[n])
	}, 0, 1, 2)},
	// RdpAudioMode: PlayLocally 0, PlayOnServer 1, DoNotPlay 2.
	{[]string{"audiomode", "rdpaudiomode"}, urlEnum(func(u *IAPRDPURL, n int) {
		u.Settings.RDP.Audio = settings.Some(platform.Audio(n)) // the same order
	}, 0, 1, 2)},
	// RdpRedirectClipboard / RdpRedirectDrive: Disabled 0, Enabled 1.
	{[]string{"redirectclipboard", "rdpredirectclipboard"}, urlEnum(func(u *IAPRDPURL, n int) {
		u.Settings.RDP.Clipboard = settings.Some(n == 1)
	}, 0, 1)},
	{[]string{"rdpredirectdrive", "redirectdrive"}, urlEnum(func(u *IAPRDPURL, n int) {
		u.Settings.RDP.RedirectDrives = settings.Some(n == 1)
	}, 0, 1)},
	{[]string{"rdpport"}, func(u *IAPRDPURL, v string) bool {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 65535 {
			return false
		}
		u.Port = n
		return true
	}},
}

// urlUnsupported are IAP Desktop settings iapdesk's clients have no
// equivalent for.
var urlUnsupported = []string{
	"networklevelauthentication", "rdpnetworklevelauthentication", "bitmappersistence", "rdpbitmappersistence",
	"connectiontimeout", "rdpconnectiontimeout", "credentialgenerationbehavior", "rdpcredentialgenerationbehavior",
	"rdpuserauthenticationbehavior", "rdpredirectprinter", "rdpredirectsmartcard", "rdpredirectport",
	"rdpredirectdevice", "rdphookwindowskeys",
}

// applyQuery maps the query's parameters, collecting what it skips.
func (u *IAPRDPURL) applyQuery(raw string) {
	if raw == "" {
		return
	}
	// ParseQuery keeps the parameters it can decode and reports the first
	// it cannot; those are skipped, as IAP Desktop does.
	q, err := url.ParseQuery(raw)
	if err != nil {
		u.Ignored = append(u.Ignored, fmt.Sprintf("part of the query is malformed and was skipped: %v", err))
	}
	byName := map[string][]string{}
	var order []string
	for k, vs := range q {
		lk := strings.ToLower(k)
		if _, seen := byName[lk]; !seen {
			order = append(order, k)
		}
		byName[lk] = append(byName[lk], vs...)
	}
	slices.Sort(order)
	for _, k := range order {
		lk := strings.ToLower(k)
		vs := byName[lk]
		i := slices.IndexFunc(urlParams, func(p urlParam) bool { return slices.Contains(p.names, lk) })
		switch {
		case lk == "password" || lk == "rdppassword":
			u.Ignored = append(u.Ignored, k+": passwords are never taken from links")
		case slices.Contains(urlUnsupported, lk):
			u.Ignored = append(u.Ignored, k+": not supported by iapdesk")
		case i < 0:
			u.Ignored = append(u.Ignored, k+": unknown parameter")
		case len(vs) != 1:
			u.Ignored = append(u.Ignored, k+": given more than once")
		case !urlParams[i].apply(u, vs[0]):
			u.Ignored = append(u.Ignored, fmt.Sprintf("%s: value %q is out of range", k, truncate(vs[0], 64)))
		}
	}
}

// String formats the link with its supported settings, in IAP Desktop's
// parameter names. For a u returned by ParseIAPRDPURL,
// ParseIAPRDPURL(u.String()) yields u again (without Ignored); settings a
// link cannot express (a colour depth of 15, a desktop size) are left out.
func (u IAPRDPURL) String() string {
	s := IAPRDPScheme + ":///" + u.Instance.Project + "/" + u.Instance.Zone + "/" + u.Instance.Name
	var q []string
	add := func(k, v string) { q = append(q, k+"="+url.QueryEscape(v)) }
	r := u.Settings.RDP
	if v, ok := r.Username.Get(); ok {
		add("Username", v)
	}
	if v, ok := r.Domain.Get(); ok {
		add("Domain", v)
	}
	if v, ok := r.ConnectionBar.Get(); ok {
		add("ConnectionBar", strconv.Itoa(slices.Index([]string{settings.ConnectionBarAutoHide, settings.ConnectionBarPinned, settings.ConnectionBarOff}, v)))
	}
	if fs, ok := r.FullScreen.Get(); ok {
		n := 0
		if fs {
			n = 1
		} else if r.DynamicResolution.Value() {
			n = 2
		}
		add("DesktopSize", strconv.Itoa(n))
	}
	if v, ok := r.Certificate.Get(); ok {
		add("AuthenticationLevel", map[string]string{settings.CertificateTOFU: "0", settings.CertificateDeny: "1", settings.CertificateIgnore: "3"}[v])
	}
	if v, ok := r.ColorDepth.Get(); ok && v >= 16 {
		add("ColorDepth", map[int]string{16: "0", 24: "1", 32: "2"}[v])
	}
	if v, ok := r.Audio.Get(); ok {
		add("AudioMode", strconv.Itoa(int(v)))
	}
	if v, ok := r.Clipboard.Get(); ok {
		add("RedirectClipboard", boolDigit(v))
	}
	if v, ok := r.RedirectDrives.Get(); ok {
		add("RdpRedirectDrive", boolDigit(v))
	}
	if u.Port != 0 {
		add("RdpPort", strconv.Itoa(u.Port))
	}
	if len(q) > 0 {
		s += "?" + strings.Join(q, "&")
	}
	return s
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
