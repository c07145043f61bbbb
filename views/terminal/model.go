package terminal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"image/color"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// Cell is one character cell of a Snapshot.
type Cell struct {
	// Text is the cell's grapheme ("" for a blank cell, or the right half
	// of a wide character, whose Width is 0).
	Text  string
	Width int
	// FG and BG are the resolved colours (palette and true colour alike),
	// nil for the terminal's default; Reverse is not applied.
	FG, BG    color.Color
	Bold      bool
	Faint     bool
	Italic    bool
	Underline bool
	Reverse   bool
	Strike    bool
}

// Snapshot is what the terminal shows: the screen (or, scrolled back, part
// of the scrollback and the top of the screen), the cursor and the state
// the widget needs. Rows[y][x].
type Snapshot struct {
	Cols, Rows    int
	Cells         [][]Cell
	CursorX       int
	CursorY       int
	CursorVisible bool // false while scrolled back or hidden by the program
	AltScreen     bool
	Scrolled      int // lines scrolled back; 0 is the live screen
	Title         string
	// Selection is the selected region, in Cells' coordinates; empty when
	// nothing is selected.
	Selection Region
}

// Region is a stream selection from Start to End (inclusive), in cells.
type Region struct {
	StartX, StartY, EndX, EndY int
	Active                     bool
}

// Contains reports whether the cell x, y is selected.
func (r Region) Contains(x, y int) bool {
	if !r.Active {
		return false
	}
	sx, sy, ex, ey := r.ordered()
	if y < sy || y > ey {
		return false
	}
	if y == sy && x < sx {
		return false
	}
	if y == ey && x > ex {
		return false
	}
	return true
}

func (r Region) ordered() (sx, sy, ex, ey int) {
	if r.StartY < r.EndY || r.StartY == r.EndY && r.StartX <= r.EndX {
		return r.StartX, r.StartY, r.EndX, r.EndY
	}
	return r.EndX, r.EndY, r.StartX, r.StartY
}

// palette are the 16 basic colours: VS Code's terminal colours, readable
// on the dark background (xterm's blue is not); the 240 others are
// xterm's.
var palette = [16]color.RGBA{
	{0x00, 0x00, 0x00, 0xff}, {0xcd, 0x31, 0x31, 0xff}, {0x0d, 0xbc, 0x79, 0xff}, {0xe5, 0xe5, 0x10, 0xff},
	{0x24, 0x72, 0xc8, 0xff}, {0xbc, 0x3f, 0xbc, 0xff}, {0x11, 0xa8, 0xcd, 0xff}, {0xe5, 0xe5, 0xe5, 0xff},
	{0x66, 0x66, 0x66, 0xff}, {0xf1, 0x4c, 0x4c, 0xff}, {0x23, 0xd1, 0x8b, 0xff}, {0xf5, 0xf5, 0x43, 0xff},
	{0x3b, 0x8e, 0xea, 0xff}, {0xd6, 0x70, 0xd6, 0xff}, {0x29, 0xb8, 0xdb, 0xff}, {0xe5, 0xe5, 0xe5, 0xff},
}

// Events are the model's callbacks. They are called with the model's lock
// held, from whichever goroutine fed it: they must not block or call back
// into the model.
type Events struct {
	Title func(title string) // OSC 0 / OSC 2
	Bell  func()
}

// Model is the terminal's screen model: a VT emulator
// (github.com/charmbracelet/x/vt) fed with the session's output, and what
// the widget needs from it (snapshots, scrollback, selection, keys turned
// into the bytes the program expects). It has no Fyne in it, so it is
// tested without a display. Safe for concurrent use: the session's output
// is written from the reading goroutine, the UI reads snapshots and sends
// keys.
type Model struct {
	// mu guards emu and every field below: the emulator is not safe for
	// concurrent use.
	mu       sync.Mutex
	emu      *vt.Emulator
	scrolled int
	title    string
	sel      Region
	ev       Events
	changed  atomic.Bool // set by every change, cleared by Snapshot

	in     *inputQueue
	pumpWG sync.WaitGroup
	stop   atomic.Bool
	wake   string // what Close writes to end the pump: random, no key sends it
	// scrollback is the history kept; the emulator's holds up to
	// scrollbackSlack more lines between trims (trimScrollback).
	scrollback int
}

