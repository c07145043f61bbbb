package terminal_test

import (
	"strings"
	"testing"

	"iapdesk/views/terminal"
)

// BenchmarkModelWrite: the emulator alone eating lines of text, the bulk of
// a `cat` in a tab.
func BenchmarkModelWrite(b *testing.B) {
	line := strings.Repeat("The quick brown fox jumps over the lazy dog 0123456789. ", 2)[:110] + "\r\n"
	chunk := []byte(strings.Repeat(line, 300))
	m := terminal.NewModel(benchCols, benchRows, 10000, terminal.Events{})
	defer m.Close()
	b.ReportAllocs()
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		_, _ = m.Write(chunk)
	}
}

var benchCols, benchRows = 120, 40
