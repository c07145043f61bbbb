package views

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/tunnel"
)

// TestErrorDialogShowsEachPartOnce: the error dialog shows app's What, Why
// and Fix once each, and its Details only what the raw error adds (the
// relay's close code), not the fix again.
func TestErrorDialogShowsEachPartOnce(t *testing.T) {
	ref := app.InstanceRef{Project: "proj", Zone: "europe-west4-a", Name: "vm-1"}
	target := tunnel.Target{Project: "proj", Zone: "europe-west4-a", Instance: "vm-1", Port: 22}
	tests := []struct {
		name    string
		err     error
		details string // "" for no Details section
	}{
		{"firewall", app.ConnectError(ref, 22, &tunnel.CloseError{Code: tunnel.CodeFailedToConnect, Target: target}),
			"relay closed the tunnel to proj/europe-west4-a/vm-1:22 with code 4003 (FAILED_TO_CONNECT_TO_BACKEND)"},
		{"denied with a reason", app.ConnectError(ref, 22, &tunnel.CloseError{Code: tunnel.CodeNotAuthorized, Reason: "denied by policy", Target: target}),
			"relay closed the tunnel to proj/europe-west4-a/vm-1:22 with code 4033 (NOT_AUTHORIZED)"},
		{"why is the whole error", &app.UserError{What: "Cannot export the saved connections", Why: "open /x: permission denied",
			Fix: "Choose a folder you can write to and retry.", Err: &testError{"open /x: permission denied"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := test.NewTempApp(t)
			win := a.NewWindow("iapdesk")
			win.Resize(fyne.NewSize(900, 700))
			w := &Window{win: win}
			w.showError(tc.err)
			dlg := win.Canvas().Overlays().Top()
			if dlg == nil {
				t.Fatal("showError showed no dialog")
			}
			if tc.details != "" {
				test.Tap(button(t, dlg, showDetails))
			}
			labels := texts(dlg)
			ue := app.AsUserError(tc.err)
			for _, part := range []struct{ name, text string }{{"What", ue.What}, {"Why", capitalise(ue.Why)}, {"Fix", ue.Fix}} {
				if n := countContaining(labels, part.text); n != 1 {
					t.Errorf("dialog labels %q: %s %q appears in %d labels, want 1", labels, part.name, part.text, n)
				}
			}
			got := ""
			for _, o := range objects(dlg) {
				if l, ok := o.(*widget.Label); ok && l.Selectable && l.Visible() && strings.HasPrefix(l.Text, "relay") {
					got = l.Text
				}
			}
			if got != tc.details {
				t.Errorf("Details = %q, want %q", got, tc.details)
			}
			if tc.details == "" && slices.ContainsFunc(objects(dlg), func(o fyne.CanvasObject) bool {
				b, ok := o.(*widget.Button)
				return ok && b.Text == showDetails
			}) {
				t.Error("the dialog offers details that add nothing")
			}
		})
	}
}

// countContaining counts the labels that contain s.
func countContaining(labels []string, s string) int {
	n := 0
	for _, l := range labels {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

type testError struct{ msg string }

func (e *testError) Error() string { return e.msg }

// TestErrorDialogLinks: a URL in app's fix is a link, with a button that
// copies it; the dialog's title is What and no label repeats it.
func TestErrorDialogLinks(t *testing.T) {
	a := test.NewTempApp(t)
	win := a.NewWindow("iapdesk")
	win.Resize(fyne.NewSize(900, 700))
	w := &Window{win: win, cfg: Config{App: a}}
	const url = "https://console.cloud.google.com/apis/library/compute.googleapis.com?project=p"
	w.showError(&app.UserError{What: "Cannot list VMs in project p", Why: "the Compute Engine API is not enabled in this project",
		Fix: "Enable the Compute Engine API: " + url})
	dlg := win.Canvas().Overlays().Top()
	var link *widget.HyperlinkSegment
	for _, o := range objects(dlg) {
		if rt, ok := o.(*widget.RichText); ok {
			for _, s := range rt.Segments {
				if h, ok := s.(*widget.HyperlinkSegment); ok {
					link = h
				}
			}
		}
	}
	if link == nil || link.URL == nil || link.URL.String() != url {
		t.Fatalf("the fix has link %+v, want %s as a link", link, url)
	}
	test.Tap(button(t, dlg, "Copy link"))
	if got := a.Clipboard().Content(); got != url {
		t.Errorf("Copy link put %q on the clipboard, want %q", got, url)
	}
	if n := countContaining(texts(dlg), "Cannot list VMs in project p"); n != 1 {
		t.Errorf("What shown %d times, want once (the title)", n)
	}
}

// TestConfirmNamesAction: a confirmation's buttons name the action and
// Cancel (not "Yes"/"No" or "OK"), and no icon is drawn over the message.
func TestConfirmNamesAction(t *testing.T) {
	a := test.NewTempApp(t)
	win := a.NewWindow("iapdesk")
	win.Resize(fyne.NewSize(900, 700))
	w := &Window{win: win, cfg: Config{App: a}}
	stopped := false
	w.confirm("Stop vm-1?", "The VM shuts down; connections to it end.", "Stop VM", func() { stopped = true })
	dlg := win.Canvas().Overlays().Top()
	for _, o := range objects(dlg) {
		if b, ok := o.(*widget.Button); ok && b.Text != "Stop VM" && b.Text != "Cancel" {
			t.Errorf("button %q, want only Stop VM and Cancel", b.Text)
		}
		// The buttons' own icons are small; a dialog icon (Fyne's
		// confirmation draws a big one behind the text) is not.
		if im, ok := o.(*canvas.Image); ok && im.Size().Height > 2*theme.IconInlineSize() {
			t.Errorf("the confirmation draws a %v icon over its message", im.Size())
		}
	}
	test.Tap(button(t, dlg, "Stop VM"))
	if !stopped {
		t.Error("Stop VM did not act")
	}
}
