package terminal_test

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"iapdesk/views/terminal"
)

// newModel returns a model that the test closes.
func newModel(t *testing.T, cols, rows int, ev terminal.Events) *terminal.Model {
	t.Helper()
	m := terminal.NewModel(cols, rows, 1000, ev)
	t.Cleanup(m.Close)
	return m
}

// screen is the model's screen as text, one line per row, trailing blanks
// trimmed.
func screen(m *terminal.Model) []string {
	var s terminal.Snapshot
	m.Snapshot(&s)
	lines := make([]string, s.Rows)
	for y := range s.Rows {
		var b strings.Builder
		for _, c := range s.Cells[y] {
			switch {
			case c.Text != "":
				b.WriteString(c.Text)
			case c.Width != 0:
				b.WriteByte(' ')
			}
		}
		lines[y] = strings.TrimRight(b.String(), " ")
	}
	return lines
}

func cell(m *terminal.Model, x, y int) terminal.Cell {
	var s terminal.Snapshot
	m.Snapshot(&s)
	return s.Cells[y][x]
}

// input reads what the terminal sent, waiting a little for it.
func input(t *testing.T, m *terminal.Model) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	buf := make([]byte, 256)
	n, err := m.ReadInput(ctx, buf)
	if err != nil {
		t.Fatalf("ReadInput = %v", err)
	}
	return string(buf[:n])
}

func TestModelColoursAndAttributes(t *testing.T) {
	m := newModel(t, 40, 5, terminal.Events{})
	// 256-colour red (196) on 256-colour blue (21), true colour, then bold,
	// underline and reverse; UTF-8 throughout.
	_, _ = m.Write([]byte("\x1b[38;5;196;48;5;21mA\x1b[0m\x1b[38;2;10;20;30mB\x1b[0m\x1b[1;4;7mC\x1b[0mé€"))
	tests := []struct {
		name string
		x    int
		want terminal.Cell
	}{
		{"256 colours", 0, terminal.Cell{Text: "A", Width: 1, FG: color.RGBA{255, 0, 0, 255}, BG: color.RGBA{0, 0, 255, 255}}},
		{"true colour", 1, terminal.Cell{Text: "B", Width: 1, FG: color.RGBA{10, 20, 30, 255}}},
		{"bold underline reverse", 2, terminal.Cell{Text: "C", Width: 1, Bold: true, Underline: true, Reverse: true}},
		{"utf-8", 3, terminal.Cell{Text: "é", Width: 1}},
		{"utf-8 euro", 4, terminal.Cell{Text: "€", Width: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cell(m, tc.x, 0); got != tc.want {
				t.Errorf("cell(%d, 0) = %+v, want %+v", tc.x, got, tc.want)
			}
		})
	}
}

func TestModelAltScreenAndTitle(t *testing.T) {
	var titles []string
	m := newModel(t, 20, 4, terminal.Events{Title: func(s string) { titles = append(titles, s) }})
	_, _ = m.Write([]byte("prompt$ \x1b]0;vm-1: ~\x07"))
	_, _ = m.Write([]byte("\x1b[?1049h\x1b[2J\x1b[Hfull-screen app"))
	if !m.AltScreen() || screen(m)[0] != "full-screen app" {
		t.Fatalf("after CSI ?1049h: alt %v, screen %q", m.AltScreen(), screen(m))
	}
	_, _ = m.Write([]byte("\x1b[?1049l"))
	if m.AltScreen() || screen(m)[0] != "prompt$" {
		t.Errorf("after CSI ?1049l: alt %v, screen %q, want the prompt back", m.AltScreen(), screen(m))
	}
	_, _ = m.Write([]byte("\x1b]2;second\x1b\\"))
	if got := m.Title(); got != "second" || len(titles) != 2 {
		t.Errorf("Title() = %q after %q, want second", got, titles)
	}
}

