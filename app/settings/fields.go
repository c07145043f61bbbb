package settings

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"iapdesk/platform"
)

// ErrUnknownKey reports a setting key that no field has.
var ErrUnknownKey = errors.New("unknown setting")

// FieldKind says how a settings dialog edits a field.
type FieldKind int

// Field kinds.
const (
	FieldString FieldKind = iota // free text
	FieldBool                    // "true" / "false"
	FieldInt                     // decimal within Min..Max
	FieldChoice                  // one of Choices
)

// Field describes one setting for a generic settings dialog.
type Field struct {
	Key     string // "rdp.username": the JSON path
	Group   string // "Remote Desktop", "SSH", "Tunnel", "General"
	Label   string // "Username"
	Help    string // one sentence
	Kind    FieldKind
	Choices []string // FieldChoice (and FieldInt with fixed values): the allowed values
	Min     int      // FieldInt
	Max     int      // FieldInt
	// Zero says what a FieldInt's 0 means ("any free port"), for dialogs
	// to show instead of a bare 0; "" when 0 is just a number.
	Zero string
}

// fieldDef is a Field plus typed access to it in a Settings value.
type fieldDef struct {
	Field
	isSet    func(*Settings) bool
	copy     func(dst, src *Settings) // copies the field (set or not)
	clear    func(*Settings)
	format   func(*Settings) string
	parse    func(*Settings, string) error // sets the field from text
	validate func(*Settings) error         // checks the set value
}

// def builds a fieldDef from an accessor of the Optional in a Settings.
func def[T any](f Field, acc func(*Settings) *Optional[T], format func(T) string, parse func(string) (T, error), check func(T) error) fieldDef {
	return fieldDef{
		Field: f,
		isSet: func(s *Settings) bool { return acc(s).set },
		copy:  func(dst, src *Settings) { *acc(dst) = *acc(src) },
		clear: func(s *Settings) { *acc(s) = Optional[T]{} },
		format: func(s *Settings) string {
			o := acc(s)
			if !o.set {
				return ""
			}
			return format(o.value)
		},
		parse: func(s *Settings, text string) error {
			v, err := parse(text)
			if err == nil {
				err = check(v)
			}
			if err != nil {
				return err
			}
			*acc(s) = Some(v)
			return nil
		},
		validate: func(s *Settings) error { return check(acc(s).value) },
	}
}

func stringField(f Field, acc func(*Settings) *Optional[string], maxLen int) fieldDef {
	f.Kind = FieldString
	return def(f, acc, func(v string) string { return v },
		func(s string) (string, error) { return s, nil },
		func(v string) error { return CheckText(v, maxLen) })
}

func choiceField(f Field, acc func(*Settings) *Optional[string], choices ...string) fieldDef {
	f.Kind, f.Choices = FieldChoice, choices
	return def(f, acc, func(v string) string { return v },
		func(s string) (string, error) { return strings.ToLower(strings.TrimSpace(s)), nil },
		func(v string) error {
			if !slices.Contains(choices, v) {
				return fmt.Errorf("%q is not one of %s", v, strings.Join(choices, ", "))
			}
			return nil
		})
}

// audioField is a choice among platform.AudioNames, kept as a
// platform.Audio: the one enum of where sound plays.
func audioField(f Field, acc func(*Settings) *Optional[platform.Audio]) fieldDef {
	f.Kind, f.Choices = FieldChoice, platform.AudioNames()
	return def(f, acc, platform.Audio.String,
		func(s string) (platform.Audio, error) {
			return platform.ParseAudio(strings.ToLower(strings.TrimSpace(s)))
		},
		func(a platform.Audio) error {
			_, err := a.MarshalText()
			return err
		})
}

func boolField(f Field, acc func(*Settings) *Optional[bool]) fieldDef {
	f.Kind = FieldBool
	return def(f, acc, strconv.FormatBool,
		func(s string) (bool, error) {
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				return false, fmt.Errorf("%q is not true or false", s)
			}
			return b, nil
		},
		func(bool) error { return nil })
}

func intField(f Field, acc func(*Settings) *Optional[int], allowed ...int) fieldDef {
	f.Kind = FieldInt
	for _, a := range allowed {
		f.Choices = append(f.Choices, strconv.Itoa(a))
	}
	return def(f, acc, strconv.Itoa,
		func(s string) (int, error) {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return 0, fmt.Errorf("%q is not a whole number", s)
			}
			return n, nil
		},
		func(n int) error {
			if len(allowed) > 0 && !slices.Contains(allowed, n) {
				return fmt.Errorf("%d is not one of %s", n, strings.Join(f.Choices, ", "))
			}
			if n < f.Min || n > f.Max {
				return fmt.Errorf("%d is outside %d..%d", n, f.Min, f.Max)
			}
			return nil
		})
}

