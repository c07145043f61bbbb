package packaging

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"unicode/utf16"
)

// regFile is a parsed .reg file: key → value name ("@" = default) → raw
// value text after the '='.
type regFile map[string]map[string]string

// parseReg parses the subset of the regedit 5.00 format the repo uses:
// comments, [KEY] lines, "name"=… / @=… values, and "\" line continuations.
func parseReg(t *testing.T, text string) regFile {
	t.Helper()
	const header = "Windows Registry Editor Version 5.00\r\n"
	if !strings.HasPrefix(text, header) {
		t.Fatalf("reg file starts %q, want %q", text[:min(len(text), len(header))], header)
	}
	if strings.Count(text, "\n") != strings.Count(text, "\r\n") {
		t.Errorf("reg file has bare LF line ends; regedit wants CRLF")
	}
	text = strings.ReplaceAll(text, "\\\r\n  ", "")
	reg := regFile{}
	var key string
	for i, line := range strings.Split(strings.TrimPrefix(text, header), "\r\n") {
		switch {
		case line == "" || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			key = line[1 : len(line)-1]
			reg[key] = map[string]string{}
		case key != "" && strings.Contains(line, "="):
			name, val, _ := strings.Cut(line, "=")
			reg[key][strings.Trim(name, `"`)] = val
		default:
			t.Errorf("reg file line %d: cannot parse %q", i+2, line)
		}
	}
	return reg
}

// decodeExpandSZ decodes a hex(2): REG_EXPAND_SZ value (UTF-16LE, NUL-terminated).
func decodeExpandSZ(t *testing.T, v string) string {
	t.Helper()
	h, ok := strings.CutPrefix(v, "hex(2):")
	if !ok {
		t.Fatalf("value %q is not hex(2)", v)
	}
	b, err := hex.DecodeString(strings.ReplaceAll(h, ",", ""))
	if err != nil || len(b)%2 != 0 {
		t.Fatalf("value %q: bad hex: %v", v, err)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	if len(u) == 0 || u[len(u)-1] != 0 {
		t.Fatalf("value %q is not NUL-terminated", v)
	}
	return string(utf16.Decode(u[:len(u)-1]))
}

// decodeUTF16File decodes a .reg file, which must be UTF-16LE with a byte
// order mark as regedit writes it: only then do importers read its hex(2)
// values as UTF-16 (Wine's reg import widens them byte by byte in an ASCII
// file, and the registered command became a lone quote; packaging/wine
// imports the file).
func decodeUTF16File(t *testing.T, b []byte) string {
	t.Helper()
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xFE || len(b)%2 != 0 {
		t.Fatalf("reg file is not UTF-16LE with a byte order mark (starts % x)", b[:min(len(b), 4)])
	}
	u := make([]uint16, (len(b)-2)/2)
	for i := range u {
		u[i] = uint16(b[2+2*i]) | uint16(b[3+2*i])<<8
	}
	return string(utf16.Decode(u))
}

// TestURLSchemeReg checks windows/iap-rdp.reg: its encoding, the keys
// Windows needs for a URL protocol handler, and expandable values that say
// what the comments say.
func TestURLSchemeReg(t *testing.T) {
	raw, err := os.ReadFile("windows/iap-rdp.reg")
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(decodeUTF16File(t, raw))
	reg := parseReg(t, string(b))
	const root = `HKEY_CURRENT_USER\Software\Classes\iap-rdp`
	const exe = `"%LOCALAPPDATA%\Programs\iapdesk\iapdesk.exe"`
	if v, ok := reg[root]["URL Protocol"]; !ok || v != `""` {
		t.Errorf(`%s "URL Protocol" = %q (present %v), want ""`, root, v, ok)
	}
	tests := []struct {
		key, want string
	}{
		{root + `\DefaultIcon`, exe + ",0"},
		{root + `\shell\open\command`, exe + ` "%1"`},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			v, ok := reg[tc.key]["@"]
			if !ok {
				t.Fatalf("reg file has no default value for [%s]", tc.key)
			}
			if got := decodeExpandSZ(t, v); got != tc.want {
				t.Errorf("[%s] @ = %q, want %q", tc.key, got, tc.want)
			}
			if !strings.Contains(string(b), tc.want+"\r\n") {
				t.Errorf("reg file comments do not show the value %q", tc.want)
			}
		})
	}
}
