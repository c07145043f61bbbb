package views

import (
	"context"
	"fmt"
	"io"
	"reflect"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// maxImportFile bounds what Import reads; app refuses more than 4 MiB, and
// reading one byte further lets it say so.
const maxImportFile = 4<<20 + 1

// profilesPanel is the "Saved connections" tab: the profiles (app.Profiles.
// List) with Connect, Edit, Duplicate and Delete for the selected one, and
// New, Import and Export. Double-click connects, right-click opens the
// profile's menu. It shows the last list loaded; the window reloads it
// after every change. UI thread only.
type profilesPanel struct {
	w        *Window
	items    []app.Profile
	selected int // index into items; -1 for none
	list     *widget.List
	empty    *widget.Label
	connect  *widget.Button
	edit     *widget.Button
	dup      *widget.Button
	del      *widget.Button
	root     fyne.CanvasObject
	detail   *profileDetail // the tab's detail pane
}

func newProfilesPanel(w *Window) *profilesPanel {
	p := &profilesPanel{w: w, selected: -1}
	p.list = widget.NewList(
		func() int { return len(p.items) },
		func() fyne.CanvasObject { return newProfileRow(p) },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*profileRow).set(i, p.items[i]) },
	)
	p.detail = newProfileDetail(w)
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i; p.enable() }
	p.list.OnUnselected = func(widget.ListItemID) { p.selected = -1; p.enable() }
	p.empty = widget.NewLabel("No saved connections yet. Right-click a VM → Save as profile…, or press New.")
	p.empty.Wrapping = fyne.TextWrapWord
	p.empty.Importance = widget.LowImportance
	with := func(f func(app.Profile)) func() {
		return func() {
			if pr, ok := p.current(); ok {
				f(pr)
			}
		}
	}
	p.connect = widget.NewButtonWithIcon("Connect", theme.LoginIcon(), with(w.connectProfile))
	p.connect.Importance = widget.HighImportance
	p.edit = widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), with(w.editProfile))
	p.dup = widget.NewButtonWithIcon("Duplicate", theme.ContentCopyIcon(), with(w.duplicateProfile))
	p.del = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), with(w.deleteProfile))
	add := widget.NewButtonWithIcon("New", theme.ContentAddIcon(), func() { w.newProfile(app.Profile{Protocol: app.ProfileRDP}) })
	imp := widget.NewButtonWithIcon("Import", theme.FolderOpenIcon(), w.showImport)
	exp := widget.NewButtonWithIcon("Export", theme.DocumentSaveIcon(), func() { w.showExport() })
	bar := container.NewVBox(container.NewHBox(p.connect, p.edit, p.dup, p.del), container.NewHBox(add, imp, exp))
	p.root = container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, container.NewStack(p.list, p.empty))
	p.set(nil)
	return p
}

// current is the selected profile.
func (p *profilesPanel) current() (app.Profile, bool) {
	if p.selected < 0 || p.selected >= len(p.items) {
		return app.Profile{}, false
	}
	return p.items[p.selected], true
}

// set shows list, keeping the selected profile selected.
func (p *profilesPanel) set(list []app.Profile) {
	keep, _ := p.current()
	p.items = list
	p.selected = -1
	p.list.UnselectAll()
	for i, pr := range list {
		if keep.ID != "" && pr.ID == keep.ID {
			p.list.Select(i)
		}
	}
	if len(list) == 0 {
		p.empty.Show()
	} else {
		p.empty.Hide()
	}
	p.list.Refresh()
	p.enable()
}

// selectID selects the profile with id, if listed.
func (p *profilesPanel) selectID(id string) {
	for i, pr := range p.items {
		if pr.ID == id {
			p.list.Select(i)
			p.list.ScrollTo(i)
		}
	}
}

