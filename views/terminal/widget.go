package terminal

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Font sizes the terminal allows (Ctrl+plus / Ctrl+minus).
const (
	MinFontSize     = 7
	MaxFontSize     = 36
	DefaultFontSize = 13
)

// Terminal is the widget that draws a Model (widget.TextGrid, one style
// per cell) and sends it keys: typed text, named keys and Ctrl/Alt
// combinations; Ctrl+Shift+C and Ctrl+Shift+V copy and paste (also in the
// context menu); a selection made with the mouse is copied at once; the
// wheel scrolls back; Ctrl+plus and Ctrl+minus change the font size. The
// owner calls Refresh when the model changed (at most once per frame) and
// learns the size in cells from OnResize. UI thread only.
type Terminal struct {
	widget.BaseWidget

	model     *Model
	grid      *widget.TextGrid
	override  *container.ThemeOverride
	clipboard fyne.Clipboard
	fontSize  float32
	focused   bool
	cols      int
	rows      int
	snap      Snapshot
	styles    map[styleKey]*widget.CustomTextGridStyle
	dragFrom  *[2]int
	down      map[fyne.KeyName]bool // keys held now (desktop.Keyable)

	// OnResize is called with the new size in cells after the widget (or
	// its font) changed size.
	OnResize func(cols, rows int)
	// OnFontSize is called after Ctrl+plus or Ctrl+minus.
	OnFontSize func(size float32)
	// Menu returns extra context menu items (e.g. Reconnect, Files).
	Menu func() []*fyne.MenuItem
	// ShowMenu shows the context menu at a position (widget.ShowPopUpMenuAtPosition);
	// nil shows nothing (tests).
	ShowMenu func(m *fyne.Menu, pos fyne.Position)
}

var (
	_ fyne.Focusable         = (*Terminal)(nil)
	_ fyne.Shortcutable      = (*Terminal)(nil)
	_ fyne.Scrollable        = (*Terminal)(nil)
	_ fyne.Draggable         = (*Terminal)(nil)
	_ fyne.Tappable          = (*Terminal)(nil)
	_ fyne.SecondaryTappable = (*Terminal)(nil)
	_ desktop.Mouseable      = (*Terminal)(nil)
	_ desktop.Cursorable     = (*Terminal)(nil)
	_ desktop.Keyable        = (*Terminal)(nil)
)

// NewTerminal returns the widget for m; clipboard is the window's.
func NewTerminal(m *Model, clipboard fyne.Clipboard) *Terminal {
	t := &Terminal{model: m, clipboard: clipboard, fontSize: DefaultFontSize, styles: map[styleKey]*widget.CustomTextGridStyle{},
		down: map[fyne.KeyName]bool{}}
	t.grid = widget.NewTextGrid()
	t.grid.Scroll = fyne.ScrollNone
	t.override = container.NewThemeOverride(t.grid, sizedTheme{size: t.fontSize})
	t.ExtendBaseWidget(t)
	t.cols, t.rows = m.Size()
	return t
}

// Model is the screen model the widget shows.
func (t *Terminal) Model() *Model { return t.model }

// FontSize is the text size in points.
func (t *Terminal) FontSize() float32 { return t.fontSize }

// SetFontSize changes the text size (clamped to MinFontSize..MaxFontSize);
// the size in cells follows.
func (t *Terminal) SetFontSize(size float32) {
	size = float32(math.Max(MinFontSize, math.Min(MaxFontSize, float64(size))))
	if size == t.fontSize {
		return
	}
	t.fontSize = size
	t.override.Theme = sizedTheme{size: size}
	t.override.Refresh()
	t.fit(t.Size())
	if t.OnFontSize != nil {
		t.OnFontSize(size)
	}
}

// CellSize is the size of one character cell at the current font size,
// rounded as widget.TextGrid rounds it.
func (t *Terminal) CellSize() fyne.Size {
	s := fyne.MeasureText("M", t.fontSize, fyne.TextStyle{Monospace: true})
	return fyne.NewSize(float32(math.Round(float64(s.Width))), float32(math.Round(float64(s.Height))))
}

