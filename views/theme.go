package views

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// colorNameSecondary is the colour of secondary text: a VM's IP or state
// beside its name, a saved connection's target. Fyne's "low importance"
// grey (the disabled colour) reads at 1.3:1 on a light background and
// worse on a selected row; this one is as quiet as it can be while keeping
// a contrast of at least minContrast against both the row's normal and its
// selected background (WCAG AA for text).
const colorNameSecondary fyne.ThemeColorName = "iapdesk-secondary"

// minContrast is WCAG 2's minimum contrast ratio for normal text.
const minContrast = 4.5

// appTheme is the app's theme with colorNameSecondary added.
type appTheme struct{ fyne.Theme }

// useAppTheme makes a's theme an appTheme (once).
func useAppTheme(a fyne.App) {
	if _, ok := a.Settings().Theme().(appTheme); ok {
		return
	}
	a.Settings().SetTheme(appTheme{a.Settings().Theme()})
}

// Color adds colorNameSecondary to the wrapped theme's colours.
func (t appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == colorNameSecondary {
		return secondaryColor(t.Theme, v)
	}
	return t.Theme.Color(n, v)
}

// secondaryColor mixes the foreground towards the background as far as
// the contrast against the background and the selected row allows.
func secondaryColor(th fyne.Theme, v fyne.ThemeVariant) color.Color {
	fg := th.Color(theme.ColorNameForeground, v)
	bg := th.Color(theme.ColorNameBackground, v)
	sel := over(th.Color(theme.ColorNameSelection, v), bg)
	for f := 0.45; f > 0; f -= 0.05 {
		c := mix(fg, bg, f)
		if contrast(c, bg) >= minContrast && contrast(c, sel) >= minContrast {
			return c
		}
	}
	return fg
}

// selectedBackground is the background of a selected row: the selection
// colour over the background.
func selectedBackground(th fyne.Theme, v fyne.ThemeVariant) color.Color {
	return over(th.Color(theme.ColorNameSelection, v), th.Color(theme.ColorNameBackground, v))
}

// mix is a moved the fraction f of the way towards b, opaque.
func mix(a, b color.Color, f float64) color.NRGBA {
	ca, cb := color.NRGBAModel.Convert(a).(color.NRGBA), color.NRGBAModel.Convert(b).(color.NRGBA)
	m := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-f) + float64(y)*f)) }
	return color.NRGBA{R: m(ca.R, cb.R), G: m(ca.G, cb.G), B: m(ca.B, cb.B), A: 0xff}
}

// over composites the (translucent) colour top over the opaque bottom.
func over(top, bottom color.Color) color.NRGBA {
	t := color.NRGBAModel.Convert(top).(color.NRGBA)
	return mix(bottom, color.NRGBA{R: t.R, G: t.G, B: t.B, A: 0xff}, float64(t.A)/0xff)
}

// contrast is the WCAG 2 contrast ratio of two opaque colours, 1 to 21.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is WCAG 2's relative luminance.
func luminance(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	lin := func(v uint8) float64 {
		s := float64(v) / 0xff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n.R) + 0.7152*lin(n.G) + 0.0722*lin(n.B)
}

// secondaryText is a label in colorNameSecondary.
type secondaryText struct{ *widget.RichText }

// newSecondaryText returns secondary text as wide as its text; truncate
// makes it cut with an ellipsis where it does not fit instead.
func newSecondaryText(truncate bool) secondaryText {
	rt := widget.NewRichText(&widget.TextSegment{Style: secondaryStyle})
	if truncate {
		rt.Truncation = fyne.TextTruncateEllipsis
	}
	return secondaryText{rt}
}

// secondaryStyle is the text style of secondary text.
var secondaryStyle = widget.RichTextStyle{Inline: true, ColorName: colorNameSecondary, SizeName: theme.SizeNameText}

// SetText shows text.
func (s secondaryText) SetText(text string) {
	seg := s.Segments[0].(*widget.TextSegment)
	if seg.Text == text {
		return
	}
	seg.Text = text
	s.Refresh()
}

// Text is the text shown.
func (s secondaryText) Text() string { return s.Segments[0].(*widget.TextSegment).Text }
