package views

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/app/settings"
)

// protocolChoices are the profile protocols, in the dialog's order.
var protocolChoices = []struct {
	label string
	p     app.ProfileProtocol
}{
	{"Remote Desktop (RDP)", app.ProfileRDP},
	{"SSH", app.ProfileSSH},
	{"Port (tunnel only)", app.ProfilePort},
}

// Target kinds of the profile dialog.
const (
	targetVM   = "Compute Engine VM"
	targetHost = "On-premises or other host"
)

// profileDialog edits a saved connection: name, target (a VM picked from
// the loaded projects, or typed; or a host reached through IAP for
// on-premises), protocol, remote port, and the profile's settings level
// (user name, domain, local port, RDP and SSH options) as settings rows.
// Save checks the name, the port and that the VM exists, and says what is
// wrong inside the dialog. UI thread only.
type profileDialog struct {
	w   *Window
	svc *Services
	id  string // "" for a new profile

	name     *widget.Entry
	kind     *widget.RadioGroup
	project  *widget.SelectEntry
	zone     *widget.SelectEntry
	instance *widget.SelectEntry
	region   *widget.Entry
	network  *widget.Entry
	host     *widget.Entry
	group    *widget.Entry
	vmRows   []fyne.CanvasObject // labels and entries shown for a VM target
	hostRows []fyne.CanvasObject // … for a host target
	protocol *widget.Select
	port     *widget.Entry
	settings *settingsEditor
	problem  *widget.Label // what Save found wrong, inline
	choices  [3][]string   // the projects, zones and VMs offered
	save     *widget.Button
	d        *dialog.CustomDialog
}

// TargetChecker tells whether a VM exists before a profile is saved for it;
// *app.Connector implements it (found on Services.Connector).
type TargetChecker interface {
	CheckTarget(ctx context.Context, ref app.InstanceRef) error
}

// newProfile opens the dialog for a new profile, pre-filled with p.
func (w *Window) newProfile(p app.Profile) { w.openProfileDialog(p, "New saved connection") }

// editProfile opens the dialog on a saved profile.
func (w *Window) editProfile(p app.Profile) { w.openProfileDialog(p, "Edit "+p.Name) }

// saveAsProfile is "Save as profile…" on a VM: a new profile for it with
// the VM's usual protocol.
func (w *Window) saveAsProfile(inst app.Instance) {
	proto := app.ProfileSSH
	if inst.OS == app.OSWindows {
		proto = app.ProfileRDP
	}
	w.newProfile(app.Profile{Name: inst.Name, Protocol: proto,
		Target: app.ProfileTarget{Project: inst.Project, Zone: inst.Zone, Instance: inst.Name}})
}