// Resize fits the terminal's cells to size.
func (t *Terminal) Resize(size fyne.Size) {
	t.BaseWidget.Resize(size)
	t.fit(size)
}

// fit resizes the model to as many cells as size holds.
func (t *Terminal) fit(size fyne.Size) {
	cell := t.CellSize()
	if cell.Width <= 0 || cell.Height <= 0 || size.Width <= 0 || size.Height <= 0 {
		return
	}
	cols := max(2, int(size.Width/cell.Width))
	rows := max(1, int(size.Height/cell.Height))
	if cols == t.cols && rows == t.rows {
		return
	}
	t.cols, t.rows = cols, rows
	t.model.Resize(cols, rows)
	if t.OnResize != nil {
		t.OnResize(cols, rows)
	}
	t.Refresh()
}

// MinSize is a few cells: the terminal takes what its container gives.
func (t *Terminal) MinSize() fyne.Size {
	c := t.CellSize()
	return fyne.NewSize(c.Width*10, c.Height*3)
}

// Refresh redraws the grid from the model.
func (t *Terminal) Refresh() {
	t.draw()
	t.BaseWidget.Refresh()
}

// draw copies a snapshot of the model into the grid's rows.
func (t *Terminal) draw() {
	t.model.Snapshot(&t.snap)
	s := &t.snap
	if len(t.grid.Rows) != s.Rows {
		t.grid.Rows = make([]widget.TextGridRow, s.Rows)
	}
	for y := range s.Rows {
		row := t.grid.Rows[y].Cells[:0]
		for x := 0; x < s.Cols; x++ {
			c := s.Cells[y][x]
			if c.Width == 0 && c.Text == "" && x > 0 {
				continue // the right half of a wide character
			}
			r := ' '
			if c.Text != "" {
				r = []rune(c.Text)[0]
			}
			if r == '_' {
				// Fyne draws a cell's text clipped to the cell, and the
				// font's underscore lies below it: a lower block shows
				// the same line (copying takes the model's text).
				r = '▁'
			}
			cursor := t.focused && s.CursorVisible && x == s.CursorX && y == s.CursorY
			row = append(row, widget.TextGridCell{Rune: r, Style: t.style(c, s.Selection.Contains(x, y) != cursor)})
		}
		t.grid.Rows[y].Cells = row
	}
}

// styleKey identifies a cell style, so styles are shared between cells.
type styleKey struct {
	fg, bg                   color.RGBA
	fgSet, bgSet             bool
	bold, italic, under, inv bool
}

// style returns the shared style for c; invert swaps the colours again
// (selection, cursor).
func (t *Terminal) style(c Cell, invert bool) widget.TextGridStyle {
	k := styleKey{bold: c.Bold, italic: c.Italic, under: c.Underline, inv: c.Reverse != invert}
	if c.FG != nil {
		k.fg, k.fgSet = toRGBA(c.FG), true
	}
	if c.BG != nil {
		k.bg, k.bgSet = toRGBA(c.BG), true
	}
	if st, ok := t.styles[k]; ok {
		return st
	}
	if len(t.styles) > 4096 {
		clear(t.styles) // a program cycling through true colours
	}
	fg, bg := defaultFG, defaultBG
	if k.fgSet {
		fg = k.fg
	}
	if k.bgSet {
		bg = k.bg
	}
	if c.Faint {
		fg = color.RGBA{R: fg.R / 2, G: fg.G / 2, B: fg.B / 2, A: 255}
	}
	if k.inv {
		fg, bg = bg, fg
	}
	var bgc color.Color = bg
	if bg == defaultBG {
		// The widget's background shows through: a cell that paints its
		// own would cover the descenders (_, g, y) of the row above.
		bgc = nil
	}
	st := &widget.CustomTextGridStyle{FGColor: fg, BGColor: bgc,
		TextStyle: fyne.TextStyle{Monospace: true, Bold: c.Bold, Italic: c.Italic, Underline: c.Underline}}
	t.styles[k] = st
	return st
}

