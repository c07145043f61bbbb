package views

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// serialPoll is how often the serial port window asks for new output.
const serialPoll = 2 * time.Second

// serialKeep bounds the text the window keeps.
const serialKeep = 256 << 10

// showSerial opens a window that follows a VM's serial port 1 until it is
// closed.
func (w *Window) showSerial(inst app.Instance) {
	if w.svc == nil {
		return
	}
	src := w.svc.Explorer
	win := w.cfg.App.NewWindow(fmt.Sprintf("Serial port 1 — %s", inst.Name))
	text := widget.NewTextGrid()
	scroll := container.NewScroll(text)
	status := widget.NewLabel("Reading…")
	win.SetContent(container.NewBorder(nil, status, nil, nil, scroll))
	win.Resize(fyne.NewSize(800, 500))
	ctx, cancel := context.WithCancel(w.ctx)
	win.SetOnClosed(cancel)
	var buf []byte
	w.loops.Go(func() {
		defer cancel()
		next := int64(0)
		tick := time.NewTicker(serialPoll)
		defer tick.Stop()
		for {
			out, err := src.SerialOutput(ctx, inst.InstanceRef, 1, next)
			if ctx.Err() != nil {
				return
			}
			w.do(func() {
				if err != nil {
					status.SetText(app.AsUserError(err).Error())
					return
				}
				if out.Contents != "" {
					buf = append(buf, out.Contents...)
					if len(buf) > serialKeep {
						buf = buf[len(buf)-serialKeep:]
					}
					text.SetText(string(buf))
					scroll.ScrollToBottom()
				}
				status.SetText(fmt.Sprintf("%d bytes; updated %s", out.Next, time.Now().Format("15:04:05")))
			})
			if err == nil {
				next = out.Next
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	win.Show()
}
