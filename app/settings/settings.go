package settings

import (
	"bytes"
	"encoding/json"
	"fmt"

	"iapdesk/platform"
)

// Optional is a setting that may be unset, meaning "inherit from the layer
// below". The zero value is unset. In JSON an unset value is left out (with
// the omitzero tag) or null; a set one is the plain value.
type Optional[T any] struct {
	value T
	set   bool
}

// Some returns a set Optional holding v.
func Some[T any](v T) Optional[T] { return Optional[T]{value: v, set: true} }

// Get returns the value and whether it is set.
func (o Optional[T]) Get() (T, bool) { return o.value, o.set }

// Value returns the value, or T's zero value when unset.
func (o Optional[T]) Value() T { return o.value }

// IsSet reports whether the value is set.
func (o Optional[T]) IsSet() bool { return o.set }

// IsZero reports whether the value is unset (for the omitzero JSON tag).
func (o Optional[T]) IsZero() bool { return !o.set }

// MarshalJSON encodes the value, or null when unset.
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if !o.set {
		return []byte("null"), nil
	}
	return json.Marshal(o.value)
}

// UnmarshalJSON decodes a value; null leaves it unset.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*o = Optional[T]{}
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*o = Some(v)
	return nil
}

// Settings are connection settings at one level: a project, a zone, a VM or
// a saved profile. Every field is optional; an unset field inherits the
// value of the level below (project → zone → instance → profile, the later
// winning), and Resolve fills the rest with defaults. Secrets are never
// settings: passwords and passphrases live in the OS keyring (app.Credentials).
//
// The JSON form is documented in docs/saved-connections.md; field keys for the generic
// editor ("rdp.username", …) follow the JSON paths.
type Settings struct {
	// DisplayName is the name shown for the VM or profile instead of its
	// own.
	DisplayName Optional[string] `json:"displayName,omitzero"`
	RDP         RDPSettings      `json:"rdp,omitzero"`
	SSH         SSHSettings      `json:"ssh,omitzero"`
	Tunnel      TunnelSettings   `json:"tunnel,omitzero"`
}

// RDPSettings are Remote Desktop settings.
type RDPSettings struct {
	Username Optional[string] `json:"username,omitzero"`
	Domain   Optional[string] `json:"domain,omitzero"`
	// FullScreen starts the session full screen.
	FullScreen Optional[bool] `json:"fullScreen,omitzero"`
	// Width and Height are the desktop size; 0 and 0 mean the client's
	// default.
	Width  Optional[int] `json:"width,omitzero"`
	Height Optional[int] `json:"height,omitzero"`
	// DynamicResolution resizes the remote desktop with the window.
	DynamicResolution Optional[bool] `json:"dynamicResolution,omitzero"`
	// ScaleToWindow scales the remote desktop to the window (of Width x
	// Height) instead of showing it at its own size.
	ScaleToWindow Optional[bool] `json:"scaleToWindow,omitzero"`
	// ColorDepth is 0 (client default), 15, 16, 24 or 32.
	ColorDepth Optional[int] `json:"colorDepth,omitzero"`
	// Audio is where sound plays; in JSON "local", "remote" or "off".
	Audio Optional[platform.Audio] `json:"audio,omitzero"`
	// Clipboard shares the clipboard.
	Clipboard Optional[bool] `json:"clipboard,omitzero"`
	// RedirectDrives shares all local drives with the session.
	RedirectDrives Optional[bool] `json:"redirectDrives,omitzero"`
	// Certificate is the server certificate policy: "ignore", "tofu" or
	// "deny".
	Certificate Optional[string] `json:"certificate,omitzero"`
	// ConnectionBar is the full-screen connection bar: "autohide",
	// "pinned" or "off".
	ConnectionBar Optional[string] `json:"connectionBar,omitzero"`
}

// SSHSettings are ssh settings.
type SSHSettings struct {
	// Username is the POSIX user; unset derives it from the account email
	// (metadata keys) or takes OS Login's.
	Username Optional[string] `json:"username,omitzero"`
	// KeyType is the generated key's type: "ed25519" or "rsa".
	KeyType Optional[string] `json:"keyType,omitzero"`
	// ProxyCommand makes ssh start the tunnel itself instead of using a
	// local port.
	ProxyCommand Optional[bool] `json:"proxyCommand,omitzero"`
	// Terminal is the terminal emulator kind or path ("" finds one).
	Terminal Optional[string] `json:"terminal,omitzero"`
	// Client is where SSH sessions run: "embedded" (a tab in the window)
	// or "system" (ssh in the system terminal).
	Client Optional[string] `json:"client,omitzero"`
}

