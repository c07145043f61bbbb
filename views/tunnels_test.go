package views

import (
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"iapdesk/app"
)

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{20*1024*1024 + 300*1024, "20.3 MiB"},
		{3 << 40, "3.0 TiB"},
	}
	for _, tc := range tests {
		if got := formatBytes(tc.n); got != tc.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0:00"},
		{0, "0:00"},
		{59 * time.Second, "0:59"},
		{61*time.Second + 900*time.Millisecond, "1:01"},
		{time.Hour + 2*time.Minute + 3*time.Second, "1:02:03"},
		{26 * time.Hour, "26:00:00"},
	}
	for _, tc := range tests {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestTunnelsPanel: the panel takes no space without tunnels; each tunnel
// shows its VM, ports, counters, rate, age and state (connecting, open,
// reconnecting with the attempt, failed with app's reason), the count is in
// the status bar, and Close reaches app's Tunnels off the UI thread.
func TestTunnelsPanel(t *testing.T) {
	tw := newTestWorld(t)
	if tw.w.center.Objects[0] != tw.w.split {
		t.Errorf("without tunnels the window shows %T, want the explorer split alone (no tunnels panel)", tw.w.center.Objects[0])
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tw.w.tunnels.now = func() time.Time { return now }
	a := app.TunnelInfo{Key: app.TunnelKey{Ref: linuxVM, Port: 22}, LocalAddr: "127.0.0.1:40001", LocalPort: 40001,
		Started: now.Add(-75 * time.Second), BytesUp: 2048, BytesDown: 5 << 20}
	b := app.TunnelInfo{Key: app.TunnelKey{Ref: windowsVM, Port: 3389}, LocalAddr: "127.0.0.1:40002", LocalPort: 40002,
		Started: now.Add(-2 * time.Hour), BytesUp: 10, BytesDown: 0,
		State: app.TunnelFailed, Reason: &app.UserError{What: "Cannot connect", Why: "the tunnel was interrupted and could not be resumed"}}
	c := app.TunnelInfo{Key: app.TunnelKey{Ref: linuxVM, Port: 80}, LocalAddr: "127.0.0.1:40003", LocalPort: 40003,
		Started: now.Add(-time.Minute), State: app.TunnelReconnecting, Attempt: 3}
	d := app.TunnelInfo{Key: app.TunnelKey{Ref: windowsVM, Port: 5985}, State: app.TunnelConnecting}
	tw.tunnels.list = []app.TunnelInfo{a, b, c, d}
	tw.w.tunnelsChanged()
	if tw.w.center.Objects[0] != tw.w.vsplit {
		t.Errorf("with tunnels the window shows %T, want the split with the tunnels panel", tw.w.center.Objects[0])
	}

	if got := tw.w.status.tunnels.Text; got != "4 tunnels" {
		t.Errorf("status bar = %q, want %q", got, "4 tunnels")
	}
	want := map[app.TunnelInfo][]string{
		a: {"web-prod-01", "22", "127.0.0.1:40001", "2.0 KiB", "5.0 MiB", "1:15", "Open"},
		b: {"iis-prod-01", "3389", "127.0.0.1:40002", "10 B", "0 B", "2:00:00", "Failed — the tunnel was interrupted and could not be resumed"},
		c: {"web-prod-01", "80", "127.0.0.1:40003", "0 B", "0 B", "1:00", "Reconnecting — attempt 3"},
		d: {"iis-prod-01", "5985", "", "", "", "", "Connecting…"},
	}
	got := texts(tw.w.tunnels.list)
	for _, ti := range []app.TunnelInfo{a, b, c, d} {
		cells := tunnelCells(ti, tw.w.tunnels.rates[ti.Key], now)
		if !slices.Equal(cells, want[ti]) {
			t.Errorf("tunnelCells(%v) = %q, want %q", ti.Key, cells, want[ti])
		}
		if !slices.Contains(got, want[ti][len(want[ti])-1]) {
			t.Errorf("tunnels panel texts = %q, want %q among them", got, want[ti][len(want[ti])-1])
		}
	}

	// Two seconds and 200 KiB down later, the rates show beside the
	// totals.
	now = now.Add(2 * time.Second)
	a.BytesDown += 200 << 10
	a.BytesUp += 1 << 10
	tw.tunnels.list = []app.TunnelInfo{a, b}
	tw.w.tunnelsChanged()
	cells := tunnelCells(a, tw.w.tunnels.rates[a.Key], now)
	if got, want := cells[3:5], []string{"3.0 KiB · 0.5 KiB/s", "5.2 MiB · 100.0 KiB/s"}; !slices.Equal(got, want) {
		t.Errorf("sent, received after 2 s = %q, want %q", got, want)
	}
	if _, ok := tw.w.tunnels.rates[c.Key]; ok {
		t.Error("the rate meter of a closed tunnel is kept")
	}

	// Close does not block the UI thread while the tunnel closes.
	gate := make(chan struct{})
	tw.tunnels.gate = gate
	t.Cleanup(func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	})
	closeButton := button(t, tw.w.tunnels.list, "Close")
	tapped := make(chan struct{})
	go func() {
		defer close(tapped)
		test.Tap(closeButton)
	}()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case <-tapped:
	case <-timer.C:
		t.Fatal("tapping Close blocked the UI thread until the tunnel closed")
	}
	close(gate)
	tw.idle()
	if len(tw.tunnels.closed) != 1 || tw.tunnels.closed[0] != a.Key {
		t.Errorf("closed = %v, want [%v]", tw.tunnels.closed, a.Key)
	}
	if got := tw.w.status.tunnels.Text; got != "1 tunnel" {
		t.Errorf("after Close, status bar = %q, want %q", got, "1 tunnel")
	}
	tw.tunnels.list = nil
	tw.w.tunnelsChanged()
	if tw.w.center.Objects[0] != tw.w.split {
		t.Error("after the last tunnel closed the tunnels panel still takes space")
	}
}