// The terminal's default colours: a dark terminal whatever the theme.
var (
	defaultFG = color.RGBA{R: 0xd0, G: 0xd0, B: 0xd0, A: 0xff}
	defaultBG = color.RGBA{R: 0x1e, G: 0x1e, B: 0x1e, A: 0xff}
)

func toRGBA(c color.Color) color.RGBA {
	if v, ok := c.(color.RGBA); ok {
		return v
	}
	r, g, b, a := c.RGBA()
	return color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a >> 8)}
}

// CreateRenderer draws the grid on the terminal's background.
func (t *Terminal) CreateRenderer() fyne.WidgetRenderer {
	t.draw()
	return &renderer{t: t, bg: canvas.NewRectangle(defaultBG)}
}

type renderer struct {
	t  *Terminal
	bg *canvas.Rectangle
}

func (r *renderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	r.t.override.Resize(size)
	r.t.override.Move(fyne.NewPos(0, 0))
}
func (r *renderer) MinSize() fyne.Size           { return r.t.MinSize() }
func (r *renderer) Refresh()                     { r.t.grid.Refresh() }
func (r *renderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.t.override} }
func (r *renderer) Destroy()                     {}

// FocusGained shows the cursor.
func (t *Terminal) FocusGained() { t.focused = true; t.Refresh() }

// FocusLost hides the cursor and forgets the keys held (their KeyUp goes
// elsewhere).
func (t *Terminal) FocusLost() {
	t.focused = false
	clear(t.down)
	t.Refresh()
}

// TypedRune sends typed text.
func (t *Terminal) TypedRune(r rune) { t.model.Text(string(r)) }

// TypedKey sends a named key (arrows, Home, F1, Enter, …).
func (t *Terminal) TypedKey(ev *fyne.KeyEvent) {
	if k, ok := KeyFor(ev.Name, 0); ok && k.Text == "" {
		t.model.Key(k)
	}
}

// TypedShortcut handles Ctrl and Alt combinations: the terminal's own
// (copy, paste, font size) and the rest sent to the program.
func (t *Terminal) TypedShortcut(s fyne.Shortcut) {
	name, mods, ok := shortcutKey(s)
	if !ok {
		return
	}
	ctrl := mods&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0
	shift := mods&fyne.KeyModifierShift != 0
	switch {
	case ctrl && shift && name == fyne.KeyC:
		t.Copy()
		return
	case ctrl && shift && name == fyne.KeyV:
		t.Paste()
		return
	case ctrl && (name == fyne.KeyEqual || name == fyne.KeyPlus || name == "+"):
		t.SetFontSize(t.fontSize + 1)
		return
	case ctrl && name == fyne.KeyMinus:
		t.SetFontSize(t.fontSize - 1)
		return
	case ctrl && name == fyne.Key0:
		t.SetFontSize(DefaultFontSize)
		return
	}
	if mods&fyne.KeyModifierSuper != 0 {
		return // the desktop's
	}
	if k, ok := KeyFor(name, mods); ok {
		t.model.Key(k)
	}
}

// KeyDown notes a key held down, for CtrlHeld.
func (t *Terminal) KeyDown(ev *fyne.KeyEvent) { t.down[ev.Name] = true }

// KeyUp notes a key let go.
func (t *Terminal) KeyUp(ev *fyne.KeyEvent) { delete(t.down, ev.Name) }

// CtrlHeld reports whether Ctrl and key are held down now: a window-wide
// shortcut (a main menu item's Ctrl+R) was typed in the terminal and
// belongs to the program running in it.
func (t *Terminal) CtrlHeld(key fyne.KeyName) bool {
	return t.down[key] && (t.down[desktop.KeyControlLeft] || t.down[desktop.KeyControlRight])
}

