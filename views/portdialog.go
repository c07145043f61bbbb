package views

import (
	"errors"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/platform"
)

// tunnelOnly is the "Open with" choice that starts no client.
const tunnelOnly = "Just open the tunnel (copy 127.0.0.1:PORT)"

// showPortDialog is "Connect to port…": a remote port, and a client
// application to start on the tunnel, or none.
func (w *Window) showPortDialog(inst app.Instance) {
	if w.svc == nil {
		return
	}
	apps := w.svc.Apps
	if apps == nil {
		apps = platform.BuiltinApps()
	}
	names := []string{tunnelOnly}
	for _, a := range apps {
		names = append(names, a.Name)
	}
	with := widget.NewSelect(names, nil)
	with.SetSelected(tunnelOnly)
	port := widget.NewEntry()
	port.SetPlaceHolder("e.g. 80, 5432, 3389")
	port.Validator = func(s string) error {
		if _, err := parsePort(s); err != nil {
			return err
		}
		return nil
	}
	port.OnChanged = func(s string) {
		p, err := parsePort(s)
		if err != nil {
			return
		}
		// Suggest the first app made for this port.
		if s := platform.AppsForPort(apps, p); len(s) > 0 {
			with.SetSelected(s[0].Name)
		} else {
			with.SetSelected(tunnelOnly)
		}
	}
	items := []*widget.FormItem{
		widget.NewFormItem("Remote port", port),
		widget.NewFormItem("Open with", with),
	}
	d := dialog.NewForm("Connect to a port of "+inst.Name, "Connect", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		p, err := parsePort(port.Text)
		if err != nil {
			return
		}
		if with.Selected == tunnelOnly {
			w.connect(inst, app.ProtocolTunnel, p, nil)
			return
		}
		for _, a := range apps {
			if a.Name == with.Selected {
				w.connect(inst, app.ProtocolApp, p, &a)
				return
			}
		}
	}, w.win)
	port.OnSubmitted = func(string) { d.Submit() } // Enter connects
	d.Resize(fyne.NewSize(460, 220))
	d.Show()
	w.win.Canvas().Focus(port)
}

var errPort = errors.New("enter a port number from 1 to 65535")

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, errPort
	}
	return p, nil
}
