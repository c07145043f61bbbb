package packaging

import (
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestScriptsParse runs `bash -n` on every script here, including the ones
// that only run elsewhere (macos/build-app.sh on a Mac).
func TestScriptsParse(t *testing.T) {
	scripts, err := filepath.Glob("*.sh")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("*/*.sh")
	scripts = append(scripts, more...)
	if len(scripts) < 6 {
		t.Fatalf("found only %d scripts: %v", len(scripts), scripts)
	}
	for _, s := range scripts {
		t.Run(s, func(t *testing.T) {
			if out, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
				t.Errorf("bash -n %s: %v\n%s", s, err, out)
			}
			fi, err := os.Stat(s)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode()&0o111 == 0 {
				t.Errorf("%s mode %v, want executable", s, fi.Mode())
			}
		})
	}
}

// plistValue is a decoded property list value: string, []any or map[string]any.
type plistValue = any

// decodePlist decodes the dict/array/string/true/false subset of an XML
// property list.
func decodePlist(t *testing.T, r io.Reader) map[string]any {
	t.Helper()
	d := xml.NewDecoder(r)
	d.Strict = false // the DOCTYPE names an external DTD
	var value func(start xml.StartElement) (plistValue, error)
	value = func(start xml.StartElement) (plistValue, error) {
		switch start.Name.Local {
		case "string", "key", "integer":
			var s string
			err := d.DecodeElement(&s, &start)
			return s, err
		case "true", "false":
			return start.Name.Local == "true", d.Skip()
		case "array", "dict":
			var items []any
			var keys []string
			for {
				tok, err := d.Token()
				if err != nil {
					return nil, err
				}
				switch tok := tok.(type) {
				case xml.StartElement:
					v, err := value(tok)
					if err != nil {
						return nil, err
					}
					if tok.Name.Local == "key" {
						keys = append(keys, v.(string))
					} else {
						items = append(items, v)
					}
				case xml.EndElement:
					if start.Name.Local == "array" {
						return items, nil
					}
					if len(keys) != len(items) {
						return nil, errors.New("dict with unpaired keys")
					}
					m := map[string]any{}
					for i, k := range keys {
						m[k] = items[i]
					}
					return m, nil
				}
			}
		}
		return nil, errors.New("unsupported plist element <" + start.Name.Local + ">")
	}
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("plist: no top-level <dict>: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "dict" {
			v, err := value(se)
			if err != nil {
				t.Fatalf("plist: %v", err)
			}
			return v.(map[string]any)
		}
	}
}

// TestMacURLSchemePlist checks the Info.plist fragment build-app.sh merges:
// one URL type whose schemes include iap-rdp.
func TestMacURLSchemePlist(t *testing.T) {
	f, err := os.Open("macos/url-scheme.plist")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	top := decodePlist(t, f)
	types, _ := top["CFBundleURLTypes"].([]any)
	if len(types) != 1 {
		t.Fatalf("CFBundleURLTypes = %#v, want one URL type", top["CFBundleURLTypes"])
	}
	typ, _ := types[0].(map[string]any)
	schemes, _ := typ["CFBundleURLSchemes"].([]any)
	if len(schemes) != 1 || schemes[0] != "iap-rdp" {
		t.Errorf("CFBundleURLSchemes = %#v, want [iap-rdp]", typ["CFBundleURLSchemes"])
	}
	if name, _ := typ["CFBundleURLName"].(string); !strings.HasPrefix(name, "io.github.iapdesk") {
		t.Errorf("CFBundleURLName = %q, want a name under the app ID io.github.iapdesk", name)
	}
}