// Copy copies the selection to the clipboard.
func (t *Terminal) Copy() {
	if s := t.model.SelectedText(); s != "" && t.clipboard != nil {
		t.clipboard.SetContent(s)
	}
}

// Paste sends the clipboard's text (bracketed when the program wants).
func (t *Terminal) Paste() {
	if t.clipboard == nil {
		return
	}
	if s := t.clipboard.Content(); s != "" {
		t.model.Paste(s)
	}
}

// Scrolled scrolls back through the history (three lines a notch).
func (t *Terminal) Scrolled(ev *fyne.ScrollEvent) {
	lines := int(ev.Scrolled.DY / 10)
	if lines == 0 && ev.Scrolled.DY != 0 {
		lines = int(math.Copysign(1, float64(ev.Scrolled.DY)))
	}
	t.model.Scroll(lines * 3)
	t.Refresh()
}

// cellAt is the cell under a position of the widget.
func (t *Terminal) cellAt(p fyne.Position) (int, int) {
	c := t.CellSize()
	x := max(0, min(t.cols-1, int(p.X/c.Width)))
	y := max(0, min(t.rows-1, int(p.Y/c.Height)))
	return x, y
}

// Dragged extends the selection.
func (t *Terminal) Dragged(ev *fyne.DragEvent) {
	x, y := t.cellAt(ev.Position)
	if t.dragFrom == nil {
		sx, sy := t.cellAt(ev.Position.Subtract(ev.Dragged))
		t.dragFrom = &[2]int{sx, sy}
	}
	t.model.Select(Region{StartX: t.dragFrom[0], StartY: t.dragFrom[1], EndX: x, EndY: y, Active: true})
	t.Refresh()
}

// DragEnd ends the selection and copies it (copy on selection).
func (t *Terminal) DragEnd() {
	t.dragFrom = nil
	t.Copy()
}

// Tapped clears the selection.
func (t *Terminal) Tapped(*fyne.PointEvent) {
	t.model.Select(Region{})
	t.Refresh()
}

// MouseDown focuses the terminal.
func (t *Terminal) MouseDown(*desktop.MouseEvent) {
	if c := fyne.CurrentApp(); c != nil {
		if w := c.Driver().CanvasForObject(t); w != nil {
			w.Focus(t)
		}
	}
}

// MouseUp does nothing.
func (t *Terminal) MouseUp(*desktop.MouseEvent) {}

// Cursor is the text cursor.
func (t *Terminal) Cursor() desktop.Cursor { return desktop.TextCursor }

// TappedSecondary shows the context menu: Copy, Paste, and the owner's.
func (t *Terminal) TappedSecondary(ev *fyne.PointEvent) {
	if t.ShowMenu == nil {
		return
	}
	items := []*fyne.MenuItem{
		fyne.NewMenuItem("Copy\tCtrl+Shift+C", t.Copy),
		fyne.NewMenuItem("Paste\tCtrl+Shift+V", t.Paste),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Larger text\tCtrl++", func() { t.SetFontSize(t.fontSize + 1) }),
		fyne.NewMenuItem("Smaller text\tCtrl+-", func() { t.SetFontSize(t.fontSize - 1) }),
	}
	if t.Menu != nil {
		if extra := t.Menu(); len(extra) > 0 {
			items = append(append(items, fyne.NewMenuItemSeparator()), extra...)
		}
	}
	t.ShowMenu(fyne.NewMenu("", items...), ev.AbsolutePosition)
}

// sizedTheme is the app's theme with the terminal's text size.
type sizedTheme struct{ size float32 }

func (s sizedTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return theme.DefaultTheme().Color(n, v)
}
func (s sizedTheme) Font(st fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(st) }
func (s sizedTheme) Icon(n fyne.ThemeIconName) fyne.Resource {
	return theme.DefaultTheme().Icon(n)
}
func (s sizedTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return s.size
	case theme.SizeNameInnerPadding, theme.SizeNamePadding:
		return 0
	}
	return theme.DefaultTheme().Size(n)
}
