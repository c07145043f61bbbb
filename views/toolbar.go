package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// OS filter choices, in the order shown.
var osChoices = []struct {
	label string
	os    app.OS
}{
	{"All systems", app.OSAny},
	{"Windows", app.OSWindows},
	{"Linux", app.OSLinux},
}

// toolbar: add project, refresh, search, OS filter, running only. Each
// control forwards to the explorer's Filter; it keeps no state of its own.
type toolbar struct {
	add, refresh *widget.Button
	search       *searchEntry
	os           *widget.Select
	running      *widget.Check
	root         fyne.CanvasObject
}

func newToolbar(onAdd, onRefresh func(), onFilter func(func(*app.Filter))) *toolbar {
	tb := &toolbar{
		add:     widget.NewButtonWithIcon("Add project", theme.ContentAddIcon(), onAdd),
		refresh: widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), onRefresh),
		search:  newSearchEntry(onRefresh),
	}
	tb.search.SetPlaceHolder("Search name, label or IP (Ctrl+F)")
	tb.search.OnChanged = func(s string) { onFilter(func(f *app.Filter) { f.Text = s }) }
	labels := make([]string, len(osChoices))
	for i, c := range osChoices {
		labels[i] = c.label
	}
	tb.os = widget.NewSelect(labels, func(s string) {
		for _, c := range osChoices {
			if c.label == s {
				onFilter(func(f *app.Filter) { f.OS = c.os })
			}
		}
	})
	tb.os.SetSelectedIndex(0)
	tb.running = widget.NewCheck("Running only", func(on bool) { onFilter(func(f *app.Filter) { f.RunningOnly = on }) })
	left := container.NewHBox(tb.add, tb.refresh)
	right := container.NewHBox(tb.os, tb.running)
	tb.root = container.NewBorder(nil, nil, left, right, tb.search)
	return tb
}

// searchEntry is the filter box; F5 refreshes from it too, Escape clears it,
// and Down, Tab and Enter lead to the tree (keyboard.go).
type searchEntry struct {
	widget.Entry
	searchKeys
	refresh func()
	shift   bool // Shift is held (Shift+Tab)
}

func newSearchEntry(refresh func()) *searchEntry {
	e := &searchEntry{refresh: refresh}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey adds F5, Escape, Down, Tab and Enter to the entry's keys.
func (e *searchEntry) TypedKey(ev *fyne.KeyEvent) {
	if e.searchKey(ev) {
		return
	}
	switch ev.Name {
	case fyne.KeyF5:
		e.refresh()
	case fyne.KeyEscape:
		e.SetText("")
	default:
		e.Entry.TypedKey(ev)
	}
}

// setFilter shows f in the controls (restoring the last run's filter); each
// control's change reaches the explorer as when the user makes it.
func (tb *toolbar) setFilter(f app.Filter) {
	tb.search.SetText(f.Text)
	for i, c := range osChoices {
		if c.os == f.OS {
			tb.os.SetSelectedIndex(i)
		}
	}
	tb.running.SetChecked(f.RunningOnly)
}