func (p *profilesPanel) enable() {
	cur, ok := p.current()
	if !reflect.DeepEqual(cur, p.detail.shown) {
		p.detail.show(cur)
	}
	for _, b := range []*widget.Button{p.connect, p.edit, p.dup, p.del} {
		if ok {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

// reloadProfiles lists the saved connections again, keeping the selection.
func (w *Window) reloadProfiles() { w.profilesChanged("") }

// profileMenu: Connect, Edit…, Settings…, Generate Windows credentials…
// (RDP to a VM), Duplicate, Export…, Delete.
func (w *Window) profileMenu(p app.Profile) *fyne.Menu {
	items := []*fyne.MenuItem{
		fyne.NewMenuItemWithIcon("Connect", theme.LoginIcon(), func() { w.connectProfile(p) }),
		fyne.NewMenuItemWithIcon("Edit…", theme.DocumentCreateIcon(), func() { w.editProfile(p) }),
		fyne.NewMenuItemWithIcon("Settings…", theme.SettingsIcon(), func() { w.showSettings(settingsLevel{profile: p}) }),
	}
	if p.Protocol == app.ProfileRDP && !p.Target.OnPrem() && w.svc != nil && w.svc.WindowsCredentials != nil {
		inst := p.Target.InstanceRef()
		items = append(items, fyne.NewMenuItemWithIcon("Generate Windows credentials…", theme.AccountIcon(), func() {
			w.showGenerateCredentials(inst, p.ID)
		}))
	}
	items = append(items,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItemWithIcon("Duplicate", theme.ContentCopyIcon(), func() { w.duplicateProfile(p) }),
		fyne.NewMenuItemWithIcon("Export…", theme.DocumentSaveIcon(), func() { w.showExport(p.ID) }),
		fyne.NewMenuItemWithIcon("Delete", theme.DeleteIcon(), func() { w.deleteProfile(p) }),
	)
	return fyne.NewMenu("", items...)
}

// duplicateProfile saves a copy (with a copy of its password) and selects it.
func (w *Window) duplicateProfile(p app.Profile) {
	svc := w.svc
	w.run("Duplicating "+p.Name, func(ctx context.Context) error {
		dup, err := svc.Profiles.Duplicate(ctx, p.ID)
		if err = w.notice(err); err != nil {
			return err
		}
		w.do(func() { w.profilesChanged(dup.ID) })
		return nil
	})
}

// deleteProfile deletes a profile and its saved password, after asking.
func (w *Window) deleteProfile(p app.Profile) {
	svc := w.svc
	w.confirm("Delete "+p.Name+"?", "The saved connection and its saved password are deleted.", "Delete", func() {
		w.run("Deleting "+p.Name, func(ctx context.Context) error {
			err := w.notice(svc.Profiles.Delete(ctx, p.ID))
			w.do(func() { w.profilesChanged("") })
			return err
		})
	})
}

// profilesChanged reloads the list and then selects id ("": keeps the
// selection). A damaged file moved aside is shown once, with the list
// recovered from the backup.
func (w *Window) profilesChanged(id string) {
	svc := w.svc
	if svc == nil || svc.Profiles == nil {
		return
	}
	w.run("Loading saved connections", func(ctx context.Context) error {
		list, err := svc.Profiles.List(ctx)
		if err = w.notice(err); err != nil {
			return err
		}
		w.do(func() {
			w.profiles.set(list)
			if id != "" {
				w.profiles.selectID(id)
			}
		})
		return nil
	})
}

// showImport asks for a profiles file and imports it.
func (w *Window) showImport() {
	if w.svc == nil || w.svc.Profiles == nil {
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			w.showError(err)
			return
		}
		if r != nil {
			w.importProfiles(r)
		}
	}, w.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// importProfiles reads r (and closes it) and imports its profiles; a bad
// file shows app's explanation.
func (w *Window) importProfiles(r io.ReadCloser) {
	svc := w.svc
	w.run("Importing saved connections", func(ctx context.Context) error {
		data, err := io.ReadAll(io.LimitReader(r, maxImportFile))
		r.Close()
		if err != nil {
			return &app.UserError{What: "Cannot import the profiles", Why: err.Error(), Fix: "Choose another file.", Err: err}
		}
		list, err := svc.Profiles.Import(ctx, data)
		if err = w.notice(err); err != nil {
			return err
		}
		w.do(func() {
			w.profilesChanged("")
			w.showTab(tabProfiles)
			dialog.ShowInformation("Import", fmt.Sprintf("Imported %s.", countProfiles(len(list))), w.win)
		})
		return nil
	})
}

// showExport asks where to save the profiles with ids (all when none) and
// writes an export file there: no passwords, only the profiles.
func (w *Window) showExport(ids ...string) {
	svc := w.svc
	if svc == nil || svc.Profiles == nil {
		return
	}
	d := dialog.NewFileSave(func(wr fyne.URIWriteCloser, err error) {
		if err != nil {
			w.showError(err)
			return
		}
		if wr != nil {
			w.exportProfiles(wr, ids...)
		}
	}, w.win)
	d.SetFileName("iapdesk-connections.json")
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// exportProfiles writes the export file to wr and closes it.
func (w *Window) exportProfiles(wr io.WriteCloser, ids ...string) {
	svc := w.svc
	w.run("Exporting saved connections", func(ctx context.Context) error {
		data, err := svc.Profiles.Export(ctx, ids...)
		if err == nil {
			_, err = wr.Write(data)
		}
		if cerr := wr.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return &app.UserError{What: "Cannot export the saved connections", Why: err.Error(),
				Fix: "Choose a folder you can write to and retry.", Err: err}
		}
		return nil
	})
}

func countProfiles(n int) string {
	if n == 1 {
		return "1 saved connection"
	}
	return fmt.Sprintf("%d saved connections", n)
}

// profileRow is one saved connection: protocol icon, name, and target. It
// selects on tap, connects on double-tap and opens the profile's menu on
// right-click.
type profileRow struct {
	widget.BaseWidget
	panel *profilesPanel
	index int
	p     app.Profile
	icon  *widget.Icon
	name  *widget.Label
	note  secondaryText
}

var (
	_ fyne.Tappable          = (*profileRow)(nil)
	_ fyne.SecondaryTappable = (*profileRow)(nil)
	_ fyne.DoubleTappable    = (*profileRow)(nil)
)

func newProfileRow(p *profilesPanel) *profileRow {
	r := &profileRow{panel: p, icon: widget.NewIcon(nil), name: widget.NewLabel(""), note: newSecondaryText(true)}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer lays the row out: icon, name, target.
func (r *profileRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, r.icon, nil,
		container.NewGridWithColumns(2, r.name, r.note)))
}

func (r *profileRow) set(i int, p app.Profile) {
	r.index, r.p = i, p
	r.name.SetText(p.Name)
	r.note.SetText(fmt.Sprintf("%s · %s:%d", p.Target, p.Protocol, p.Port()))
	r.icon.SetResource(profileIcon(p.Protocol))
}

// Tapped selects the row.
func (r *profileRow) Tapped(*fyne.PointEvent) { r.panel.list.Select(r.index) }

// DoubleTapped connects.
func (r *profileRow) DoubleTapped(*fyne.PointEvent) {
	r.panel.list.Select(r.index)
	r.panel.w.connectProfile(r.p)
}

// TappedSecondary selects the row and opens its menu.
func (r *profileRow) TappedSecondary(ev *fyne.PointEvent) {
	r.panel.list.Select(r.index)
	widget.ShowPopUpMenuAtPosition(r.panel.w.profileMenu(r.p), r.panel.w.win.Canvas(), ev.AbsolutePosition)
}