// TunnelSettings are IAP tunnel settings.
type TunnelSettings struct {
	// KeepOpen keeps the tunnel after the client exits.
	KeepOpen Optional[bool] `json:"keepOpen,omitzero"`
	// LocalPort is the preferred local port; 0 picks a free one.
	LocalPort Optional[int] `json:"localPort,omitzero"`
}

// Source says which level a resolved setting comes from.
type Source int

// Sources, from the lowest precedence to the highest.
const (
	SourceDefault Source = iota
	SourceProject
	SourceZone
	SourceInstance
	SourceProfile
	// SourceURL is a connection's own overrides, an iap-rdp:/// link's
	// query or a command line's flags: they win over everything saved,
	// for that one connection.
	SourceURL
)

// String returns the source's name for a settings dialog ("Project", …).
func (s Source) String() string {
	switch s {
	case SourceProject:
		return "Project"
	case SourceZone:
		return "Zone"
	case SourceInstance:
		return "VM"
	case SourceProfile:
		return "Profile"
	case SourceURL:
		return "Link"
	}
	return "Default"
}

// Layer is the settings of one level.
type Layer struct {
	Source   Source
	Settings Settings
}

// Resolved are the effective settings of a connection: every field set,
// each with the level it came from.
type Resolved struct {
	// Settings has every field set.
	Settings Settings
	sources  map[string]Source
}

// Source returns where the field with key ("rdp.username") comes from.
func (r Resolved) Source(key string) Source { return r.sources[key] }

// Resolve merges layers in order of their Source (a later layer wins; for
// equal sources, the later argument wins) over the defaults.
func Resolve(layers ...Layer) Resolved {
	r := Resolved{sources: make(map[string]Source, len(fieldDefs))}
	def := Defaults()
	for _, f := range fieldDefs {
		f.copy(&r.Settings, &def)
		r.sources[f.Key] = SourceDefault
	}
	for src := SourceDefault; src <= SourceURL; src++ {
		for i := range layers {
			l := &layers[i]
			if l.Source != src {
				continue
			}
			for _, f := range fieldDefs {
				if f.isSet(&l.Settings) {
					f.copy(&r.Settings, &l.Settings)
					r.sources[f.Key] = src
				}
			}
		}
	}
	return r
}

// Defaults are the values used when no level sets a field; every
// field is set. They match the zero value of platform.RDPOptions (a
// windowed session, sound played here, clipboard shared, certificate not
// checked: the tunnel already authenticates the VM).
func Defaults() Settings {
	return Settings{
		DisplayName: Some(""),
		RDP: RDPSettings{
			Username: Some(""), Domain: Some(""), FullScreen: Some(false), Width: Some(0), Height: Some(0),
			DynamicResolution: Some(false), ScaleToWindow: Some(false), ColorDepth: Some(0), Audio: Some(platform.AudioLocal), Clipboard: Some(true),
			RedirectDrives: Some(false), Certificate: Some(CertificateIgnore), ConnectionBar: Some(ConnectionBarAutoHide),
		},
		SSH:    SSHSettings{Username: Some(""), KeyType: Some(KeyTypeEd25519), ProxyCommand: Some(false), Terminal: Some(""), Client: Some(SSHClientEmbedded)},
		Tunnel: TunnelSettings{KeepOpen: Some(false), LocalPort: Some(0)},
	}
}

// Choice values of the string settings.
const (
	CertificateIgnore = "ignore"
	CertificateTOFU   = "tofu"
	CertificateDeny   = "deny"

	ConnectionBarAutoHide = "autohide"
	ConnectionBarPinned   = "pinned"
	ConnectionBarOff      = "off"

	// KeyTypeEd25519 and KeyTypeRSA are ssh.keyType's values, the types
	// of app.SSHKeys.
	KeyTypeEd25519 = "ed25519"
	KeyTypeRSA     = "rsa"

	// SSHClientEmbedded and SSHClientSystem are ssh.client's values: a
	// terminal tab in the window (app.SSHClients), or the system ssh in a
	// terminal window (platform.Launcher).
	SSHClientEmbedded = "embedded"
	SSHClientSystem   = "system"
)

// Validate checks every set field against its field's rules (choices,
// ranges, no control characters). The error names the field.
func (s *Settings) Validate() error {
	for _, f := range fieldDefs {
		if !f.isSet(s) {
			continue
		}
		if err := f.validate(s); err != nil {
			return fmt.Errorf("setting %s: %w", f.Key, err)
		}
	}
	return nil
}

// IsEmpty reports whether no field is set.
func (s *Settings) IsEmpty() bool {
	for _, f := range fieldDefs {
		if f.isSet(s) {
			return false
		}
	}
	return true
}
