package platform

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// RDPSpec describes one Remote Desktop session through a local tunnel port.
type RDPSpec struct {
	Host     string // address of the tunnel listener; default "127.0.0.1"
	Port     int    // tunnel port
	Username string
	Domain   string // optional
	Password Password
	Title    string // window title, e.g. the instance name
	Options  RDPOptions
}

func (RDPSpec) spec() {}

// LogValue describes the spec for slog without the password.
func (s RDPSpec) LogValue() slog.Value {
	return slog.GroupValue(slog.String("host", s.host()), slog.Int("port", s.Port),
		slog.String("username", s.Username), slog.String("domain", s.Domain),
		slog.Bool("has_password", s.Password != ""))
}

func (s RDPSpec) host() string {
	if s.Host == "" {
		return "127.0.0.1"
	}
	return s.Host
}

// RDPOptions are the session settings every client understands in some form.
// The zero value is a windowed session in the client's default size, sound
// played locally, clipboard shared, no drives, certificate not checked.
type RDPOptions struct {
	FullScreen        bool
	Width, Height     int  // desktop size in pixels; both 0 for the client default
	DynamicResolution bool // resize the remote desktop with the window
	// ScaleToWindow scales the remote desktop to the window, which opens
	// at Width x Height when they are set ("smart sizing").
	ScaleToWindow   bool
	ColorDepth      int // 0 (client default), 15, 16, 24 or 32
	Audio           Audio
	NoClipboard     bool
	Drives          []Drive
	Cert            CertPolicy
	CertFingerprint string // for CertPin: "sha256:<hex>"
}

// Audio says where the session's sound is played. Its text form ("local",
// "remote", "off") is the rdp.audio setting's value.
type Audio int

const (
	AudioLocal  Audio = iota // play on this computer (default)
	AudioRemote              // leave it on the remote computer
	AudioOff                 // do not play it
)

// audioNames are the Audio values' names, in order.
var audioNames = [...]string{"local", "remote", "off"}

// AudioNames lists the names of the Audio values, in order.
func AudioNames() []string { return audioNames[:] }

// String returns the name: "local", "remote" or "off".
func (a Audio) String() string {
	if a < AudioLocal || a > AudioOff {
		return fmt.Sprintf("audio(%d)", int(a))
	}
	return audioNames[a]
}

// ParseAudio reads a name String returns.
func ParseAudio(s string) (Audio, error) {
	for i, n := range audioNames {
		if s == n {
			return Audio(i), nil
		}
	}
	return 0, fmt.Errorf("audio %q: want local, remote or off", s)
}

