package tunnel

import (
	"context"
	"sync"
	"time"
)

// Buffers come in two sizes. Big ones hold any relay message (a full DATA
// frame with its header, or a LONG_CLOSE); small ones hold the short writes of
// interactive traffic, so an idle or typing tunnel does not pin 16 KiB.
const (
	bigBufLen   = maxMessageLen
	smallBufLen = dataHeaderLen + 2048
)

var (
	bigPool   = sync.Pool{New: func() any { b := make([]byte, bigBufLen); return &b }}
	smallPool = sync.Pool{New: func() any { b := make([]byte, smallBufLen); return &b }}
)

func getBuf(big bool) *[]byte {
	if big {
		return bigPool.Get().(*[]byte)
	}
	return smallPool.Get().(*[]byte)
}

func putBuf(b *[]byte) {
	switch len(*b) {
	case bigBufLen:
		bigPool.Put(b)
	case smallBufLen:
		smallPool.Put(b)
	}
}

// backoff yields the waits of a Backoff policy: none before the first retry,
// then Initial, growing by Factor up to Max.
type backoff struct {
	p     Backoff
	next  time.Duration
	tries int
}

func newBackoff(p Backoff) *backoff { return &backoff{p: p} }

// wait sleeps for the next delay, or returns early: with ctx's error, with
// ErrClosed when stop is closed, or with nil when wake fires (a probe asked
// for a retry now). A nil stop or wake never fires.
func (b *backoff) wait(ctx context.Context, stop, wake <-chan struct{}) error {
	b.tries++
	if b.tries == 1 {
		return ctx.Err()
	}
	d := b.next
	if d == 0 {
		d = b.p.Initial
	}
	b.next = min(time.Duration(float64(d)*b.p.Factor), b.p.Max)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return ErrClosed
	case <-wake:
		return nil
	}
}

// deadline is a settable point in time with a channel that is closed when it
// passes, for net.Conn deadlines (as net.Pipe does it).
type deadline struct {
	mu     sync.Mutex // guards timer and cancel
	timer  *time.Timer
	cancel chan struct{} // closed when the deadline passes
	// onExpire, if set, runs (without mu held) each time the deadline
	// passes, after cancel is closed. Set before first use.
	onExpire func()
}

func makeDeadline() deadline { return deadline{cancel: make(chan struct{})} }

// set arms the deadline at t; the zero time disarms it.
func (d *deadline) set(t time.Time) {
	if d.arm(t) && d.onExpire != nil {
		d.onExpire()
	}
}

// arm is set under mu; it reports whether t has already passed.
func (d *deadline) arm(t time.Time) (passed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired and closed cancel: wait for that
	}
	d.timer = nil
	closed := isClosed(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return false
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		c, hook := d.cancel, d.onExpire
		d.timer = time.AfterFunc(dur, func() {
			close(c)
			if hook != nil {
				hook()
			}
		})
		return false
	}
	if !closed {
		close(d.cancel)
	}
	return true
}

// wait returns a channel closed when the deadline has passed.
func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// signal does a non-blocking send on a one-slot wake-up channel.
func signal(c chan<- struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
