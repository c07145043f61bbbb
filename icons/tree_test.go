package icons

import (
	"encoding/xml"
	"testing"
)

// TestTreeSVG checks that every explorer icon is a well-formed 24×24 SVG.
func TestTreeSVG(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"WindowsSVG", WindowsSVG},
		{"LinuxSVG", LinuxSVG},
		{"StoppedSVG", StoppedSVG},
		{"WindowsStoppedSVG", WindowsStoppedSVG},
		{"LinuxStoppedSVG", LinuxStoppedSVG},
		{"ErrorSVG", ErrorSVG},
		{"ProjectSVG", ProjectSVG},
		{"ZoneSVG", ZoneSVG},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var root struct {
				XMLName xml.Name
				ViewBox string `xml:"viewBox,attr"`
			}
			if err := xml.Unmarshal(tc.data, &root); err != nil {
				t.Fatalf("xml.Unmarshal(%s) error: %v", tc.name, err)
			}
			if root.XMLName.Local != "svg" || root.ViewBox != "0 0 24 24" {
				t.Errorf("%s root = <%s viewBox=%q>, want <svg viewBox=\"0 0 24 24\">", tc.name, root.XMLName.Local, root.ViewBox)
			}
		})
	}
}
