package icons

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"os"
	"testing"
)

// TestPNG checks that each embedded or installed PNG decodes and has the size
// its name promises (the hicolor theme installs them by size).
func TestPNG(t *testing.T) {
	readFile := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		return b
	}
	tests := []struct {
		name string
		data []byte
		size int
	}{
		{"AppPNG", AppPNG, 256},
		{"iapdesk-48.png", readFile("iapdesk-48.png"), 48},
		{"iapdesk-128.png", readFile("iapdesk-128.png"), 128},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := png.DecodeConfig(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatalf("png.DecodeConfig(%s) error: %v", tc.name, err)
			}
			if cfg.Width != tc.size || cfg.Height != tc.size {
				t.Errorf("png.DecodeConfig(%s) = %d×%d, want %d×%d", tc.name, cfg.Width, cfg.Height, tc.size, tc.size)
			}
		})
	}
}

// TestSVG checks that AppSVG is well-formed XML with an <svg> root.
func TestSVG(t *testing.T) {
	var root struct {
		XMLName xml.Name
		ViewBox string `xml:"viewBox,attr"`
	}
	if err := xml.Unmarshal(AppSVG, &root); err != nil {
		t.Fatalf("xml.Unmarshal(AppSVG) error: %v", err)
	}
	if root.XMLName.Local != "svg" || root.ViewBox == "" {
		t.Errorf("AppSVG root = <%s viewBox=%q>, want <svg> with a viewBox", root.XMLName.Local, root.ViewBox)
	}
}

// TestICO checks the Windows icon's header: an ICO (type 1) holding the
// sizes Explorer asks for, up to 256 px (stored as 0 in the directory).
func TestICO(t *testing.T) {
	b, err := os.ReadFile("iapdesk.ico")
	if err != nil {
		t.Fatalf("read iapdesk.ico: %v", err)
	}
	if len(b) < 6 || b[0] != 0 || b[1] != 0 || b[2] != 1 || b[3] != 0 {
		t.Fatalf("iapdesk.ico header = % x, want 00 00 01 00 (icon)", b[:min(len(b), 4)])
	}
	n := int(b[4]) | int(b[5])<<8
	if len(b) < 6+16*n {
		t.Fatalf("iapdesk.ico: %d directory entries do not fit in %d bytes", n, len(b))
	}
	have := map[int]bool{}
	for i := range n {
		w := int(b[6+16*i])
		if w == 0 {
			w = 256
		}
		have[w] = true
	}
	for _, want := range []int{16, 32, 48, 256} {
		if !have[want] {
			t.Errorf("iapdesk.ico sizes = %v, want one of %d px", have, want)
		}
	}
}