func (w *Window) openProfileDialog(p app.Profile, title string) {
	svc := w.svc
	if svc == nil || svc.Profiles == nil {
		return
	}
	pd := &profileDialog{w: w, svc: svc, id: p.ID, problem: widget.NewLabel("")}
	pd.problem.Wrapping = fyne.TextWrapWord
	pd.problem.Importance = widget.DangerImportance
	pd.problem.Hide()
	entry := func(text, placeholder string) *widget.Entry {
		e := widget.NewEntry()
		e.SetText(text)
		e.SetPlaceHolder(placeholder)
		return e
	}
	pick := func(text, placeholder string) *widget.SelectEntry {
		e := widget.NewSelectEntry(nil)
		e.SetText(text)
		e.SetPlaceHolder(placeholder)
		return e
	}
	t := p.Target
	pd.name = entry(p.Name, "e.g. SQL prod")
	pd.project = pick(t.Project, "pick or type a project ID")
	pd.zone = pick(t.Zone, "pick or type a zone, e.g. us-central1-a")
	pd.instance = pick(t.Instance, "pick or type a VM name")
	pd.region = entry(t.Region, "e.g. us-central1")
	pd.network = entry(t.Network, "VPC network")
	pd.host = entry(t.Host, "IP address or DNS name")
	pd.group = entry(t.DestGroup, "IAP destination group")
	port := ""
	if p.RemotePort != 0 {
		port = strconv.Itoa(p.RemotePort)
	}
	pd.port = entry(port, "")
	form := container.New(layout.NewFormLayout())
	add := func(label string, o fyne.CanvasObject) []fyne.CanvasObject {
		l := widget.NewLabel(label)
		form.Add(l)
		form.Add(o)
		return []fyne.CanvasObject{l, o}
	}
	pd.kind = widget.NewRadioGroup([]string{targetVM, targetHost}, func(k string) {
		show := func(objs []fyne.CanvasObject, on bool) {
			for _, o := range objs {
				if on {
					o.Show()
				} else {
					o.Hide()
				}
			}
		}
		show(pd.vmRows, k != targetHost)
		show(pd.hostRows, k == targetHost)
		form.Refresh()
		pd.targetChanged()
	})
	pd.kind.Horizontal = true
	pd.kind.Required = true
	add("Name", pd.name)
	add("Target", pd.kind)
	add("Project", pd.project)
	pd.vmRows = append(add("Zone", pd.zone), add("VM", pd.instance)...)
	for _, r := range [][]fyne.CanvasObject{add("Host", pd.host), add("Region", pd.region), add("Network", pd.network), add("Destination group", pd.group)} {
		pd.hostRows = append(pd.hostRows, r...)
	}
	labels := make([]string, len(protocolChoices))
	for i, c := range protocolChoices {
		labels[i] = c.label
	}
	pd.protocol = widget.NewSelect(labels, func(string) { pd.protocolChanged() })
	pd.settings = newSettingsEditor([]settings.Layer{{Source: settings.SourceProfile, Settings: p.Settings}}, settings.SourceProfile,
		levelNames(t.InstanceRef(), ""))

	for _, e := range []*widget.SelectEntry{pd.project, pd.zone, pd.instance} {
		e.OnChanged = func(string) { pd.targetChanged() }
	}
	pd.name.OnChanged = func(string) { pd.problem.Hide() }
	if t.OnPrem() {
		pd.kind.SetSelected(targetHost)
	} else {
		pd.kind.SetSelected(targetVM)
	}
	for _, c := range protocolChoices {
		if c.p == p.Protocol {
			pd.protocol.SetSelected(c.label)
		}
	}
	if pd.protocol.Selected == "" {
		pd.protocol.SetSelectedIndex(0)
	}

	add("Protocol", pd.protocol)
	add("Remote port", pd.port)
	settingsTitle := widget.NewLabelWithStyle("Settings of this connection", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	hint := widget.NewLabel("Unchanged values are inherited from the VM, its zone and its project (see their Settings…).")
	hint.Wrapping = fyne.TextWrapWord
	pd.fillChoices()
	// One scroll for the whole dialog: the settings get all the room the
	// window gives, not a box under the form.
	body := container.NewVScroll(container.NewVBox(pd.problem, form, widget.NewSeparator(), settingsTitle, hint, pd.settings.root))
	pd.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), pd.submit)
	pd.save.Importance = widget.HighImportance
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { pd.d.Hide() })
	pd.d = dialog.NewCustomWithoutButtons(title, body, w.win)
	pd.d.SetButtons([]fyne.CanvasObject{cancel, pd.save}) // where every dialog has its buttons
	pd.d.Resize(w.largeDialogSize())
	pd.d.Show()
	w.openProfile = pd
	w.win.Canvas().Focus(pd.name)
}

// largeDialogSize is the size of the dialogs that edit settings: most of
// the window.
func (w *Window) largeDialogSize() fyne.Size {
	s := w.win.Canvas().Size()
	if s.Width <= 0 || s.Height <= 0 {
		return fyne.NewSize(860, 720)
	}
	return fyne.NewSize(min(s.Width*0.92, 1000), s.Height*0.92)
}

// fillChoices offers the loaded projects, the chosen project's zones and
// the chosen zone's VMs in the pickers.
func (pd *profileDialog) fillChoices() {
	inv := pd.svc.Explorer.Unfiltered()
	var projects, zones, vms []string
	for _, p := range inv.Projects {
		projects = append(projects, p.ID)
		if p.ID != strings.TrimSpace(pd.project.Text) {
			continue
		}
		for _, z := range p.Zones {
			zones = append(zones, z.Name)
			if z.Name != strings.TrimSpace(pd.zone.Text) {
				continue
			}
			for _, in := range z.Instances {
				vms = append(vms, in.Name)
			}
		}
	}
	pd.project.SetOptions(projects)
	pd.zone.SetOptions(zones)
	pd.instance.SetOptions(vms)
	pd.choices = [3][]string{projects, zones, vms}
}

// fail shows what Save found wrong inside the dialog.
func (pd *profileDialog) fail(msg string) {
	pd.problem.SetText(msg)
	pd.problem.Show()
}

// chosenProtocol is the protocol selected.
func (pd *profileDialog) chosenProtocol() app.ProfileProtocol {
	for _, c := range protocolChoices {
		if c.label == pd.protocol.Selected {
			return c.p
		}
	}
	return app.ProfileRDP
}

