package views

import (
	"fmt"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// tunnelColumns are the panel's columns; the last holds the Close button.
var tunnelColumns = []string{"VM", "Port", "Local address", "Sent", "Received", "Open for", "Status", ""}

// tunnelWidths are the columns' shares of the width left of the button:
// the state ("Reconnecting — attempt 2", a failure's reason) gets the
// most.
var tunnelWidths = []float32{1.3, 0.6, 1.3, 1.4, 1.4, 0.8, 2.6}

// columnsLayout lays a row out in columns whose widths have the given
// shares of the width, the last object (a button) keeping its own width.
type columnsLayout struct{ shares []float32 }

// Layout places the cells side by side.
func (l columnsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) == 0 {
		return
	}
	last := objs[len(objs)-1]
	bw := last.MinSize().Width
	total := float32(0)
	for _, s := range l.shares {
		total += s
	}
	x, free := float32(0), size.Width-bw
	for i, o := range objs[:len(objs)-1] {
		w := free * l.shares[min(i, len(l.shares)-1)] / total
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w
	}
	last.Move(fyne.NewPos(size.Width-bw, 0))
	last.Resize(fyne.NewSize(bw, size.Height))
}

// MinSize is as tall as the tallest cell; the text cells may shrink (they
// truncate).
func (l columnsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h, w := float32(0), float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	if len(objs) > 0 {
		w = objs[len(objs)-1].MinSize().Width
	}
	return fyne.NewSize(w, h)
}

// tunnelsPanel lists the open tunnels with live counters, the rate of the
// last seconds and each tunnel's state, and a Close button each. It shows
// the last List() snapshot; the window refreshes it when tunnels change
// and every second while any is open, and hides the panel when there is
// none. UI thread only.
type tunnelsPanel struct {
	rows    []app.TunnelInfo
	rates   map[app.TunnelKey]*rateMeter
	now     func() time.Time
	onClose func(app.TunnelKey)
	title   *widget.Label
	header  *fyne.Container
	list    *widget.List
	empty   *widget.Label
	root    fyne.CanvasObject
}

