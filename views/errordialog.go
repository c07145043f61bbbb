package views

import (
	"net/url"
	"regexp"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
)

// dialogWidth is the width of the message dialogs (errors, confirmations):
// wide enough for a gcloud command to wrap on two or three lines.
const dialogWidth = 560

// userErrorView shows an *app.UserError as app wrote it, each part once:
// What as a heading, then userErrorBody. For errors shown in a pane (a
// project's, the start screen's); a dialog has What as its title instead.
// Views add no wording.
func userErrorView(err error, clip clipboard) fyne.CanvasObject {
	ue := app.AsUserError(err)
	what := widget.NewLabelWithStyle(ue.What, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	what.Wrapping = fyne.TextWrapWord
	return container.NewVBox(what, userErrorBody(ue, clip, nil))
}

// clipboard is where Copy buttons put text: the app's clipboard.
type clipboard func(text string)

// userErrorBody shows Why, Fix (its URLs as links, each with a Copy
// button) and, behind "Show details", only what the raw error adds to them
// (app.UserError.Details): selectable, in the normal text colour, with its
// own Copy button. relayout, if set, is called after the details are shown
// or hidden (a dialog grows to fit them).
func userErrorBody(ue *app.UserError, clip clipboard, relayout func()) fyne.CanvasObject {
	box := container.NewVBox()
	if ue.Why != "" {
		box.Add(linkedText(capitalise(ue.Why), clip))
	}
	if ue.Fix != "" {
		box.Add(linkedText(ue.Fix, clip))
	}
	if d := ue.Details(); d != "" {
		details := widget.NewLabel(d)
		details.Wrapping = fyne.TextWrapWord
		details.Selectable = true
		copyBtn := widget.NewButtonWithIcon("Copy details", theme.ContentCopyIcon(), func() { clip(d) })
		copyBtn.Importance = widget.LowImportance
		shown := container.NewVBox(details, container.NewHBox(copyBtn))
		shown.Hide()
		var toggle *widget.Button
		toggle = widget.NewButtonWithIcon(showDetails, theme.MenuDropDownIcon(), func() {
			if shown.Visible() {
				shown.Hide()
				toggle.SetText(showDetails)
				toggle.SetIcon(theme.MenuDropDownIcon())
			} else {
				shown.Show()
				toggle.SetText(hideDetails)
				toggle.SetIcon(theme.MenuDropUpIcon())
			}
			box.Refresh()
			if relayout != nil {
				relayout()
			}
		})
		toggle.Importance = widget.LowImportance
		toggle.Alignment = widget.ButtonAlignLeading
		box.Add(container.NewHBox(toggle))
		box.Add(shown)
	}
	return box
}

// The Details toggle's texts.
const (
	showDetails = "Show details"
	hideDetails = "Hide details"
)

// urlPattern finds the web addresses app writes into fixes (the console
// page that enables an API, documentation).
var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:)]`)

// linkedText is text whose web addresses are links, with a "Copy link"
// button for each under it; text without one is a plain wrapped label,
// selectable so that commands in it can be copied.
func linkedText(text string, clip clipboard) fyne.CanvasObject {
	locs := urlPattern.FindAllStringIndex(text, -1)
	if len(locs) == 0 {
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		l.Selectable = true
		return l
	}
	var segs []widget.RichTextSegment
	var copies []fyne.CanvasObject
	at := 0
	for _, loc := range locs {
		if loc[0] > at {
			segs = append(segs, &widget.TextSegment{Text: text[at:loc[0]], Style: widget.RichTextStyleInline})
		}
		raw := text[loc[0]:loc[1]]
		u, err := url.Parse(raw)
		if err != nil {
			segs = append(segs, &widget.TextSegment{Text: raw, Style: widget.RichTextStyleInline})
		} else {
			segs = append(segs, &widget.HyperlinkSegment{Text: raw, URL: u})
			b := widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), func() { clip(raw) })
			b.Importance = widget.LowImportance
			copies = append(copies, b)
		}
		at = loc[1]
	}
	if at < len(text) {
		segs = append(segs, &widget.TextSegment{Text: text[at:], Style: widget.RichTextStyleInline})
	}
	rt := widget.NewRichText(segs...)
	rt.Wrapping = fyne.TextWrapWord
	return container.NewVBox(rt, container.NewHBox(copies...))
}

// richTextString is the text of a RichText, links included.
func richTextString(rt *widget.RichText) string {
	var b strings.Builder
	for _, s := range rt.Segments {
		b.WriteString(s.Textual())
	}
	return b.String()
}

// showError shows err in a dialog titled with What; the body says Why, Fix
// and the Details, each once, and the dialog is as tall as they need.
func (w *Window) showError(err error) {
	ue := app.AsUserError(err)
	var d *dialog.CustomDialog
	body := userErrorBody(ue, w.copyText, func() { d.Resize(d.MinSize()) })
	d = dialog.NewCustom(ue.What, "Close", fitWidth(body, dialogWidth, w.maxDialogHeight()), w.win)
	d.Show()
}

// copyText puts text on the clipboard.
func (w *Window) copyText(text string) {
	if w.cfg.App != nil {
		w.cfg.App.Clipboard().SetContent(text)
	}
}

// maxDialogHeight is the tallest a dialog's content may be: most of the
// window, which scrolls what does not fit.
func (w *Window) maxDialogHeight() float32 {
	h := w.win.Canvas().Size().Height
	if h <= 0 {
		return 600
	}
	return max(h*0.7, 200)
}

// confirm asks before an action: the buttons name it ("Stop VM" and
// "Cancel", not "Yes" and "No"), and no icon covers the message.
func (w *Window) confirm(title, message, action string, yes func()) {
	msg := widget.NewLabel(message)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, action, "Cancel", fitWidth(msg, dialogWidth, w.maxDialogHeight()), func(ok bool) {
		if ok {
			yes()
		}
	}, w.win)
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

// fitWidth lays o out at width and makes it as tall as its wrapped text
// needs, scrolling beyond maxHeight: a dialog sized to its content, with
// no tiny scroll box and no empty space.
func fitWidth(o fyne.CanvasObject, width, maxHeight float32) fyne.CanvasObject {
	return container.New(&fitLayout{width: width, maxHeight: maxHeight}, container.NewVScroll(o))
}

// fitLayout sizes its one child, a scroll around the content, to the
// content's height at the layout's width, up to maxHeight.
type fitLayout struct {
	width, maxHeight float32
}

var _ fyne.Layout = (*fitLayout)(nil)

// Layout gives the scroll the whole space.
func (l *fitLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

// MinSize is the content's height at the width (wrapped text measured
// after laying it out at that width), capped at maxHeight.
func (l *fitLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		content := o
		if s, ok := o.(*container.Scroll); ok {
			content = s.Content
		}
		h = max(h, measureHeight(content, l.width-theme.Padding()*2))
	}
	return fyne.NewSize(l.width, min(h, l.maxHeight))
}

// measureHeight is o's minimum height when laid out at width: wrapped
// labels know their height only once they have their width, so o is laid
// out twice at it first.
func measureHeight(o fyne.CanvasObject, width float32) float32 {
	for range 2 {
		o.Resize(fyne.NewSize(width, max(o.MinSize().Height, 1)))
		if c, ok := o.(*fyne.Container); ok && c.Layout != nil {
			c.Layout.Layout(c.Objects, c.Size())
		}
	}
	return o.MinSize().Height
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
