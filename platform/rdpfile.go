package platform

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode/utf16"
)

// RDPFile returns the .rdp file for mstsc (Windows) and Windows App (macOS),
// lines ending in CRLF. It never contains the password: mstsc gets it from
// the Windows Credential Manager, Windows App asks the user (an .rdp
// "password 51:b:" blob is DPAPI-encrypted, Windows only, and Windows App
// ignores it).
func RDPFile(spec RDPSpec) (string, error) {
	if err := spec.validate(); err != nil {
		return "", err
	}
	o := spec.Options
	var b strings.Builder
	line := func(k, typ, v string) { fmt.Fprintf(&b, "%s:%s:%s\r\n", k, typ, v) }
	num := func(k string, v int) { line(k, "i", strconv.Itoa(v)) }
	boolNum := func(k string, v bool) {
		if v {
			num(k, 1)
		} else {
			num(k, 0)
		}
	}
	line("full address", "s", net.JoinHostPort(spec.host(), strconv.Itoa(spec.Port)))
	line("username", "s", spec.Username)
	if spec.Domain != "" {
		line("domain", "s", spec.Domain)
	}
	num("prompt for credentials", 0)
	num("enablecredsspsupport", 1)
	num("negotiate security layer", 1)
	// authentication level: 0 connect without warning, 1 do not connect,
	// 2 warn. mstsc cannot pin a fingerprint, so pinning and TOFU warn.
	switch o.Cert {
	case CertIgnore:
		num("authentication level", 0)
	case CertDeny:
		num("authentication level", 1)
	default:
		num("authentication level", 2)
	}
	if o.FullScreen {
		num("screen mode id", 2)
	} else {
		num("screen mode id", 1)
	}
	if o.Width != 0 {
		num("desktopwidth", o.Width)
		num("desktopheight", o.Height)
	}
	boolNum("dynamic resolution", o.DynamicResolution)
	if o.ScaleToWindow {
		num("smart sizing", 1)
	}
	if o.ColorDepth != 0 {
		num("session bpp", o.ColorDepth)
	}
	// audiomode: 0 play here, 1 play on the remote computer, 2 do not play.
	num("audiomode", int(o.Audio))
	boolNum("redirectclipboard", !o.NoClipboard)
	if len(o.Drives) > 0 {
		var paths []string
		for _, d := range o.Drives {
			if d.Path == "*" {
				paths = []string{"*"}
				break
			}
			paths = append(paths, d.Path)
		}
		line("drivestoredirect", "s", strings.Join(paths, ";"))
	}
	num("autoreconnection enabled", 1)
	return b.String(), nil
}

// utf16File encodes text as UTF-16LE with a byte-order mark, the encoding
// mstsc writes and reads for non-ASCII names.
func utf16File(text string) []byte {
	u := utf16.Encode([]rune(text))
	out := make([]byte, 0, 2+2*len(u))
	out = append(out, 0xFF, 0xFE)
	for _, c := range u {
		out = append(out, byte(c), byte(c>>8))
	}
	return out
}

// RemminaProfile returns a .remmina connection profile for spec, opened with
// `remmina -c FILE`. The password is left out on purpose and Remmina asks
// for it: a profile only accepts it 3DES-encrypted with the "secret" stored
// in the user's own remmina.pref (obfuscation with the key beside it), and
// Remmina may write the profile back with whatever it holds. Username and
// domain are filled in.
func RemminaProfile(spec RDPSpec) (string, error) {
	if err := spec.validate(); err != nil {
		return "", err
	}
	o := spec.Options
	var b strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, keyFileEscape(v)) }
	title := spec.Title
	if title == "" {
		title = net.JoinHostPort(spec.host(), strconv.Itoa(spec.Port))
	}
	b.WriteString("[remmina]\n")
	kv("name", title)
	kv("group", "iapdesk")
	kv("protocol", "RDP")
	kv("server", net.JoinHostPort(spec.host(), strconv.Itoa(spec.Port)))
	kv("username", spec.Username)
	kv("domain", spec.Domain)
	kv("password", "")
	// colordepth 99 is Remmina's "automatic".
	depth := 99
	if o.ColorDepth != 0 {
		depth = o.ColorDepth
	}
	kv("colordepth", strconv.Itoa(depth))
	// resolution_mode: 0 custom size, 2 the initial window size.
	if o.Width != 0 {
		kv("resolution_mode", "0")
		kv("resolution_width", strconv.Itoa(o.Width))
		kv("resolution_height", strconv.Itoa(o.Height))
	} else {
		kv("resolution_mode", "2")
	}
	// viewmode: 1 scrolled window, 4 full screen (viewport).
	if o.FullScreen {
		kv("viewmode", "4")
	} else {
		kv("viewmode", "1")
	}
	if o.ScaleToWindow {
		kv("scale", "1") // scale the remote desktop to the window
	}
	kv("sound", o.Audio.String())
	kv("disableclipboard", boolDigit(o.NoClipboard))
	for _, d := range o.Drives {
		if d.Path != "*" { // Remmina shares one folder
			kv("sharefolder", d.Path)
			break
		}
	}
	kv("cert_ignore", boolDigit(o.Cert == CertIgnore))
	return b.String(), nil
}