func newTunnelsPanel(onClose func(app.TunnelKey)) *tunnelsPanel {
	p := &tunnelsPanel{now: time.Now, onClose: onClose, rates: map[app.TunnelKey]*rateMeter{}}
	p.title = widget.NewLabelWithStyle("Tunnels", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.empty = widget.NewLabel("No open tunnels. Connect to a VM (double-click, or right-click → Connect) to open one.")
	p.empty.Importance = widget.LowImportance
	p.list = widget.NewList(
		func() int { return len(p.rows) },
		func() fyne.CanvasObject {
			cells := make([]fyne.CanvasObject, 0, len(tunnelColumns))
			for range tunnelColumns[:len(tunnelColumns)-1] {
				l := widget.NewLabel("")
				l.Truncation = fyne.TextTruncateEllipsis
				cells = append(cells, l)
			}
			cells = append(cells, widget.NewButtonWithIcon("Close", theme.CancelIcon(), nil))
			return container.New(columnsLayout{tunnelWidths}, cells...)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(p.rows) {
				return
			}
			t := p.rows[i]
			cells := o.(*fyne.Container).Objects
			now := p.now()
			for c, text := range tunnelCells(t, p.rates[t.Key], now) {
				cells[c].(*widget.Label).SetText(text)
			}
			key := t.Key
			cells[len(cells)-1].(*widget.Button).OnTapped = func() { p.onClose(key) }
		},
	)
	header := make([]fyne.CanvasObject, len(tunnelColumns))
	for i, h := range tunnelColumns {
		l := widget.NewLabelWithStyle(h, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.Truncation = fyne.TextTruncateEllipsis
		header[i] = l
	}
	// The header's last cell is as wide as the Close buttons.
	header[len(header)-1] = container.NewGridWrap(widget.NewButtonWithIcon("Close", theme.CancelIcon(), nil).MinSize())
	p.header = container.New(columnsLayout{tunnelWidths}, header...)
	top := container.NewVBox(p.title, p.header)
	p.root = container.NewBorder(top, nil, nil, nil, container.NewStack(p.list, p.empty))
	p.set(nil)
	return p
}

// set shows a new snapshot, and updates each tunnel's rate from the
// counters' change since the last one.
func (p *tunnelsPanel) set(rows []app.TunnelInfo) {
	p.rows = rows
	now := p.now()
	seen := make(map[app.TunnelKey]bool, len(rows))
	for _, t := range rows {
		seen[t.Key] = true
		m := p.rates[t.Key]
		if m == nil || t.Started != m.started {
			m = &rateMeter{started: t.Started}
			p.rates[t.Key] = m
		}
		m.add(now, t.BytesUp, t.BytesDown)
	}
	for k := range p.rates {
		if !seen[k] {
			delete(p.rates, k)
		}
	}
	if len(rows) == 0 {
		p.title.SetText("Tunnels")
		p.header.Hide()
		p.empty.Show()
	} else {
		p.title.SetText(fmt.Sprintf("Tunnels (%d)", len(rows)))
		p.header.Show()
		p.empty.Hide()
	}
	p.list.Refresh()
}

// tunnelCells are a tunnel's column texts, without the button; m is its
// rate meter (nil: no rate yet).
func tunnelCells(t app.TunnelInfo, m *rateMeter, now time.Time) []string {
	if t.State == app.TunnelConnecting {
		return []string{t.Key.Ref.Name, strconv.Itoa(t.Key.Port), "", "", "", "", tunnelStatus(t)}
	}
	sent, received := formatBytes(t.BytesUp), formatBytes(t.BytesDown)
	if m != nil {
		if up, down, ok := m.rates(); ok {
			sent += " · " + formatRate(up)
			received += " · " + formatRate(down)
		}
	}
	return []string{
		t.Key.Ref.Name,
		strconv.Itoa(t.Key.Port),
		t.LocalAddr,
		sent,
		received,
		formatDuration(t.Duration(now)),
		tunnelStatus(t),
	}
}

// tunnelStatus is the tunnel's state: "Connecting…", "Open",
// "Reconnecting — attempt N", or "Failed — " and the reason the last
// connection failed (app's words).
func tunnelStatus(t app.TunnelInfo) string {
	switch t.State {
	case app.TunnelConnecting:
		return "Connecting…"
	case app.TunnelReconnecting:
		return fmt.Sprintf("Reconnecting — attempt %d", t.Attempt)
	case app.TunnelFailed:
	default:
		return "Open"
	}
	if t.Reason == nil {
		return "Failed"
	}
	why := t.Reason.Why
	if why == "" {
		why = t.Reason.What
	}
	return "Failed — " + why
}

// rateWindow is how far back a tunnel's rate looks: long enough to smooth
// the one-second ticks, short enough to follow a transfer.
const rateWindow = 3 * time.Second

// rateMeter turns a tunnel's byte counters, sampled at each refresh, into
// rates over the last rateWindow.
type rateMeter struct {
	started time.Time // the tunnel's, to tell a reopened tunnel from the old
	samples []rateSample
}

type rateSample struct {
	at       time.Time
	up, down uint64
}

// add records the counters at now, keeping what rateWindow needs.
func (m *rateMeter) add(now time.Time, up, down uint64) {
	m.samples = append(m.samples, rateSample{now, up, down})
	// Keep one sample older than the window, to span all of it.
	for len(m.samples) > 2 && now.Sub(m.samples[1].at) >= rateWindow {
		m.samples = m.samples[1:]
	}
}

// rates are bytes per second up and down over the samples kept; ok is
// false until two samples at least half a second apart exist.
func (m *rateMeter) rates() (up, down float64, ok bool) {
	if len(m.samples) < 2 {
		return 0, 0, false
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	dt := last.at.Sub(first.at).Seconds()
	if dt < 0.5 || last.up < first.up || last.down < first.down {
		return 0, 0, false
	}
	return float64(last.up-first.up) / dt, float64(last.down-first.down) / dt, true
}

// formatRate is a rate for people, in KiB/s (0.0 KiB/s when idle) or
// MiB/s.
func formatRate(bps float64) string {
	if bps >= 1<<20 {
		return fmt.Sprintf("%.1f MiB/s", bps/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB/s", bps/1024)
}

// formatBytes is a byte count for people: 512 B, 1.5 KiB, 20.3 MiB.
func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// formatDuration is h:mm:ss, or m:ss under an hour.
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	if s < 3600 {
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