// MarshalText returns the name.
func (a Audio) MarshalText() ([]byte, error) {
	if a < AudioLocal || a > AudioOff {
		return nil, fmt.Errorf("audio %d: unknown", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText reads a name.
func (a *Audio) UnmarshalText(b []byte) error {
	v, err := ParseAudio(string(b))
	if err == nil {
		*a = v
	}
	return err
}

// CertPolicy says how the client treats the server's TLS certificate. The
// tunnel already authenticates the VM through IAP and the certificate of a
// VM is self-signed for its own name, not 127.0.0.1, so the default does
// not check it.
type CertPolicy int

const (
	CertIgnore CertPolicy = iota // accept any certificate (default)
	CertTOFU                     // accept the first, refuse a changed one (mstsc, Windows App: warn)
	CertDeny                     // refuse certificates that do not validate (mstsc: do not connect)
	CertPin                      // accept only CertFingerprint (FreeRDP; others warn)
)

// Drive is a local folder shared with the session. Path "*" shares all
// drives (FreeRDP +drives, mstsc drivestoredirect:s:*).
type Drive struct {
	Name string // share name shown in the session, letters, digits, - and _
	Path string // absolute local path, or "*"
}

var (
	driveNameRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	fingerprintRE = regexp.MustCompile(`^sha(1|256|384|512):[0-9a-fA-F:]+$`)
)

// maxPassword is FreeRDP's limit: it reads the password into 512 bytes with
// a terminating NUL.
const maxPassword = 511

// validate checks what every RDP client needs; values end up in command
// lines and line-based files, so control characters are refused.
func (s RDPSpec) validate() error {
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("RDP port %d: want 1-65535", s.Port)
	}
	if err := checkHost(s.Host); err != nil {
		return err
	}
	if s.Username == "" {
		return errors.New("RDP username is empty: set the Windows username")
	}
	for _, f := range []struct{ name, v string }{
		{"username", s.Username}, {"domain", s.Domain}, {"title", s.Title},
	} {
		if err := checkPrintable("RDP "+f.name, f.v); err != nil {
			return err
		}
	}
	if strings.ContainsAny(string(s.Password), "\r\n\x00") {
		return errors.New("RDP password contains a line break or NUL: no client accepts that; reset the password")
	}
	o := s.Options
	if (o.Width == 0) != (o.Height == 0) || o.Width < 0 || o.Height < 0 || o.Width > 8192 || o.Height > 8192 {
		return fmt.Errorf("RDP desktop size %dx%d: set both width and height (up to 8192) or neither", o.Width, o.Height)
	}
	switch o.ColorDepth {
	case 0, 15, 16, 24, 32:
	default:
		return fmt.Errorf("RDP colour depth %d: want 15, 16, 24 or 32", o.ColorDepth)
	}
	if o.Audio < AudioLocal || o.Audio > AudioOff {
		return fmt.Errorf("RDP audio mode %d: unknown", o.Audio)
	}
	if o.Cert < CertIgnore || o.Cert > CertPin {
		return fmt.Errorf("RDP certificate policy %d: unknown", o.Cert)
	}
	if o.Cert == CertPin && !fingerprintRE.MatchString(o.CertFingerprint) {
		return fmt.Errorf("RDP certificate fingerprint %q: want sha256:<hex>", o.CertFingerprint)
	}
	for _, d := range o.Drives {
		if !driveNameRE.MatchString(d.Name) {
			return fmt.Errorf("shared drive name %q: use letters, digits, - and _ (at most 32)", d.Name)
		}
		if d.Path == "*" {
			continue
		}
		if !filepath.IsAbs(d.Path) && !isWindowsAbs(d.Path) {
			return fmt.Errorf("shared drive %s: path %q is not absolute", d.Name, d.Path)
		}
		if strings.ContainsAny(d.Path, ",;") {
			return fmt.Errorf("shared drive %s: path %q contains , or ; which the clients use as separators", d.Name, d.Path)
		}
		if err := checkPrintable("shared drive path", d.Path); err != nil {
			return err
		}
	}
	return nil
}

// isWindowsAbs reports C:\… or \\server\share paths, so that specs for
// Windows validate on any OS.
func isWindowsAbs(p string) bool {
	if strings.HasPrefix(p, `\\`) {
		return true
	}
	return len(p) >= 3 && unicode.IsLetter(rune(p[0])) && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// checkHost accepts an IP address or a DNS name; empty means 127.0.0.1.
func checkHost(h string) error {
	if h == "" || net.ParseIP(h) != nil {
		return nil
	}
	if len(h) > 253 || strings.HasPrefix(h, "-") || strings.IndexFunc(h, func(r rune) bool {
		return !(r == '.' || r == '-' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	}) >= 0 {
		return fmt.Errorf("host %q: want an IP address or a DNS name", h)
	}
	return nil
}

// checkPrintable refuses control characters (line breaks would end a line
// in .rdp, .remmina and ssh_config files).
func checkPrintable(what, v string) error {
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return fmt.Errorf("%s %q contains control characters", what, v)
	}
	return nil
}

// FreeRDPArgs returns the FreeRDP 2/3 command line for spec (without the
// program name). The password is not in it: /from-stdin:force makes FreeRDP
// read it as one line from stdin (FreeRDPStdin) before connecting. Without
// ":force" FreeRDP would only ask when the server requests credentials, which
// a server using TLS security never does, so the login would fail.
// Certificate handling is never interactive, because stdin is already used.
func FreeRDPArgs(spec RDPSpec) ([]string, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	o := spec.Options
	args := []string{
		"/v:" + net.JoinHostPort(spec.host(), strconv.Itoa(spec.Port)),
		"/u:" + spec.Username,
	}
	if spec.Domain != "" {
		args = append(args, "/d:"+spec.Domain)
	}
	args = append(args, "/from-stdin:force")
	if spec.Title != "" {
		args = append(args, "/t:"+spec.Title)
	}
	switch o.Cert {
	case CertIgnore:
		args = append(args, "/cert:ignore")
	case CertTOFU:
		args = append(args, "/cert:tofu")
	case CertDeny:
		args = append(args, "/cert:deny")
	case CertPin:
		args = append(args, "/cert:fingerprint:"+o.CertFingerprint)
	}
	if o.FullScreen {
		args = append(args, "/f")
	}
	if o.Width != 0 {
		args = append(args, fmt.Sprintf("/size:%dx%d", o.Width, o.Height))
	}
	if o.DynamicResolution {
		args = append(args, "/dynamic-resolution")
	}
	switch {
	case o.ScaleToWindow && o.Width != 0:
		args = append(args, fmt.Sprintf("/smart-sizing:%dx%d", o.Width, o.Height))
	case o.ScaleToWindow:
		args = append(args, "/smart-sizing")
	}
	if o.ColorDepth != 0 {
		args = append(args, "/bpp:"+strconv.Itoa(o.ColorDepth))
	}
	switch o.Audio {
	case AudioLocal:
		args = append(args, "/sound")
	case AudioRemote:
		args = append(args, "/audio-mode:1")
	case AudioOff:
		args = append(args, "/audio-mode:2")
	}
	if o.NoClipboard {
		args = append(args, "-clipboard")
	} else {
		args = append(args, "+clipboard")
	}
	for _, d := range o.Drives {
		if d.Path == "*" {
			args = append(args, "+drives")
			continue
		}
		args = append(args, "/drive:"+d.Name+","+d.Path)
	}
	return args, nil
}

// FreeRDPStdin returns what is written to FreeRDP's stdin for
// /from-stdin:force: the password and a newline. FreeRDP reads at most 511
// bytes.
func FreeRDPStdin(spec RDPSpec) ([]byte, error) {
	if spec.Password == "" {
		return nil, ErrPasswordRequired
	}
	if len(spec.Password) > maxPassword {
		return nil, fmt.Errorf("RDP password is %d bytes: FreeRDP reads at most %d", len(spec.Password), maxPassword)
	}
	if strings.ContainsAny(string(spec.Password), "\r\n\x00") {
		return nil, errors.New("RDP password contains a line break or NUL: FreeRDP reads one line")
	}
	return []byte(string(spec.Password) + "\n"), nil
}