func boolDigit(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

// keyFileEscape escapes a value for a GLib key file (.remmina): backslash
// starts an escape there, and leading spaces would be trimmed.
func keyFileEscape(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	if strings.HasPrefix(v, " ") {
		v = `\s` + v[1:]
	}
	return v
}

// fileStem turns a title into a safe temporary-file name prefix; mstsc shows
// the .rdp file's name in its window title.
func fileStem(title string) string {
	var b strings.Builder
	for _, r := range title {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.Trim(b.String(), "._")
	if s == "" {
		return "iapdesk"
	}
	return s
}

// freeRDPPrograms are tried in order on Linux.
var freeRDPPrograms = []string{"xfreerdp3", "sdl-freerdp3", "xfreerdp", "wlfreerdp3", "wlfreerdp"}

// macRDPApps are the Microsoft clients on macOS, newest first.
var macRDPApps = []string{"Windows App", "Microsoft Remote Desktop"}

func (l *Launcher) rdpPlan(goos string, spec RDPSpec) (*plan, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	stem := fileStem(spec.Title)
	switch goos {
	case "windows":
		text, err := RDPFile(spec)
		if err != nil {
			return nil, err
		}
		mstsc, err := l.find(goos, "mstsc")
		if err != nil {
			return nil, err
		}
		p := &plan{
			argv:  []string{mstsc, fileArg},
			files: []planFile{{pattern: stem + "-*.rdp", content: utf16File(text)}},
		}
		if spec.Password == "" {
			p.prompts = true
		} else {
			user := spec.Username
			if spec.Domain != "" {
				user = spec.Domain + `\` + spec.Username
			}
			// mstsc looks the login up as TERMSRV/<host>, without the port.
			p.cred = &credential{target: "TERMSRV/" + spec.host(), user: user, password: spec.Password}
		}
		return p, nil
	case "darwin":
		text, err := RDPFile(spec)
		if err != nil {
			return nil, err
		}
		app, err := l.macApp(macRDPApps...)
		if err != nil {
			return nil, err
		}
		open, err := l.find(goos, "open")
		if err != nil {
			return nil, err
		}
		// -W: wait until the app quits, so the tunnel outlives the session
		// (Windows App keeps running between sessions; that is the price).
		return &plan{
			argv:    []string{open, "-W", "-a", app, fileArg},
			files:   []planFile{{pattern: stem + "-*.rdp", content: []byte(text)}},
			prompts: true,
		}, nil
	}
	// Linux.
	var freerdp string
	if l.rdpClient != "remmina" {
		for _, prog := range freeRDPPrograms {
			if p, err := l.lookPath(prog); err == nil {
				freerdp = p
				break
			}
		}
	}
	if freerdp != "" && (spec.Password != "" || l.rdpClient == "freerdp") {
		args, err := FreeRDPArgs(spec)
		if err != nil {
			return nil, err
		}
		stdin, err := FreeRDPStdin(spec)
		if err != nil {
			return nil, err
		}
		return &plan{argv: append([]string{freerdp}, args...), stdin: stdin}, nil
	}
	if l.rdpClient != "freerdp" {
		if remmina, err := l.lookPath("remmina"); err == nil {
			text, err := RemminaProfile(spec)
			if err != nil {
				return nil, err
			}
			return &plan{
				argv:     []string{remmina, "-c", fileArg},
				files:    []planFile{{pattern: stem + "-*.remmina", content: []byte(text)}},
				detached: true, // may hand the profile to a running Remmina
				prompts:  true,
			}, nil
		}
	}
	if freerdp != "" {
		return nil, ErrPasswordRequired
	}
	switch l.rdpClient {
	case "freerdp":
		return nil, &NotFoundError{Program: "xfreerdp", Package: packageFor("linux", "xfreerdp")}
	case "remmina":
		return nil, &NotFoundError{Program: "remmina", Package: packageFor("linux", "remmina")}
	}
	return nil, &NotFoundError{Program: "xfreerdp", Package: packageFor("linux", "xfreerdp") + " (or remmina)"}
}

// macApp returns the path of the first installed app bundle among names, in
// /Applications or ~/Applications.
func (l *Launcher) macApp(names ...string) (string, error) {
	home := l.getenv("HOME")
	for _, n := range names {
		for _, dir := range []string{"/Applications", home + "/Applications"} {
			p := dir + "/" + n + ".app"
			if l.stat(p) == nil {
				return p, nil
			}
		}
	}
	return "", &NotFoundError{Program: names[0], Package: packageFor("darwin", names[0])}
}
