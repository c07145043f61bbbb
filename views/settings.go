package views

import (
	"context"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/app/settings"
)

// settingsEditor edits one settings level (a project, zone, VM or profile):
// one row per setting with its effective value, where that comes from
// ("inherited from project p", "default", "set here") and "Reset to
// inherited". It holds the level's own settings; settings.Rows computes
// everything shown. UI thread only.
type settingsEditor struct {
	level settings.Source
	below []settings.Layer           // the levels the edited one inherits from
	own   settings.Settings          // the edited level: what Save writes
	names map[settings.Source]string // "project p", "zone z", "VM v", "saved connection n"
	rows  map[string]*settingRow
	// updating is set while the editor itself changes a widget, so the
	// widget's change callback does not count as an edit.
	updating bool
	root     *fyne.Container
}

// settingRow is one setting's widgets.
type settingRow struct {
	field  settings.Field
	entry  *widget.Entry  // FieldString, FieldInt without fixed values
	check  *widget.Check  // FieldBool
	choice *widget.Select // FieldChoice, FieldInt with fixed values
	source *widget.Label  // where the value comes from, or why typed text is refused
	reset  *widget.Button
	box    *fyne.Container
}

// newSettingsEditor builds an editor of the level among layers (the
// connection's levels, as Profiles.Layers returns them).
func newSettingsEditor(layers []settings.Layer, level settings.Source, names map[settings.Source]string) *settingsEditor {
	e := &settingsEditor{level: level, names: names, rows: map[string]*settingRow{}, root: container.NewVBox()}
	e.own = levelSettings(layers, level)
	e.setLayers(layers)
	group := ""
	for _, f := range settings.Fields() {
		if f.Group != group {
			group = f.Group
			e.root.Add(widget.NewLabelWithStyle(group, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		}
		r := e.newRow(f)
		e.rows[f.Key] = r
		e.root.Add(r.box)
	}
	e.refresh()
	return e
}

// setLayers replaces the levels the edited one inherits from (after the
// target changed, in the profile dialog), keeping its own values.
func (e *settingsEditor) setLayers(layers []settings.Layer) {
	e.below = nil
	for _, l := range layers {
		if l.Source < e.level {
			e.below = append(e.below, l)
		}
	}
}

// showGroups shows only the rows of the given groups ("General", "Remote
// Desktop", …); none shows every group.
func (e *settingsEditor) showGroups(groups ...string) {
	show := map[string]bool{}
	for _, g := range groups {
		show[g] = true
	}
	for _, o := range e.root.Objects {
		if l, ok := o.(*widget.Label); ok {
			group := l.Text
			if len(groups) == 0 || show[group] {
				l.Show()
			} else {
				l.Hide()
			}
		}
	}
	for _, r := range e.rows {
		if len(groups) == 0 || show[r.field.Group] {
			r.box.Show()
		} else {
			r.box.Hide()
		}
	}
	e.root.Refresh()
}

func (e *settingsEditor) newRow(f settings.Field) *settingRow {
	r := &settingRow{field: f, source: widget.NewLabel("")}
	r.source.Wrapping = fyne.TextWrapWord // the whole source, on two lines if need be
	r.reset = widget.NewButtonWithIcon("Reset to inherited", theme.ContentUndoIcon(), func() {
		_ = e.own.ResetField(f.Key) // the key comes from app.Fields
		e.refresh()
	})
	var value fyne.CanvasObject
	switch {
	case f.Kind == settings.FieldBool:
		r.check = widget.NewCheck("", func(on bool) { e.edit(r, strconv.FormatBool(on)) })
		value = r.check
	case f.Kind == settings.FieldChoice || len(f.Choices) > 0:
		shown := make([]string, len(f.Choices))
		for i, c := range f.Choices {
			shown[i] = choiceLabel(f, c)
		}
		r.choice = widget.NewSelect(shown, func(v string) { e.edit(r, choiceValue(f, v)) })
		value = r.choice
	default:
		r.entry = widget.NewEntry()
		if f.Zero != "" {
			// 0 shows as what it means; emptying the entry sets 0.
			r.entry.SetPlaceHolder(f.Zero)
		}
		r.entry.OnChanged = func(s string) {
			if f.Zero != "" && s == "" {
				s = "0"
			}
			e.edit(r, s)
		}
		value = r.entry
	}
	label := widget.NewLabel(f.Label)
	label.Truncation = fyne.TextTruncateEllipsis
	help := widget.NewLabel(f.Help)
	help.Wrapping = fyne.TextWrapWord
	help.Importance = widget.LowImportance
	help.SizeName = theme.SizeNameCaptionText
	right := container.NewHBox(container.New(&widthLayout{width: 260}, r.source), r.reset)
	line := container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(150, label.MinSize().Height), label), right, value)
	r.box = container.NewVBox(line, help)
	return r
}

// edit sets a field from its widget. Text app refuses is left out, and
// the source column says why until it is corrected.
func (e *settingsEditor) edit(r *settingRow, value string) {
	if e.updating {
		return
	}
	if err := e.own.SetField(r.field.Key, value); err != nil {
		r.source.Importance = widget.DangerImportance
		r.source.SetText(err.Error())
		return
	}
	e.refreshSources()
}

// refresh shows every row's value and source.
func (e *settingsEditor) refresh() {
	e.updating = true
	defer func() { e.updating = false }()
	for _, row := range settings.Rows(e.layers(), e.level) {
		r := e.rows[row.Key]
		switch {
		case r.check != nil:
			r.check.SetChecked(row.Value == "true")
		case r.choice != nil:
			r.choice.SetSelected(choiceLabel(r.field, row.Value))
		case r.field.Zero != "" && row.Value == "0":
			r.entry.SetText("") // the placeholder says what 0 means
		default:
			r.entry.SetText(row.Value)
		}
		e.showSource(r, row)
	}
}

