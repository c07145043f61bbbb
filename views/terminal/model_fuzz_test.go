package terminal_test

import (
	"sync"
	"testing"

	"iapdesk/views/terminal"
)

// fuzzModel is FuzzModelWrite's model, reused from input to input.
var fuzzModel struct {
	sync.Mutex
	m *terminal.Model
}

// FuzzModelWrite feeds the model what a VM may send (any bytes: escape
// sequences cut anywhere, invalid UTF-8, huge parameters), with a resize
// in the middle as a window's, and checks that it neither panics nor
// loses its shape: a hostile or broken program on the VM must not take
// the window down.
func FuzzModelWrite(f *testing.F) {
	for _, s := range []string{
		"hello\r\n",
		"\x1b[38;5;196mred\x1b[0m \x1b[38;2;1;2;3mrgb\x1b[m",
		"\x1b[?1049h\x1b[2J\x1b[Hvim\x1b[?1049l",
		"\x1b]0;title\x07\x1b]2;other\x1b\\",
		"\x1b[999999;999999H\x1b[99999L\x1b[99999M\x1b[99999@",
		"\x1b[?2004h\x1b[200~paste\x1b[201~",
		"\xff\xfe\xc3\x28 日本語 \U0001F600\u0301",
		"\x1bP+q544e\x1b\\\x1b[c\x1b[6n\x1b[18t",
		"\x1b[1;4;7mattrs\x1b[r\x1b[5;3r\n\n\n\x1bM\x1bM",
	} {
		f.Add([]byte(s), uint8(20), uint8(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, cols, rows uint8) {
		// Bounded so that each input takes milliseconds: what is
		// looked for is a panic or a bent shape, not a slow screen.
		if len(data) > 1024 {
			return
		}
		c, r := int(cols%100)+1, int(rows%40)+1
		// One model for every input (a new one allocates vt's 4 MiB
		// string buffer, which would be most of the work): each input
		// starts after a string terminator and a full reset (RIS), at
		// its own size, as on a terminal that has seen anything before.
		fuzzModel.Lock()
		defer fuzzModel.Unlock()
		if fuzzModel.m == nil {
			fuzzModel.m = terminal.NewModel(c, r, 50, terminal.Events{})
		}
		m := fuzzModel.m
		m.Resize(c, r)
		if _, err := m.Write([]byte("\x1b\\\x1bc")); err != nil {
			t.Fatalf("Write(ST RIS) = %v", err)
		}
		half := len(data) / 2
		if _, err := m.Write(data[:half]); err != nil {
			t.Fatalf("Write = %v", err)
		}
		m.Resize(r+1, c+1) // columns and rows swapped: a real change of shape
		if _, err := m.Write(data[half:]); err != nil {
			t.Fatalf("Write = %v", err)
		}
		m.Scroll(-3)
		m.Select(terminal.Region{EndX: r, EndY: c, Active: true})
		_ = m.SelectedText()
		var s terminal.Snapshot
		m.Snapshot(&s)
		if gc, gr := m.Size(); gc != r+1 || gr != c+1 {
			t.Fatalf("Size = %d×%d after Resize(%d, %d)", gc, gr, r+1, c+1)
		}
		if len(s.Cells) != c+1 || len(s.Cells[0]) != r+1 {
			t.Fatalf("Snapshot = %d rows of %d cells, want %d of %d", len(s.Cells), len(s.Cells[0]), c+1, r+1)
		}
	})
}