func TestModelKeys(t *testing.T) {
	tests := []struct {
		name  string
		setup string // output before the key (modes)
		key   fyne.KeyName
		mods  fyne.KeyModifier
		want  string
	}{
		{"up", "", fyne.KeyUp, 0, "\x1b[A"},
		{"up in application cursor mode", "\x1b[?1h", fyne.KeyUp, 0, "\x1bOA"},
		{"ctrl+c", "", fyne.KeyC, fyne.KeyModifierControl, "\x03"},
		{"ctrl+shift+a is ctrl+a", "", fyne.KeyA, fyne.KeyModifierControl | fyne.KeyModifierShift, "\x01"},
		{"alt+b", "", fyne.KeyB, fyne.KeyModifierAlt, "\x1bb"},
		{"f5", "", fyne.KeyF5, 0, "\x1b[15~"},
		{"home", "", fyne.KeyHome, 0, "\x1b[H"},
		{"page down", "", fyne.KeyPageDown, 0, "\x1b[6~"},
		{"ctrl+right", "", fyne.KeyRight, fyne.KeyModifierControl, "\x1b[1;5C"},
		{"shift+f3", "", fyne.KeyF3, fyne.KeyModifierShift, "\x1b[1;2R"},
		{"enter", "", fyne.KeyReturn, 0, "\r"},
		{"backspace", "", fyne.KeyBackspace, 0, "\x7f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newModel(t, 20, 4, terminal.Events{})
			_, _ = m.Write([]byte(tc.setup))
			k, ok := terminal.KeyFor(tc.key, tc.mods)
			if !ok {
				t.Fatalf("KeyFor(%q, %v) not sent", tc.key, tc.mods)
			}
			m.Key(k)
			if got := input(t, m); got != tc.want {
				t.Errorf("KeyFor(%q, %v) sent %q, want %q", tc.key, tc.mods, got, tc.want)
			}
		})
	}
}

func TestModelBracketedPaste(t *testing.T) {
	m := newModel(t, 20, 4, terminal.Events{})
	m.Paste("ls\n")
	if got := input(t, m); got != "ls\r" {
		t.Errorf("paste without bracketed mode sent %q, want %q", got, "ls\r")
	}
	_, _ = m.Write([]byte("\x1b[?2004h"))
	m.Paste("rm -rf /tmp/x\n")
	var got string
	for !strings.HasSuffix(got, "\x1b[201~") {
		got += input(t, m)
	}
	if want := "\x1b[200~rm -rf /tmp/x\r\x1b[201~"; got != want {
		t.Errorf("bracketed paste sent %q, want %q", got, want)
	}
}

func TestModelScrollbackAndSelection(t *testing.T) {
	m := newModel(t, 10, 3, terminal.Events{})
	for i := range 10 {
		_, _ = m.Write([]byte("line" + string(rune('0'+i)) + "\r\n"))
	}
	if got := screen(m); got[0] != "line8" {
		t.Fatalf("screen = %q, want line8 at the top", got)
	}
	m.Scroll(3)
	if got := screen(m); got[0] != "line5" {
		t.Errorf("after Scroll(3) screen = %q, want line5 at the top", got)
	}
	m.Select(terminal.Region{StartX: 0, StartY: 0, EndX: 9, EndY: 1, Active: true})
	if got, want := m.SelectedText(), "line5\nline6"; got != want {
		t.Errorf("SelectedText() = %q, want %q", got, want)
	}
	m.Text("x") // typing returns to the live screen
	if got := screen(m); got[0] != "line8" {
		t.Errorf("after typing screen = %q, want the live screen", got)
	}
}

func TestModelAnswersQueries(t *testing.T) {
	m := newModel(t, 20, 4, terminal.Events{})
	_, _ = m.Write([]byte("ab\x1b[6n")) // where is the cursor?
	if got := input(t, m); got != "\x1b[1;3R" {
		t.Errorf("cursor position report = %q, want %q", got, "\x1b[1;3R")
	}
}

func TestModelBell(t *testing.T) {
	bells := 0
	m := newModel(t, 20, 4, terminal.Events{Bell: func() { bells++ }})
	_, _ = m.Write([]byte("\a"))
	if bells != 1 {
		t.Errorf("bells = %d, want 1", bells)
	}
}