// CheckText refuses control characters (values end up in command lines and
// line-based files) and values longer than maxLen bytes: the rule of every
// text setting, and of other names the user types (a profile's).
func CheckText(v string, maxLen int) error {
	if len(v) > maxLen {
		return fmt.Errorf("longer than %d characters", maxLen)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return errors.New("contains control characters")
	}
	return nil
}

// Group names.
const (
	groupGeneral = "General"
	groupRDP     = "Remote Desktop"
	groupSSH     = "SSH"
	groupTunnel  = "Tunnel"
)

// fieldDefs lists every setting in dialog order.
var fieldDefs = []fieldDef{
	stringField(Field{Key: "displayName", Group: groupGeneral, Label: "Display name", Help: "Name shown instead of the VM's or profile's own."},
		func(s *Settings) *Optional[string] { return &s.DisplayName }, 200),

	stringField(Field{Key: "rdp.username", Group: groupRDP, Label: "Username", Help: "Windows user: a local user, DOMAIN\\user's SAM name, or user@domain."},
		func(s *Settings) *Optional[string] { return &s.RDP.Username }, 256),
	stringField(Field{Key: "rdp.domain", Group: groupRDP, Label: "Domain", Help: "NetBIOS domain or computer name; leave empty with user@domain."},
		func(s *Settings) *Optional[string] { return &s.RDP.Domain }, 256),
	boolField(Field{Key: "rdp.fullScreen", Group: groupRDP, Label: "Full screen", Help: "Start the session full screen."},
		func(s *Settings) *Optional[bool] { return &s.RDP.FullScreen }),
	intField(Field{Key: "rdp.width", Group: groupRDP, Label: "Desktop width", Help: "Pixels; 0 with height 0 uses the client's default.", Max: 8192, Zero: "client's default"},
		func(s *Settings) *Optional[int] { return &s.RDP.Width }),
	intField(Field{Key: "rdp.height", Group: groupRDP, Label: "Desktop height", Help: "Pixels; 0 with width 0 uses the client's default.", Max: 8192, Zero: "client's default"},
		func(s *Settings) *Optional[int] { return &s.RDP.Height }),
	boolField(Field{Key: "rdp.dynamicResolution", Group: groupRDP, Label: "Resize with window", Help: "Resize the remote desktop when the window is resized."},
		func(s *Settings) *Optional[bool] { return &s.RDP.DynamicResolution }),
	boolField(Field{Key: "rdp.scaleToWindow", Group: groupRDP, Label: "Scale to window", Help: "Shrink or stretch the remote desktop to the window (of the desktop size above) instead of scrolling it."},
		func(s *Settings) *Optional[bool] { return &s.RDP.ScaleToWindow }),
	intField(Field{Key: "rdp.colorDepth", Group: groupRDP, Label: "Colour depth", Help: "Bits per pixel; 0 uses the client's default.", Max: 32, Zero: "automatic"},
		func(s *Settings) *Optional[int] { return &s.RDP.ColorDepth }, 0, 15, 16, 24, 32),
	audioField(Field{Key: "rdp.audio", Group: groupRDP, Label: "Audio", Help: "Play sound on this computer, on the VM, or not at all."},
		func(s *Settings) *Optional[platform.Audio] { return &s.RDP.Audio }),
	boolField(Field{Key: "rdp.clipboard", Group: groupRDP, Label: "Share clipboard", Help: "Copy and paste between this computer and the VM."},
		func(s *Settings) *Optional[bool] { return &s.RDP.Clipboard }),
	boolField(Field{Key: "rdp.redirectDrives", Group: groupRDP, Label: "Share local drives", Help: "Make this computer's drives visible in the session."},
		func(s *Settings) *Optional[bool] { return &s.RDP.RedirectDrives }),
	choiceField(Field{Key: "rdp.certificate", Group: groupRDP, Label: "Server certificate", Help: "ignore: accept any (IAP already authenticates the VM); tofu: accept the first, refuse a changed one; deny: refuse unverifiable ones."},
		func(s *Settings) *Optional[string] { return &s.RDP.Certificate }, CertificateIgnore, CertificateTOFU, CertificateDeny),
	choiceField(Field{Key: "rdp.connectionBar", Group: groupRDP, Label: "Connection bar", Help: "The full-screen connection bar: hide automatically, pinned, or off."},
		func(s *Settings) *Optional[string] { return &s.RDP.ConnectionBar }, ConnectionBarAutoHide, ConnectionBarPinned, ConnectionBarOff),

	stringField(Field{Key: "ssh.username", Group: groupSSH, Label: "Username", Help: "POSIX user; empty derives it from your account (OS Login decides its own)."},
		func(s *Settings) *Optional[string] { return &s.SSH.Username }, 32),
	choiceField(Field{Key: "ssh.keyType", Group: groupSSH, Label: "Key type", Help: "Type of the key iapdesk generates and publishes."},
		func(s *Settings) *Optional[string] { return &s.SSH.KeyType }, KeyTypeEd25519, KeyTypeRSA),
	boolField(Field{Key: "ssh.proxyCommand", Group: groupSSH, Label: "Use ProxyCommand", Help: "Let ssh start the tunnel itself instead of using a local port."},
		func(s *Settings) *Optional[bool] { return &s.SSH.ProxyCommand }),
	stringField(Field{Key: "ssh.terminal", Group: groupSSH, Label: "Terminal", Help: "Terminal emulator kind (xterm, kitty, wt, …) or path; empty finds one."},
		func(s *Settings) *Optional[string] { return &s.SSH.Terminal }, 1024),
	choiceField(Field{Key: "ssh.client", Group: groupSSH, Label: "SSH client", Help: "embedded: a terminal tab in this window (with a file browser); system: ssh in the system terminal."},
		func(s *Settings) *Optional[string] { return &s.SSH.Client }, SSHClientEmbedded, SSHClientSystem),

	boolField(Field{Key: "tunnel.keepOpen", Group: groupTunnel, Label: "Keep tunnel open", Help: "Keep the tunnel after the client exits."},
		func(s *Settings) *Optional[bool] { return &s.Tunnel.KeepOpen }),
	intField(Field{Key: "tunnel.localPort", Group: groupTunnel, Label: "Local port", Help: "Preferred local port; 0 picks a free one.", Max: 65535, Zero: "any free port"},
		func(s *Settings) *Optional[int] { return &s.Tunnel.LocalPort }),
}

