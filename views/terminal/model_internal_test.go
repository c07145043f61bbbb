package terminal

import (
	"errors"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestWriteSurvivesEmulatorPanic: a panic inside the emulator on some
// output ends the write with ErrEmulator; the model is still there to
// snapshot and close, and the process goes on.
func TestWriteSurvivesEmulatorPanic(t *testing.T) {
	m := NewModel(10, 3, 10, Events{})
	defer m.Close()
	m.emu.RegisterCsiHandler('y', func(ansi.Params) bool { panic("index out of range") })
	n, err := m.Write([]byte("ok\x1b[y"))
	if !errors.Is(err, ErrEmulator) || n != 0 {
		t.Fatalf("Write = %d, %v; want 0, ErrEmulator", n, err)
	}
	var s Snapshot
	m.Snapshot(&s)
	if len(s.Cells) != 3 || len(s.Cells[0]) != 10 {
		t.Errorf("Snapshot after the failure = %d rows of %d cells, want 3 of 10", len(s.Cells), len(s.Cells[0]))
	}
}