// scrollbackSlack is room for the lines one piece of output can push
// (writePiece bytes, a line each at most) before the history is trimmed:
// the emulator's own trim, one line at a time, moves the whole history on
// every line once it is full, which made a flood of output crawl.
const scrollbackSlack = 2 * writePiece

// writePiece is how much output the emulator takes under the lock at a
// time: about a millisecond of parsing, so a frame never waits long.
const writePiece = 4 << 10

// NewModel returns a cols×rows terminal with scrollback lines of history.
// Close stops it.
func NewModel(cols, rows, scrollback int, ev Events) *Model {
	m := &Model{emu: vt.NewEmulator(max(cols, 1), max(rows, 1)), ev: ev, in: newInputQueue(), wake: rand.Text()}
	m.scrollback = max(scrollback, 1)
	m.emu.SetScrollbackSize(m.scrollback + scrollbackSlack)
	for i, c := range palette {
		m.emu.SetIndexedColor(i, c)
	}
	clampMargins(m.emu)
	clampCounts(m.emu)
	m.emu.SetCallbacks(vt.Callbacks{
		Title: func(t string) {
			m.title = t
			if m.ev.Title != nil {
				m.ev.Title(t)
			}
		},
		Bell: func() {
			if m.ev.Bell != nil {
				m.ev.Bell()
			}
		},
	})
	// The emulator writes keys and its answers to queries (device
	// attributes, cursor position) into a pipe that must be read at once:
	// the pump moves them into the input queue, which never blocks it.
	m.pumpWG.Add(1)
	go func() {
		defer m.pumpWG.Done()
		buf := make([]byte, 4096)
		for {
			n, err := m.emu.Read(buf)
			if err != nil || m.stop.Load() && string(buf[:n]) == m.wake {
				m.in.close()
				return
			}
			m.in.put(buf[:n])
		}
	}()
	m.changed.Store(true)
	return m
}

// clampMargins keeps the margins a program sets inside the screen. vt
// v0.1.0 takes DECSTBM's bottom and DECSLRM's right margin as given, and
// the next line feed or scroll past the screen then indexes outside its
// buffer and panics: a program that has not seen a resize yet (apt's
// progress bar, a full-screen editor) would take the window down. As
// xterm does, a margin beyond the screen is taken as its edge; the
// parameters are the parser's own, so vt's handler, which runs next, sees
// the clamped value.
func clampMargins(emu *vt.Emulator) {
	clamp := func(params ansi.Params, limit int) {
		if len(params) > 1 && params[1].Param(limit) > limit {
			params[1] = ansi.Param(ansi.Parameter(limit, params[1].HasMore()))
		}
	}
	emu.RegisterCsiHandler('r', func(params ansi.Params) bool { // DECSTBM
		clamp(params, emu.Height())
		return false
	})
	emu.RegisterCsiHandler('s', func(params ansi.Params) bool { // DECSLRM (or SCOSC)
		clamp(params, emu.Width())
		return false
	})
}

// clampCounts bounds the repeat counts of the sequences vt carries out
// one step at a time (tab stops, repeated characters, inserted and
// deleted lines and cells, scrolls, cursor moves) to what the screen can
// show: `CSI 99999999999 I` alone kept the emulator busy for seconds, so a
// few bytes of `cat` on a binary file could freeze a tab for minutes. A
// count beyond the screen's size does nothing more than the size does.
func clampCounts(emu *vt.Emulator) {
	width := func() int { return emu.Width() }
	height := func() int { return emu.Height() }
	area := func() int { return emu.Width() * emu.Height() }
	for cmd, limit := range map[byte]func() int{
		'I': width, 'Z': width, // CHT, CBT
		'@': width, 'P': width, 'X': width, // ICH, DCH, ECH
		'C': width, 'D': width, 'a': width, // CUF, CUB, HPR
		'A': height, 'B': height, 'E': height, 'F': height, 'e': height, // CUU, CUD, CNL, CPL, VPR
		'L': height, 'M': height, 'S': height, 'T': height, // IL, DL, SU, SD
		'b': area, // REP
	} {
		emu.RegisterCsiHandler(int(cmd), func(params ansi.Params) bool {
			if n := limit(); len(params) > 0 && params[0].Param(1) > n {
				params[0] = ansi.Param(ansi.Parameter(n, params[0].HasMore()))
			}
			return false
		})
	}
}

