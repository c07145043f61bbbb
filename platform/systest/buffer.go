package systest

import (
	"strings"
	"sync"
)

// Buffer is a bytes buffer safe for concurrent writes and reads: a log or
// a process's output that tests read while it is written.
type Buffer struct {
	mu  sync.Mutex // guards buf
	buf strings.Builder
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}
