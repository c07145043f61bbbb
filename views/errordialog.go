package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// userErrorView shows an *app.UserError as app wrote it, each part once:
// What as a heading, Why, Fix, and under "Details" only what the raw error
// adds to them (app.UserError.Details: codes, the server's own text).
// Views add no wording.
func userErrorView(err error) fyne.CanvasObject {
	ue := app.AsUserError(err)
	what := widget.NewLabelWithStyle(ue.What, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	what.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(what)
	if ue.Why != "" {
		why := widget.NewLabel(capitalise(ue.Why))
		why.Wrapping = fyne.TextWrapWord
		box.Add(why)
	}
	if ue.Fix != "" {
		fix := widget.NewLabel(ue.Fix)
		fix.Wrapping = fyne.TextWrapWord
		fix.Selectable = true
		box.Add(fix)
	}
	if d := ue.Details(); d != "" {
		details := widget.NewLabel(d)
		details.Wrapping = fyne.TextWrapWord
		details.Selectable = true
		details.Importance = widget.LowImportance
		box.Add(widget.NewAccordion(widget.NewAccordionItem("Details", details)))
	}
	return box
}

// showError shows err in a dialog. What is the body's wrapped heading, not
// the dialog's title as well: a title does not wrap, and would say it twice.
func (w *Window) showError(err error) {
	d := dialog.NewCustom("", "Close", container.NewVScroll(userErrorView(err)), w.win)
	d.Resize(fyne.NewSize(520, 300))
	d.Show()
}

// capitalise upper-cases the first letter: app writes Why as a clause that
// follows What ("…: the VM is TERMINATED"); on its own line it starts a
// sentence.
func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