// Close stops the model; Input then returns io.EOF, and later writes and
// keys are dropped.
func (m *Model) Close() {
	m.mu.Lock()
	stopped := m.stop.Swap(true) // under mu: no key or reply is being written to the pipe
	m.mu.Unlock()
	if !stopped {
		// Nothing else writes to the pipe now: the pump reads what was
		// written before, then this token, and ends.
		_, _ = io.WriteString(m.emu.InputPipe(), m.wake)
	}
	m.pumpWG.Wait()
}

// ReadInput reads what the terminal sends to the program (keys, pastes,
// answers to queries), waiting for some until ctx ends; io.EOF once the
// model is closed.
func (m *Model) ReadInput(ctx context.Context, p []byte) (int, error) { return m.in.read(ctx, p) }

// Write feeds the program's output to the emulator. Large writes are
// taken in pieces so a snapshot never waits for long.
func (m *Model) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), writePiece)
		m.mu.Lock()
		if m.stop.Load() {
			m.mu.Unlock()
			return n, io.ErrClosedPipe
		}
		if err := m.feedLocked(p[:k]); err != nil {
			m.mu.Unlock()
			m.changed.Store(true)
			return n, err
		}
		m.trimScrollbackLocked()
		if m.scrolled > 0 && m.emu.IsAltScreen() {
			m.scrolled = 0
		}
		m.mu.Unlock()
		m.changed.Store(true)
		n += k
		p = p[k:]
	}
	return n, nil
}

// ErrEmulator is Write's error when the emulator failed on the program's
// output: the tab's session ends with it, not the application.
var ErrEmulator = errors.New("the terminal emulator failed on the program's output")

// feedLocked feeds one piece of output to the emulator. vt works on bytes
// from the VM; should it panic on some sequence (as it did on margins
// beyond the screen, see clampMargins), the panic is turned into
// ErrEmulator instead of taking the window and its tunnels down.
func (m *Model) feedLocked(p []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrEmulator, r)
		}
	}()
	_, _ = m.emu.Write(p)
	return nil
}

// trimScrollbackLocked drops the oldest history lines beyond the
// scrollback size in one step (the emulator's Scrollback reslices).
func (m *Model) trimScrollbackLocked() {
	sb := m.emu.Scrollback()
	if sb == nil || sb.Len() <= m.scrollback {
		return
	}
	sb.SetMaxLines(m.scrollback)
	sb.SetMaxLines(m.scrollback + scrollbackSlack)
	m.scrolled = min(m.scrolled, sb.Len())
}

// Changed reports whether the screen changed since the last Snapshot.
func (m *Model) Changed() bool { return m.changed.Load() }

// Resize changes the size in cells; the session must be told too
// (Shell.Resize).
func (m *Model) Resize(cols, rows int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cols < 1 || rows < 1 || cols == m.emu.Width() && rows == m.emu.Height() {
		return
	}
	m.emu.Resize(cols, rows)
	m.sel = Region{}
	m.changed.Store(true)
}

// Size is the size in cells.
func (m *Model) Size() (cols, rows int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.emu.Width(), m.emu.Height()
}

// Title is the title the program set last (OSC 0 or 2).
func (m *Model) Title() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.title
}

// AltScreen reports whether the program uses the alternate screen (vim,
// less, top, htop, tmux).
func (m *Model) AltScreen() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.emu.IsAltScreen()
}

// Key sends a key press, encoded as the program expects (application
// cursor keys, Alt as ESC, Ctrl codes). Typing scrolls back to the live
// screen.
func (m *Model) Key(k Key) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stop.Load() {
		return
	}
	m.liveLocked()
	if seq := modifiedSeq(k); seq != "" {
		_, _ = io.WriteString(m.emu.InputPipe(), seq)
		return
	}
	m.emu.SendKey(vt.KeyPressEvent{Code: k.Code, Mod: k.Mod, Text: k.Text})
}

