package views

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// TestSecondaryTextContrast: the secondary text (a VM's IP or state in the
// tree, a saved connection's target) has a contrast of at least 4.5:1
// against both the normal and the selected row background, in the light
// and the dark theme; Fyne's low-importance grey, used before, does not.
func TestSecondaryTextContrast(t *testing.T) {
	th := theme.DefaultTheme()
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		t.Run(map[fyne.ThemeVariant]string{theme.VariantLight: "light", theme.VariantDark: "dark"}[v], func(t *testing.T) {
			bg := th.Color(theme.ColorNameBackground, v)
			sel := selectedBackground(th, v)
			c := appTheme{th}.Color(colorNameSecondary, v)
			for _, b := range []struct {
				name string
				bg   color.Color
			}{{"row", bg}, {"selected row", sel}} {
				if got := contrast(c, b.bg); got < minContrast {
					t.Errorf("contrast(secondary %v, %s %v) = %.2f, want >= %.1f", c, b.name, b.bg, got, minContrast)
				}
			}
			if c == th.Color(theme.ColorNameForeground, v) {
				t.Errorf("secondary = the foreground %v, want a quieter colour", c)
			}
			if old := contrast(th.Color(theme.ColorNameDisabled, v), sel); old >= minContrast {
				t.Errorf("the low-importance grey reads at %.2f on a selected row: the test no longer shows the problem", old)
			}
		})
	}
}

// TestTreeNotesSecondary: a VM's IP in the tree is secondary text, not the
// low-importance grey.
func TestTreeNotesSecondary(t *testing.T) {
	tw := newTestWorld(t)
	tw.expand(linuxVM)
	row := tw.row(t, app.InstanceNode(linuxVM))
	seg := row.note.Segments[0].(*widget.TextSegment)
	if seg.Style.ColorName != colorNameSecondary || row.note.Text() == "" {
		t.Errorf("IP note %q in colour %q, want it in %q", row.note.Text(), seg.Style.ColorName, colorNameSecondary)
	}
	if row.note.Truncation != fyne.TextTruncateOff {
		t.Error("the IP note is cut with an ellipsis")
	}
}
