package netbuf

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
)

// countingConn records each Write call the buffered layer makes.
type countingConn struct {
	net.Conn
	mu     sync.Mutex // guards writes
	writes [][]byte
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, append([]byte(nil), p...))
	c.mu.Unlock()
	return len(p), nil
}

func TestHoldFlushBatches(t *testing.T) {
	cc := &countingConn{}
	c := New(cc)
	if _, err := c.Write([]byte("direct")); err != nil {
		t.Fatal(err)
	}
	c.Hold()
	for _, s := range []string{"a", "bb", "ccc"} {
		if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("held Write(%q) = %d, %v", s, n, err)
		}
	}
	if len(cc.writes) != 1 {
		t.Fatalf("%d writes reached the connection during a hold, want only the first", len(cc.writes))
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil { // a flush without a hold does nothing
		t.Fatal(err)
	}
	want := [][]byte{[]byte("direct"), []byte("abbccc")}
	if len(cc.writes) != 2 || !bytes.Equal(cc.writes[0], want[0]) || !bytes.Equal(cc.writes[1], want[1]) {
		t.Errorf("writes = %q, want %q", cc.writes, want)
	}
}

func TestReadAhead(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	c := New(b)
	defer c.Close()
	data := bytes.Repeat([]byte("0123456789abcdef"), 16<<10) // 256 KiB
	go func() {
		_, _ = a.Write(data)
		_, _ = a.Write([]byte("tail"))
	}()
	got := make([]byte, len(data)+4)
	// Small reads, as bufio and TLS do; the bulk goes through read-ahead.
	for off := 0; off < len(got); {
		n, err := c.Read(got[off:min(off+4096, len(got))])
		if err != nil {
			t.Fatalf("Read at %d: %v", off, err)
		}
		off += n
	}
	if !bytes.Equal(got, append(append([]byte(nil), data...), "tail"...)) {
		t.Fatal("read-ahead reordered or lost bytes")
	}
	// After a short read everything was handed out: no buffer is pinned.
	c.rmu.Lock()
	pinned := c.rbuf != nil
	c.rmu.Unlock()
	if pinned {
		t.Error("an idle connection still holds its read-ahead buffer")
	}
	a.Close()
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("Read after close = %v, want EOF", err)
	}
}