// modifiedSeq is xterm's sequence for a cursor, editing or function key
// with Shift, Ctrl or Alt (CSI 1;m A, CSI 5;m ~), which vt does not
// encode; "" for other keys.
func modifiedSeq(k Key) string {
	if k.Mod&(vt.ModShift|vt.ModCtrl|vt.ModAlt) == 0 {
		return ""
	}
	m := 1
	if k.Mod&vt.ModShift != 0 {
		m++
	}
	if k.Mod&vt.ModAlt != 0 {
		m += 2
	}
	if k.Mod&vt.ModCtrl != 0 {
		m += 4
	}
	letter := map[rune]byte{vt.KeyUp: 'A', vt.KeyDown: 'B', vt.KeyRight: 'C', vt.KeyLeft: 'D', vt.KeyHome: 'H', vt.KeyEnd: 'F',
		vt.KeyF1: 'P', vt.KeyF2: 'Q', vt.KeyF3: 'R', vt.KeyF4: 'S'}
	if c, ok := letter[k.Code]; ok {
		return fmt.Sprintf("\x1b[1;%d%c", m, c)
	}
	num := map[rune]int{vt.KeyInsert: 2, vt.KeyDelete: 3, vt.KeyPgUp: 5, vt.KeyPgDown: 6, vt.KeyF5: 15, vt.KeyF6: 17,
		vt.KeyF7: 18, vt.KeyF8: 19, vt.KeyF9: 20, vt.KeyF10: 21, vt.KeyF11: 23, vt.KeyF12: 24}
	if n, ok := num[k.Code]; ok {
		return fmt.Sprintf("\x1b[%d;%d~", n, m)
	}
	return ""
}

// Text sends typed text as it is.
func (m *Model) Text(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stop.Load() {
		return
	}
	m.liveLocked()
	m.emu.SendText(s)
}

// Paste sends pasted text, bracketed when the program asked for
// bracketed paste (so a shell does not run pasted lines one by one).
func (m *Model) Paste(s string) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\r"), "\n", "\r")
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stop.Load() {
		return
	}
	m.liveLocked()
	m.emu.Paste(s)
}

func (m *Model) liveLocked() {
	if m.scrolled != 0 {
		m.scrolled = 0
		m.changed.Store(true)
	}
}

// Scroll moves the view by lines (positive: back into the history),
// within the scrollback; the alternate screen has none. In the alternate
// screen the wheel's lines go to the program as cursor keys instead, as
// xterm does, so less and vim scroll.
func (m *Model) Scroll(lines int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.emu.IsAltScreen() {
		if m.stop.Load() {
			return
		}
		code := vt.KeyUp
		if lines < 0 {
			code, lines = vt.KeyDown, -lines
		}
		for range min(lines, 50) {
			m.emu.SendKey(vt.KeyPressEvent{Code: code})
		}
		return
	}
	m.scrolled = max(0, min(m.scrolled+lines, m.emu.ScrollbackLen()))
	m.changed.Store(true)
}

// Select sets the selection (Snapshot coordinates); Active false clears
// it.
func (m *Model) Select(r Region) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sel = r
	m.changed.Store(true)
}

