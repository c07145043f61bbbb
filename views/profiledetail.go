package views

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/app/settings"
)

// profileDetail is the Saved connections tab's own detail pane: the
// selected profile's target, protocol and port, the settings it connects
// with and where each comes from, and Connect, Edit and Settings…. The
// settings load off the UI thread. UI thread only.
type profileDetail struct {
	w    *Window
	box  *fyne.Container
	root fyne.CanvasObject
	// shown is the profile on screen (ID "" for none); a load that
	// finishes for another one is dropped. loading is set while its
	// settings load.
	shown   app.Profile
	loading bool
}

func newProfileDetail(w *Window) *profileDetail {
	d := &profileDetail{w: w, box: container.NewVBox()}
	d.root = container.NewVScroll(container.NewPadded(d.box))
	d.show(app.Profile{})
	return d
}

// show shows p (ID "" for the hint) and loads its settings.
func (d *profileDetail) show(p app.Profile) {
	d.shown, d.loading = p, false
	d.box.RemoveAll()
	if p.ID == "" {
		hint := widget.NewLabel("Select a saved connection to see what it connects to and with which settings. " +
			"Double-click or press Enter to connect; right-click for more.")
		hint.Wrapping = fyne.TextWrapWord
		d.box.Add(hint)
		d.box.Refresh()
		return
	}
	d.box.Add(heading(p.Name, profileIcon(p.Protocol)))
	connect := widget.NewButtonWithIcon("Connect", theme.LoginIcon(), func() { d.w.connectProfile(p) })
	connect.Importance = widget.HighImportance
	edit := widget.NewButtonWithIcon("Edit…", theme.DocumentCreateIcon(), func() { d.w.editProfile(p) })
	d.box.Add(container.NewHBox(connect, edit))
	grid := container.New(layout.NewFormLayout())
	add := func(k, v string) {
		key := widget.NewLabelWithStyle(k, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
		val := widget.NewLabel(v)
		val.Wrapping = fyne.TextWrapWord
		val.Selectable = true
		grid.Add(key)
		grid.Add(val)
	}
	add("Target", targetText(p.Target))
	add("Protocol", protocolLabel(p.Protocol))
	add("Remote port", portText(p))
	d.box.Add(grid)
	d.box.Add(widget.NewLabelWithStyle("Settings it connects with", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	loading := widget.NewLabel("Loading…")
	d.box.Add(loading)
	d.box.Refresh()
	svc := d.w.svc
	if svc == nil || svc.Profiles == nil {
		return
	}
	id := p.ID
	d.loading = true
	d.w.job("", func(ctx context.Context) {
		layers, err := svc.Profiles.Layers(ctx, p.Target.InstanceRef(), id)
		d.w.do(func() {
			if d.shown.ID != id {
				return // another profile is shown meanwhile
			}
			d.loading = false
			d.box.Remove(loading)
			if err != nil {
				d.box.Add(userErrorView(err, d.w.copyText))
			} else {
				d.box.Add(effectiveSettings(layers, p, levelNames(p.Target.InstanceRef(), p.Name)))
			}
			d.box.Refresh()
		})
	})
}

// effectiveSettings lists the settings that apply to p's protocol, each
// with its effective value (what 0 means, not 0) and where it comes from.
func effectiveSettings(layers []settings.Layer, p app.Profile, names map[settings.Source]string) fyne.CanvasObject {
	groups := profileGroups(p.Protocol)
	grid := container.New(layout.NewFormLayout())
	for _, row := range settings.Rows(layers, settings.SourceProfile) {
		if !groups[row.Group] {
			continue
		}
		key := widget.NewLabel(row.Label)
		key.Alignment = fyne.TextAlignTrailing
		val := widget.NewLabel(displayValue(row.Field, row.Value))
		val.Selectable = true
		src := newSecondaryText(false)
		src.SetText(sourceText(row, names))
		grid.Add(key)
		grid.Add(container.NewHBox(val, src))
	}
	return grid
}

// profileGroups are the settings groups that apply to a protocol: General
// and Tunnel always, and the protocol's own.
func profileGroups(proto app.ProfileProtocol) map[string]bool {
	prefix := map[app.ProfileProtocol]string{app.ProfileRDP: "rdp.", app.ProfileSSH: "ssh."}[proto]
	groups := map[string]bool{}
	for _, f := range settings.Fields() {
		if !strings.Contains(f.Key, ".") || strings.HasPrefix(f.Key, "tunnel.") || prefix != "" && strings.HasPrefix(f.Key, prefix) {
			groups[f.Group] = true
		}
	}
	return groups
}

// displayValue is a setting's value for people: what 0 means ("any free
// port") rather than 0, yes and no, and "not set" for empty text.
func displayValue(f settings.Field, v string) string {
	switch {
	case f.Zero != "" && (v == "0" || v == ""):
		return f.Zero
	case f.Kind == settings.FieldBool && v == "true":
		return "yes"
	case f.Kind == settings.FieldBool:
		return "no"
	case v == "":
		return "not set"
	}
	return v
}

// sourceText says, in full, where a row's value comes from: "this saved
// connection", "project acme-prod-web", "default".
func sourceText(row settings.Row, names map[settings.Source]string) string {
	switch {
	case row.Source == settings.SourceDefault:
		return "default"
	case row.Source == settings.SourceProfile:
		return "this saved connection"
	case names[row.Source] != "":
		return names[row.Source]
	}
	return "the " + row.Source.String()
}

// targetText describes a profile's target in words.
func targetText(t app.ProfileTarget) string {
	if t.OnPrem() {
		return fmt.Sprintf("host %s through destination group %s (network %s, region %s, project %s)", t.Host, t.DestGroup, t.Network, t.Region, t.Project)
	}
	return fmt.Sprintf("VM %s in zone %s, project %s", t.Instance, t.Zone, t.Project)
}

// portText is the remote port, saying when it is the protocol's default.
func portText(p app.Profile) string {
	if p.RemotePort == 0 && p.Protocol.DefaultPort() != 0 {
		return strconv.Itoa(p.Protocol.DefaultPort()) + " (the protocol's default)"
	}
	return strconv.Itoa(p.Port())
}

// protocolLabel is the profile dialog's name of a protocol.
func protocolLabel(p app.ProfileProtocol) string {
	for _, c := range protocolChoices {
		if c.p == p {
			return c.label
		}
	}
	return string(p)
}

// profileIcon is a saved connection's icon: the OS of its protocol.
func profileIcon(p app.ProfileProtocol) fyne.Resource {
	switch p {
	case app.ProfileRDP:
		return iconWindows
	case app.ProfileSSH:
		return iconLinux
	}
	return theme.MailForwardIcon()
}
