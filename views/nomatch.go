package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// noMatchNote covers the project tree when the filter leaves no VM: it
// says so, naming the search, and offers to clear the filter. UI thread
// only.
type noMatchNote struct {
	text  *widget.Label
	clear *widget.Button
	root  *fyne.Container
}

func newNoMatchNote(clear func()) *noMatchNote {
	n := &noMatchNote{text: widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})}
	n.text.Wrapping = fyne.TextWrapWord
	n.clear = widget.NewButtonWithIcon("Clear filter", theme.ContentClearIcon(), clear)
	hint := widget.NewLabel("Press Escape in the search box, or clear the filter, to see every VM again.")
	hint.Wrapping = fyne.TextWrapWord
	hint.Alignment = fyne.TextAlignCenter
	n.root = container.NewCenter(container.NewGridWrap(fyne.NewSize(360, 160),
		container.NewVBox(n.text, hint, container.NewCenter(n.clear))))
	n.root.Hide()
	return n
}

// show shows the note for f when nothing matches, and hides it otherwise.
func (n *noMatchNote) show(f app.Filter, nothing bool) {
	if !nothing {
		n.root.Hide()
		return
	}
	n.text.SetText(noMatchText(f))
	n.root.Show()
}

// noMatchText says which filter matched nothing: `No VM matches "web"`,
// "No running Windows VM".
func noMatchText(f app.Filter) string {
	vm := "VM"
	switch f.OS {
	case app.OSWindows:
		vm = "Windows VM"
	case app.OSLinux:
		vm = "Linux VM"
	}
	if f.RunningOnly {
		vm = "running " + vm
	}
	if f.Text == "" {
		return "No " + vm + " to show"
	}
	return "No " + vm + " matches “" + f.Text + "”"
}

// clearFilter empties the search box and resets the OS and running
// filters.
func (w *Window) clearFilter() {
	w.toolbar.search.SetText("")
	w.toolbar.os.SetSelectedIndex(0)
	w.toolbar.running.SetChecked(false)
}