// protocolChanged shows the settings that apply to the protocol and its
// default port.
func (pd *profileDialog) protocolChanged() {
	proto := pd.chosenProtocol()
	if d := proto.DefaultPort(); d != 0 {
		pd.port.SetPlaceHolder(strconv.Itoa(d) + " (default)")
	} else {
		pd.port.SetPlaceHolder("required, e.g. 5432")
	}
	prefix := map[app.ProfileProtocol]string{app.ProfileRDP: "rdp.", app.ProfileSSH: "ssh."}[proto]
	var groups []string
	for _, f := range settings.Fields() {
		if !strings.Contains(f.Key, ".") || strings.HasPrefix(f.Key, "tunnel.") || prefix != "" && strings.HasPrefix(f.Key, prefix) {
			groups = append(groups, f.Group)
		}
	}
	pd.settings.showGroups(groups...)
}

// target is the target the fields describe.
func (pd *profileDialog) target() app.ProfileTarget {
	t := app.ProfileTarget{Project: strings.TrimSpace(pd.project.Text)}
	if pd.kind.Selected == targetHost {
		t.Region, t.Network = strings.TrimSpace(pd.region.Text), strings.TrimSpace(pd.network.Text)
		t.Host, t.DestGroup = strings.TrimSpace(pd.host.Text), strings.TrimSpace(pd.group.Text)
		return t
	}
	t.Zone, t.Instance = strings.TrimSpace(pd.zone.Text), strings.TrimSpace(pd.instance.Text)
	return t
}

// targetChanged reloads the levels the profile inherits from: the VM's
// project, zone and VM settings, or none for a host.
func (pd *profileDialog) targetChanged() {
	if pd.settings == nil {
		return
	}
	pd.fillChoices()
	pd.problem.Hide()
	t := pd.target()
	if t.OnPrem() || t.Project == "" {
		pd.settings.setLayers(nil)
		pd.settings.refresh()
		return
	}
	ref := t.InstanceRef()
	svc := pd.svc
	pd.w.job("", func(ctx context.Context) {
		layers, err := svc.Profiles.Layers(ctx, ref, "")
		if err != nil {
			return // the fields are still being typed; Save reports real problems
		}
		pd.w.do(func() {
			if pd.target().InstanceRef() != ref {
				return // changed again meanwhile
			}
			pd.settings.names = levelNames(ref, "")
			pd.settings.setLayers(layers)
			pd.settings.refresh()
		})
	})
}

// submit checks what can be checked here (a name, a port) and then, off
// the UI thread, that the VM exists, and saves through app
// (Profiles.Add or Update, which validate the rest); it closes the dialog
// on success and says what is wrong inside it otherwise.
func (pd *profileDialog) submit() {
	p := app.Profile{ID: pd.id, Name: strings.TrimSpace(pd.name.Text), Target: pd.target(),
		Protocol: pd.chosenProtocol(), Settings: pd.settings.own}
	if p.Name == "" {
		pd.fail("Enter a name for the connection.")
		pd.w.win.Canvas().Focus(pd.name)
		return
	}
	if s := strings.TrimSpace(pd.port.Text); s != "" {
		n, err := parsePort(s)
		if err != nil {
			pd.fail("Remote port: " + err.Error() + ", or leave it empty for the protocol's default.")
			pd.w.win.Canvas().Focus(pd.port)
			return
		}
		p.RemotePort = n
	}
	svc, w := pd.svc, pd.w
	checker, _ := svc.Connector.(TargetChecker)
	pd.save.Disable()
	w.job("Saving "+p.Name, func(ctx context.Context) {
		var err error
		if checker != nil && !p.Target.OnPrem() && p.Target.Validate() == nil {
			err = checker.CheckTarget(ctx, p.Target.InstanceRef())
		}
		if err == nil {
			if p.ID == "" {
				var saved app.Profile
				saved, err = svc.Profiles.Add(ctx, p)
				p.ID = saved.ID
			} else {
				err = svc.Profiles.Update(ctx, p)
			}
			err = w.notice(err)
		}
		w.do(func() {
			pd.save.Enable()
			if err != nil {
				pd.fail(problemText(err))
				return
			}
			pd.d.Hide()
			w.showTab(tabProfiles)
			w.profilesChanged(p.ID)
		})
	})
}

// problemText is app's explanation of err in one paragraph: why, and what
// to do.
func problemText(err error) string {
	ue := app.AsUserError(err)
	msg := ue.What
	if ue.Why != "" {
		msg += ": " + ue.Why
	}
	if ue.Fix != "" {
		msg += ". " + ue.Fix
	}
	return msg
}