// TestTerminalCtrlHeld: the widget knows when Ctrl+key is being typed in
// it, so the window hands the main menu's Ctrl+R to the program.
func TestTerminalCtrlHeld(t *testing.T) {
	a := test.NewTempApp(t)
	term := terminal.NewTerminal(newModel(t, 20, 4, terminal.Events{}), a.Clipboard())
	term.KeyDown(&fyne.KeyEvent{Name: desktop.KeyControlLeft})
	term.KeyDown(&fyne.KeyEvent{Name: fyne.KeyR})
	if !term.CtrlHeld(fyne.KeyR) || term.CtrlHeld(fyne.KeyF) {
		t.Errorf("CtrlHeld(R), CtrlHeld(F) = %v, %v with Ctrl+R down, want true, false", term.CtrlHeld(fyne.KeyR), term.CtrlHeld(fyne.KeyF))
	}
	term.KeyUp(&fyne.KeyEvent{Name: desktop.KeyControlLeft})
	if term.CtrlHeld(fyne.KeyR) {
		t.Error("CtrlHeld(R) after Ctrl was let go")
	}
}

// TestModelMarginsBeyondScreen: a program that sets a scroll region or
// left/right margins beyond the screen (its idea of the size is older
// than a resize) gets them at the screen's edge, as in xterm, and lines
// then scroll as usual; vt alone indexed past its buffer and panicked on
// the next line feed (found by FuzzModelWrite).
func TestModelMarginsBeyondScreen(t *testing.T) {
	for _, tc := range []struct{ name, setup string }{
		{"scroll region to row 30 of 5", "\x1b[1;30r"},
		{"scroll region after a shrink", "\x1b[2;5r"},
		{"left and right margins to column 500 of 20", "\x1b[?69h\x1b[1;500s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := terminal.NewModel(20, 8, 10, terminal.Events{})
			defer m.Close()
			if tc.name == "scroll region after a shrink" {
				m.Resize(20, 4) // the region below was meant for 8 rows
			} else {
				m.Resize(20, 5)
			}
			if _, err := m.Write([]byte(tc.setup + "\x1b[H")); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i := range 12 {
				fmt.Fprintf(&b, "line %d\r\n", i)
			}
			b.WriteString("last")
			if _, err := m.Write([]byte(b.String())); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(m.ScreenText(), "\n"), "\n")
			if got := strings.TrimSpace(lines[len(lines)-1]); got != "last" {
				t.Errorf("bottom line = %q, want %q (screen %q)", got, "last", lines)
			}
			// After a shrink the region is rows 2 to 4: the top row stays.
			if tc.name == "scroll region after a shrink" && strings.TrimSpace(lines[0]) != "line 0" {
				t.Errorf("top line = %q, want %q outside the scroll region (screen %q)", lines[0], "line 0", lines)
			}
		})
	}
}

// TestModelHugeCounts: a count beyond the screen acts as the screen's
// size (vt took such counts one step at a time: `CSI 99999999999 I` kept
// it busy for seconds; BenchmarkModelHugeCounts measures them).
func TestModelHugeCounts(t *testing.T) {
	for _, tc := range []struct {
		name, seq string
		want      string // the screen afterwards, rows joined by |
	}{
		// x and 12 repeats (4×3): the 13th cell wraps and scrolls.
		{"REP repeats a screenful", "x\x1b[99999999999b", "xxxx|xxxx|x   "},
		{"CHT to the last column", "\x1b[99999999999Iy", "   y|    |    "},
		{"CUF to the last column", "\x1b[99999999999Cy", "   y|    |    "},
		{"IL pushes every line out", "ab\r\ncd\x1b[H\x1b[99999999999L", "    |    |    "},
		{"ECH erases the line", "abcd\r\x1b[99999999999X", "    |    |    "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := terminal.NewModel(4, 3, 10, terminal.Events{})
			defer m.Close()
			if _, err := m.Write([]byte(tc.seq)); err != nil {
				t.Fatal(err)
			}
			var s terminal.Snapshot
			m.Snapshot(&s)
			var rows []string
			for _, row := range s.Cells {
				var b strings.Builder
				for _, c := range row {
					if c.Text == "" {
						b.WriteByte(' ')
					} else {
						b.WriteString(c.Text)
					}
				}
				rows = append(rows, b.String())
			}
			if got := strings.Join(rows, "|"); got != tc.want {
				t.Errorf("screen after %q = %q, want %q", tc.seq, got, tc.want)
			}
		})
	}
}
