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

// BenchmarkModelHugeCounts: sequences with a count far beyond the screen
// (repeat, tab, insert line, erase), as in `cat` of a binary file: each
// costs what a screenful does.
func BenchmarkModelHugeCounts(b *testing.B) {
	seq := []byte("x\x1b[99999999999b\x1b[99999999999I\x1b[99999999999L\x1b[99999999999X\x1b[99999999999S")
	m := terminal.NewModel(benchCols, benchRows, 1000, terminal.Events{})
	defer m.Close()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = m.Write(seq)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/5, "µs/sequence")
}