func lookupField(key string) (*fieldDef, error) {
	for i := range fieldDefs {
		if fieldDefs[i].Key == key {
			return &fieldDefs[i], nil
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownKey, key)
}

// Fields lists every setting in dialog order, grouped by Group.
func Fields() []Field {
	out := make([]Field, len(fieldDefs))
	for i, f := range fieldDefs {
		out[i] = f.Field
		out[i].Choices = slices.Clone(f.Choices)
	}
	return out
}

// FieldValue returns the field's value as text and whether it is set at
// this level.
func (s *Settings) FieldValue(key string) (string, bool, error) {
	f, err := lookupField(key)
	if err != nil {
		return "", false, err
	}
	return f.format(s), f.isSet(s), nil
}

// SetField sets the field from text (as a dialog edits it); the value is
// checked against the field's rules.
func (s *Settings) SetField(key, value string) error {
	f, err := lookupField(key)
	if err != nil {
		return err
	}
	if err := f.parse(s, value); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

// ResetField unsets the field, so it inherits again ("reset to inherited").
func (s *Settings) ResetField(key string) error {
	f, err := lookupField(key)
	if err != nil {
		return err
	}
	f.clear(s)
	return nil
}

// Row is one line of a settings dialog editing one level.
type Row struct {
	Field
	// Value is the effective value as text, and Source where it comes
	// from (Source equals the edited level when it is set there).
	Value  string
	Source Source
	// Local reports that the edited level sets the value: the dialog
	// offers "Reset to inherited".
	Local bool
	// Inherited and InheritedSource are what the value would be after a
	// reset: the levels below the edited one.
	Inherited       string
	InheritedSource Source
}

// Rows builds the rows of a dialog that edits the level edit, given all
// levels of the connection (e.g. the layers of app.Profiles.Layers).
// Levels above edit do not count: the dialog shows what this level yields.
func Rows(layers []Layer, edit Source) []Row {
	var below []Layer
	var own *Settings
	for i := range layers {
		switch {
		case layers[i].Source < edit:
			below = append(below, layers[i])
		case layers[i].Source == edit:
			own = &layers[i].Settings
		}
	}
	inherited := Resolve(below...)
	var effective Resolved
	if own != nil {
		effective = Resolve(append(below, Layer{Source: edit, Settings: *own})...)
	} else {
		effective = inherited
	}
	rows := make([]Row, 0, len(fieldDefs))
	for _, f := range fieldDefs {
		rows = append(rows, Row{
			Field:           f.Field,
			Value:           f.format(&effective.Settings),
			Source:          effective.Source(f.Key),
			Local:           own != nil && f.isSet(own),
			Inherited:       f.format(&inherited.Settings),
			InheritedSource: inherited.Source(f.Key),
		})
	}
	return rows
}
