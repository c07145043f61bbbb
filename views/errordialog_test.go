package views

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
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
			for _, o := range objects(dlg) {
				if acc, ok := o.(*widget.Accordion); ok {
					acc.OpenAll()
				}
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
				if acc, ok := o.(*widget.Accordion); ok && len(acc.Items) == 1 && acc.Items[0].Title == "Details" {
					got = acc.Items[0].Detail.(*widget.Label).Text
				}
			}
			if got != tc.details {
				t.Errorf("Details = %q, want %q", got, tc.details)
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