// refreshSources updates sources and reset buttons only: an entry being
// typed in keeps its text and cursor.
func (e *settingsEditor) refreshSources() {
	for _, row := range settings.Rows(e.layers(), e.level) {
		e.showSource(e.rows[row.Key], row)
	}
}

func (e *settingsEditor) showSource(r *settingRow, row settings.Row) {
	r.source.Importance = widget.LowImportance
	r.source.SetText(e.sourceText(row))
	if row.Local {
		r.reset.Enable()
	} else {
		r.reset.Disable()
	}
}

// choiceLabel is how a choice shows: what 0 means rather than 0.
func choiceLabel(f settings.Field, v string) string {
	if f.Zero != "" && v == "0" {
		return f.Zero
	}
	return v
}

// choiceValue is the value of a choice's label (choiceLabel's inverse).
func choiceValue(f settings.Field, label string) string {
	if f.Zero != "" && label == f.Zero {
		return "0"
	}
	return label
}

// widthLayout gives its one child a fixed width and the height its wrapped
// text needs at that width.
type widthLayout struct{ width float32 }

// Layout gives the child all the space.
func (l *widthLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// MinSize is the width, and the child's height at that width.
func (l *widthLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, measureHeight(o, l.width))
	}
	return fyne.NewSize(l.width, h)
}

// sourceText says where a row's value comes from.
func (e *settingsEditor) sourceText(row settings.Row) string {
	switch {
	case row.Local:
		return "set here"
	case row.Source == settings.SourceDefault:
		return "default"
	}
	if n := e.names[row.Source]; n != "" {
		return "inherited from " + n
	}
	return "inherited from the " + row.Source.String()
}

func (e *settingsEditor) layers() []settings.Layer {
	return append(append([]settings.Layer{}, e.below...), settings.Layer{Source: e.level, Settings: e.own})
}

// levelNames names the levels of ref for the source column.
func levelNames(ref app.InstanceRef, profile string) map[settings.Source]string {
	m := map[settings.Source]string{settings.SourceProject: "project " + ref.Project}
	if ref.Zone != "" {
		m[settings.SourceZone] = "zone " + ref.Zone
	}
	if ref.Name != "" {
		m[settings.SourceInstance] = "VM " + ref.Name
	}
	if profile != "" {
		m[settings.SourceProfile] = "saved connection " + profile
	}
	return m
}

// settingsLevel says which level a settings dialog edits: a project, zone
// or VM scope, or a saved profile.
type settingsLevel struct {
	scope   settings.Scope // Source SourceProject, SourceZone or SourceInstance; or
	profile app.Profile    // a profile (ID set)
}

func (l settingsLevel) source() settings.Source {
	if l.profile.ID != "" {
		return settings.SourceProfile
	}
	return l.scope.Source
}

// ref is the VM whose levels the dialog shows (only the project, or the
// project and zone, for those levels).
func (l settingsLevel) ref() app.InstanceRef {
	if l.profile.ID != "" {
		return l.profile.Target.InstanceRef()
	}
	return app.InstanceRef{Project: l.scope.Project, Zone: l.scope.Zone, Name: l.scope.Instance}
}

func (l settingsLevel) title() string {
	switch {
	case l.profile.ID != "":
		return "Settings of " + l.profile.Name
	case l.scope.Source == settings.SourceZone:
		return "Settings of zone " + l.scope.Zone
	case l.scope.Source == settings.SourceInstance:
		return "Settings of " + l.scope.Instance
	}
	return "Settings of project " + l.scope.Project
}

// showSettings is "Settings…" on a project, zone, VM or saved connection:
// it loads the levels, then opens the dialog.
func (w *Window) showSettings(l settingsLevel) {
	svc := w.svc
	if svc == nil || svc.Profiles == nil {
		return
	}
	w.run("Loading settings", func(ctx context.Context) error {
		layers, err := svc.Profiles.Layers(ctx, l.ref(), l.profile.ID)
		if err != nil {
			return err
		}
		w.do(func() { w.showSettingsDialog(svc, l, layers) })
		return nil
	})
}

// showSettingsDialog edits one level; Save writes it (Profiles.SaveSettings,
// or Profiles.Update for a profile).
func (w *Window) showSettingsDialog(svc *Services, l settingsLevel, layers []settings.Layer) {
	ed := newSettingsEditor(layers, l.source(), levelNames(l.ref(), l.profile.Name))
	intro := widget.NewLabel("Each setting shows its value and where it comes from. A value set here applies to everything below this level " +
		"(project → zone → VM → saved connection); \"Reset to inherited\" takes the value from the level above again.")
	intro.Wrapping = fyne.TextWrapWord
	body := container.NewBorder(intro, nil, nil, nil, container.NewVScroll(ed.root))
	d := dialog.NewCustomConfirm(l.title(), "Save", "Cancel", body, func(ok bool) {
		if !ok {
			return
		}
		own := ed.own
		w.run("Saving settings", func(ctx context.Context) error {
			if l.profile.ID == "" {
				return w.notice(svc.Profiles.SaveSettings(ctx, l.scope, own))
			}
			p, err := svc.Profiles.Get(ctx, l.profile.ID)
			if err == nil {
				p.Settings = own
				err = w.notice(svc.Profiles.Update(ctx, p))
			}
			w.do(w.reloadProfiles)
			return err
		})
	}, w.win)
	d.Resize(w.largeDialogSize()) // the settings get the dialog's space
	d.Show()
	w.openSettings = ed
}
