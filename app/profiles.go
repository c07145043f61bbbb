package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"
	"unicode"

	"iapdesk/app/settings"
	"iapdesk/internal/gcename"
)

// Sentinel errors of profiles.
var (
	// ErrProfileNotFound reports a profile ID that is not saved (deleted
	// meanwhile, perhaps by another iapdesk window).
	ErrProfileNotFound = errors.New("profile not found")
	// ErrInvalidProfile reports a profile that fails validation.
	ErrInvalidProfile = errors.New("invalid profile")
)

// ProfileProtocol is what a profile connects with.
type ProfileProtocol string

// Profile protocols.
const (
	ProfileRDP  ProfileProtocol = "rdp"  // the system RDP client
	ProfileSSH  ProfileProtocol = "ssh"  // a terminal running ssh
	ProfilePort ProfileProtocol = "port" // only the tunnel, to any port
)

// Protocol returns the connect protocol for p.
func (p ProfileProtocol) Protocol() Protocol {
	switch p {
	case ProfileRDP:
		return ProtocolRDP
	case ProfileSSH:
		return ProtocolSSH
	}
	return ProtocolTunnel
}

// DefaultPort is the protocol's usual remote port (0 for ProfilePort, which
// needs one).
func (p ProfileProtocol) DefaultPort() int {
	switch p {
	case ProfileRDP:
		return 3389
	case ProfileSSH:
		return 22
	}
	return 0
}

// ProfileTarget is what a profile connects to: a VM (Project, Zone, Instance) or
// an on-premises or other-cloud host reached through IAP for
// on-premises (Project, Region, Network, Host, DestGroup).
type ProfileTarget struct {
	Project  string `json:"project"`
	Zone     string `json:"zone,omitempty"`
	Instance string `json:"instance,omitempty"`

	Region    string `json:"region,omitempty"`
	Network   string `json:"network,omitempty"`
	Host      string `json:"host,omitempty"`      // IP address or DNS name
	DestGroup string `json:"destGroup,omitempty"` // IAP destination group
}

// OnPrem reports whether t is a host (not VM) target.
func (t ProfileTarget) OnPrem() bool {
	return t.Region != "" || t.Network != "" || t.Host != "" || t.DestGroup != ""
}

// InstanceRef returns the VM of a VM target.
func (t ProfileTarget) InstanceRef() InstanceRef {
	return InstanceRef{Project: t.Project, Zone: t.Zone, Name: t.Instance}
}

// String is "project/zone/instance" or "host (project/region/group)".
func (t ProfileTarget) String() string {
	if t.OnPrem() {
		return fmt.Sprintf("%s (%s/%s/%s)", t.Host, t.Project, t.Region, t.DestGroup)
	}
	return t.Project + "/" + t.Zone + "/" + t.Instance
}

// profileIDRE is the form of profile IDs (Compute Engine names are checked
// by package gcename).
var profileIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Validate checks that t names exactly one kind of target, completely.
func (t ProfileTarget) Validate() error {
	if !gcename.IsProjectID(t.Project) {
		return fmt.Errorf("project %q is not a project ID", t.Project)
	}
	if t.OnPrem() {
		if t.Zone != "" || t.Instance != "" {
			return errors.New("target has both a VM (zone, instance) and a host (region, network, host, destGroup)")
		}
		for _, f := range []struct{ name, v string }{{"region", t.Region}, {"network", t.Network}, {"destGroup", t.DestGroup}} {
			if !gcename.IsName(f.v) {
				return fmt.Errorf("%s %q: want lower-case letters, digits and hyphens, starting with a letter", f.name, f.v)
			}
		}
		if !validHost(t.Host) {
			return fmt.Errorf("host %q: want an IP address or a DNS name", t.Host)
		}
		return nil
	}
	if !gcename.IsName(t.Zone) {
		return fmt.Errorf("zone %q is not a zone name (e.g. us-central1-a)", t.Zone)
	}
	if !gcename.IsName(t.Instance) {
		return fmt.Errorf("instance %q is not a VM name", t.Instance)
	}
	return nil
}

func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 || strings.HasPrefix(h, "-") || strings.HasPrefix(h, ".") {
		return false
	}
	return strings.IndexFunc(h, func(r rune) bool {
		return !(r == '.' || r == '-' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	}) < 0
}

// Profile is a saved connection. Its Settings are the "profile" level of
// the inheritance project → zone → instance → profile: username, domain,
// RDP and SSH options, preferred local port. Passwords are not in it; they
// are in the OS keyring under the profile's ID (Credentials).
//
// The JSON form is the profile object of docs/saved-connections.md.
type Profile struct {
	// ID is stable and unique within the store; Add assigns it.
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Target   ProfileTarget   `json:"target"`
	Protocol ProfileProtocol `json:"protocol"`
	// RemotePort is the port on the target; 0 means the protocol's
	// default (3389, 22). ProfilePort needs one.
	RemotePort int               `json:"remotePort,omitempty"`
	Settings   settings.Settings `json:"settings,omitzero"`
	Created    time.Time         `json:"created,omitzero"`
	Modified   time.Time         `json:"modified,omitzero"`
}

// Port is the remote port: RemotePort or the protocol's default.
func (p *Profile) Port() int {
	if p.RemotePort != 0 {
		return p.RemotePort
	}
	return p.Protocol.DefaultPort()
}

// maxProfileName bounds names so a list stays readable and a hostile
// import cannot blow up the UI.
const maxProfileName = 200

// Validate checks every field. The error wraps ErrInvalidProfile and says
// which field is wrong.
func (p *Profile) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidProfile, p.Name, fmt.Sprintf(format, args...))
	}
	if p.ID != "" && !profileIDRE.MatchString(p.ID) {
		return fail("id %q: want 1-64 letters, digits, - or _", p.ID)
	}
	name := strings.TrimSpace(p.Name)
	if name == "" {
		return fail("the name is empty")
	}
	if err := settings.CheckText(p.Name, maxProfileName); err != nil {
		return fail("name: %v", err)
	}
	if err := p.Target.Validate(); err != nil {
		return fail("%v", err)
	}
	switch p.Protocol {
	case ProfileRDP, ProfileSSH:
	case ProfilePort:
		if p.RemotePort == 0 {
			return fail("a port profile needs remotePort")
		}
	default:
		return fail("protocol %q: want rdp, ssh or port", p.Protocol)
	}
	if p.RemotePort < 0 || p.RemotePort > 65535 {
		return fail("remotePort %d: want 1-65535", p.RemotePort)
	}
	if err := p.Settings.Validate(); err != nil {
		return fail("%v", err)
	}
	return nil
}

// newProfileID returns a random ID such as "p-3f9c0a1b2d4e".
func newProfileID() string {
	var b [6]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	return "p-" + hex.EncodeToString(b[:])
}
