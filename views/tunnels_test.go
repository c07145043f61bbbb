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

// TestTunnelsPanel: each open tunnel's VM, ports, counters, age and status
// (a failed one with app's reason), the count in the status bar, and Close
// reaching app's Tunnels off the UI thread.
func TestTunnelsPanel(t *testing.T) {
	tw := newTestWorld(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tw.w.tunnels.now = func() time.Time { return now }
	a := app.TunnelInfo{Key: app.TunnelKey{Ref: linuxVM, Port: 22}, LocalAddr: "127.0.0.1:40001", LocalPort: 40001,
		Started: now.Add(-75 * time.Second), BytesUp: 2048, BytesDown: 5 << 20}
	b := app.TunnelInfo{Key: app.TunnelKey{Ref: windowsVM, Port: 3389}, LocalAddr: "127.0.0.1:40002", LocalPort: 40002,
		Started: now.Add(-2 * time.Hour), BytesUp: 10, BytesDown: 0,
		State: app.TunnelFailed, Reason: &app.UserError{What: "Cannot connect", Why: "the tunnel was interrupted and could not be resumed"}}
	tw.tunnels.list = []app.TunnelInfo{a, b}
	tw.w.tunnelsChanged()

	if got := tw.w.status.tunnels.Text; got != "2 tunnels" {
		t.Errorf("status bar = %q, want %q", got, "2 tunnels")
	}
	got := texts(tw.w.tunnels.list)
	for _, want := range append(tunnelCells(a, now), tunnelCells(b, now)...) {
		if !slices.Contains(got, want) {
			t.Errorf("tunnels panel texts = %q, want %q among them", got, want)
		}
	}
	if want := []string{"web-prod-01", "22", "127.0.0.1:40001", "2.0 KiB", "5.0 MiB", "1:15", "Open"}; !slices.Equal(tunnelCells(a, now), want) {
		t.Errorf("tunnelCells(a) = %q, want %q", tunnelCells(a, now), want)
	}
	if got, want := tunnelCells(b, now)[6], "Failed: the tunnel was interrupted and could not be resumed"; got != want {
		t.Errorf("tunnelCells(failed)[status] = %q, want %q", got, want)
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
}
