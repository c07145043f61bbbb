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
var tunnelColumns = []string{"VM", "Remote port", "Local address", "Sent", "Received", "Open for", "Status", ""}

// tunnelsPanel lists the open tunnels with live counters and a Close
// button each. It shows the last List() snapshot; the window refreshes it
// when tunnels change and every second while any is open. UI thread only.
type tunnelsPanel struct {
	rows    []app.TunnelInfo
	now     func() time.Time
	onClose func(app.TunnelKey)
	title   *widget.Label
	header  *fyne.Container
	list    *widget.List
	empty   *widget.Label
	root    fyne.CanvasObject
}

func newTunnelsPanel(onClose func(app.TunnelKey)) *tunnelsPanel {
	p := &tunnelsPanel{now: time.Now, onClose: onClose}
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
			return container.NewGridWithColumns(len(tunnelColumns), cells...)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(p.rows) {
				return
			}
			t := p.rows[i]
			cells := o.(*fyne.Container).Objects
			for c, text := range tunnelCells(t, p.now()) {
				cells[c].(*widget.Label).SetText(text)
			}
			key := t.Key
			cells[len(cells)-1].(*widget.Button).OnTapped = func() { p.onClose(key) }
		},
	)
	header := make([]fyne.CanvasObject, len(tunnelColumns))
	for i, h := range tunnelColumns {
		header[i] = widget.NewLabelWithStyle(h, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	p.header = container.NewGridWithColumns(len(tunnelColumns), header...)
	top := container.NewVBox(p.title, p.header)
	p.root = container.NewBorder(top, nil, nil, nil, container.NewStack(p.list, p.empty))
	p.set(nil)
	return p
}

// set shows a new snapshot.
func (p *tunnelsPanel) set(rows []app.TunnelInfo) {
	p.rows = rows
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

// tunnelCells are a tunnel's column texts, without the button.
func tunnelCells(t app.TunnelInfo, now time.Time) []string {
	return []string{
		t.Key.Ref.Name,
		strconv.Itoa(t.Key.Port),
		t.LocalAddr,
		formatBytes(t.BytesUp),
		formatBytes(t.BytesDown),
		formatDuration(t.Duration(now)),
		tunnelStatus(t),
	}
}

// tunnelStatus is "Open", or "Failed: " and the reason the last connection
// failed (app's words).
func tunnelStatus(t app.TunnelInfo) string {
	if t.State != app.TunnelFailed {
		return "Open"
	}
	if t.Reason == nil {
		return "Failed"
	}
	why := t.Reason.Why
	if why == "" {
		why = t.Reason.What
	}
	return "Failed: " + why
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