// SelectedText is the text of the selection, lines joined by "\n",
// trailing blanks trimmed.
func (m *Model) SelectedText() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.sel.Active {
		return ""
	}
	sx, sy, ex, ey := m.sel.ordered()
	var b strings.Builder
	for y := sy; y <= ey; y++ {
		from, to := 0, m.emu.Width()-1
		if y == sy {
			from = sx
		}
		if y == ey {
			to = ex
		}
		var line strings.Builder
		for x := from; x <= to; x++ {
			c := m.cellLocked(x, y)
			if c == nil {
				continue
			}
			if c.Content == "" && c.Width == 0 {
				continue
			}
			if c.Content == "" {
				line.WriteByte(' ')
			} else {
				line.WriteString(c.Content)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		if y < ey {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// ScreenText is the text the terminal shows, one line per row, trailing
// blanks trimmed.
func (m *Model) ScreenText() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for y := range m.emu.Height() {
		var line strings.Builder
		for x := range m.emu.Width() {
			c := m.cellLocked(x, y)
			switch {
			case c == nil:
			case c.Content != "":
				line.WriteString(c.Content)
			case c.Width != 0:
				line.WriteByte(' ')
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// Coloured reports whether any cell of the screen has a colour of its own.
func (m *Model) Coloured() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for y := range m.emu.Height() {
		for x := range m.emu.Width() {
			if c := m.cellLocked(x, y); c != nil && (c.Style.Fg != nil || c.Style.Bg != nil) {
				return true
			}
		}
	}
	return false
}

// cellLocked returns the cell shown at x, y of the view (scrollback rows
// first while scrolled back).
func (m *Model) cellLocked(x, y int) *uv.Cell {
	if m.scrolled > 0 {
		sb := m.emu.ScrollbackLen()
		line := sb - m.scrolled + y
		if line < sb {
			return m.emu.ScrollbackCellAt(x, line)
		}
		y = line - sb
	}
	return m.emu.CellAt(x, y)
}

// Snapshot copies what the terminal shows into s, reusing its memory, and
// clears Changed.
func (m *Model) Snapshot(s *Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changed.Store(false)
	cols, rows := m.emu.Width(), m.emu.Height()
	s.Cols, s.Rows = cols, rows
	if cap(s.Cells) < rows {
		s.Cells = make([][]Cell, rows)
	}
	s.Cells = s.Cells[:rows]
	for y := range rows {
		if cap(s.Cells[y]) < cols {
			s.Cells[y] = make([]Cell, cols)
		}
		row := s.Cells[y][:cols]
		for x := range cols {
			row[x] = m.convert(m.cellLocked(x, y))
		}
		s.Cells[y] = row
	}
	pos := m.emu.CursorPosition()
	s.CursorX, s.CursorY = pos.X, pos.Y
	s.CursorVisible = !m.emu.CursorHidden() && m.scrolled == 0
	s.AltScreen = m.emu.IsAltScreen()
	s.Scrolled = m.scrolled
	s.Title = m.title
	s.Selection = m.sel
}

// convert turns an emulator cell into a Cell with resolved colours.
func (m *Model) convert(c *uv.Cell) Cell {
	if c == nil {
		return Cell{Width: 1}
	}
	st := c.Style
	return Cell{
		Text: c.Content, Width: c.Width,
		FG: m.resolve(st.Fg), BG: m.resolve(st.Bg),
		Bold: st.Attrs&uv.AttrBold != 0, Faint: st.Attrs&uv.AttrFaint != 0, Italic: st.Attrs&uv.AttrItalic != 0,
		Reverse: st.Attrs&uv.AttrReverse != 0, Strike: st.Attrs&uv.AttrStrikethrough != 0,
		Underline: st.Underline != uv.UnderlineNone,
	}
}

// resolve maps palette colours through the emulator's palette (which a
// program may change with OSC 4) to RGB.
func (m *Model) resolve(c color.Color) color.Color {
	switch v := c.(type) {
	case nil:
		return nil
	case ansi.BasicColor:
		return rgba(m.emu.IndexedColor(int(v)))
	case ansi.IndexedColor:
		return rgba(m.emu.IndexedColor(int(v)))
	}
	return rgba(c)
}

func rgba(c color.Color) color.Color {
	if c == nil {
		return nil
	}
	r, g, b, a := c.RGBA()
	return color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a >> 8)}
}

// inputQueue buffers the terminal's input for the session writer, so
// neither the UI nor the emulator waits on the network.
type inputQueue struct {
	mu     sync.Mutex // guards buf and closed
	buf    []byte
	closed bool
	wake   chan struct{} // one slot: data or close
}

func newInputQueue() *inputQueue { return &inputQueue{wake: make(chan struct{}, 1)} }

func (q *inputQueue) put(p []byte) {
	q.mu.Lock()
	q.buf = append(q.buf, p...)
	q.mu.Unlock()
	q.signal()
}

func (q *inputQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *inputQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Read returns queued input, waiting for some; io.EOF after close.
func (q *inputQueue) Read(p []byte) (int, error) { return q.read(context.Background(), p) }

// read is Read that gives up when ctx ends.
func (q *inputQueue) read(ctx context.Context, p []byte) (int, error) {
	for {
		q.mu.Lock()
		if len(q.buf) > 0 {
			n := copy(p, q.buf)
			q.buf = q.buf[n:]
			if len(q.buf) == 0 {
				q.buf = nil
			}
			q.mu.Unlock()
			return n, nil
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return 0, io.EOF
		}
		select {
		case <-q.wake:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}
