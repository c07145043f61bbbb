package views

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/app/gcetest"
	"iapdesk/app/settings"
)

// canvasTexts collects the labels of the window's content and overlays.
func (tw *testWorld) canvasTexts() []string {
	c := tw.w.win.Canvas()
	out := texts(c.Content())
	for _, o := range c.Overlays().List() {
		out = append(out, texts(o)...)
	}
	return out
}

// entryIn returns the first entry under o.
func entryIn(t *testing.T, o fyne.CanvasObject) *widget.Entry {
	t.Helper()
	for _, c := range objects(o) {
		if e, ok := c.(*widget.Entry); ok {
			return e
		}
	}
	t.Fatal("no entry")
	return nil
}

// TestGenerateCredentialsDialog: "Generate Windows credentials…" against
// gcetest's emulated guest agent. Success shows the agent's password once,
// with Copy, and closing saves it for the VM; a silent agent ends in app's
// timeout explanation, a failing one in the agent's message.
func TestGenerateCredentialsDialog(t *testing.T) {
	tests := []struct {
		name     string
		agent    gcetest.AgentMode
		wantText string // in the error dialog; "" for success
	}{
		{"success", gcetest.AgentReply, ""},
		{"silent agent", gcetest.AgentSilent, "did not answer within 2s"},
		{"agent error", gcetest.AgentFail, "guest agent reported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tw := newSavedWorld(t)
			if err := tw.gce.SetAgent(windowsVM.Project, windowsVM.Zone, windowsVM.Name, tc.agent); err != nil {
				t.Fatal(err)
			}
			tw.expand(windowsVM)
			test.TapSecondary(tw.row(t, app.InstanceNode(windowsVM)))
			tw.tapMenuItem(t, tw.w.instanceMenu(tw.instance(t, windowsVM)), "Generate Windows credentials…")
			tw.idle() // the settings load first
			form := tw.topOverlay(t)
			user := entryIn(t, form)
			if user.Text != app.LocalUsername() {
				t.Errorf("user name = %q, want the local user %q", user.Text, app.LocalUsername())
			}
			user.SetText(windowsVM.Name) // the VM's own name: refused
			if user.Validate() == nil {
				t.Errorf("the VM's name as user name validates, want app's refusal")
			}
			user.SetText("alice")
			test.Tap(button(t, form, "Generate"))
			tw.idle()
			got := strings.Join(texts(tw.topOverlay(t)), "\n")
			if tc.wantText != "" {
				if !strings.Contains(got, tc.wantText) {
					t.Errorf("error dialog says %q, want %q", got, tc.wantText)
				}
				return
			}
			u, ok := tw.gce.WindowsUser(windowsVM.Project, windowsVM.Zone, windowsVM.Name, "alice")
			if !ok || u.Password == "" {
				t.Fatalf("the agent created no account alice")
			}
			shown := 0
			for _, s := range tw.canvasTexts() {
				if s == u.Password {
					shown++
				}
			}
			if shown != 1 {
				t.Errorf("the password is shown %d times, want once", shown)
			}
			test.Tap(button(t, tw.topOverlay(t), "Copy"))
			if c := tw.w.cfg.App.Clipboard().Content(); c != u.Password {
				t.Errorf("clipboard after Copy does not hold the password")
			}
			test.Tap(button(t, tw.topOverlay(t), "Close"))
			tw.idle()
			if slices.Contains(tw.canvasTexts(), u.Password) {
				t.Errorf("the password is still on screen after Close")
			}
			if v, err := tw.secrets.Get(context.Background(), string(app.InstanceSecret(windowsVM))); err != nil || v != u.Password {
				t.Errorf("keyring holds %v for the VM, want the generated password", err)
			}
			req, err := tw.conn.policy.Prepare(context.Background(), app.Request{Instance: tw.instance(t, windowsVM)}, nil)
			if err != nil || req.RDP.Username != "alice" || string(req.RDP.Password) != u.Password {
				t.Errorf("next connect: user %q password saved %v (%v), want alice and the generated password", req.RDP.Username, req.RDP.Password != "", err)
			}
		})
	}
}

// TestGenerateCredentialsCancel: Cancel in the progress dialog stops the
// wait without an error dialog.
func TestGenerateCredentialsCancel(t *testing.T) {
	tw := newSavedWorld(t)
	if err := tw.gce.SetAgent(windowsVM.Project, windowsVM.Zone, windowsVM.Name, gcetest.AgentSilent); err != nil {
		t.Fatal(err)
	}
	tw.w.generateCredentials(tw.svc, app.WindowsCredentialRequest{Instance: windowsVM, Username: "bob"}, "")
	test.Tap(button(t, tw.topOverlay(t), "Cancel"))
	tw.idle()
	if o := tw.w.win.Canvas().Overlays().Top(); o != nil {
		t.Errorf("after Cancel an overlay is shown: %q", texts(o))
	}
}

// TestGenerateCredentialsPrefillsInheritedUser: the user name the dialog
// offers is the rdp.username setting the VM inherits (here from its
// project), not the local OS user's.
func TestGenerateCredentialsPrefillsInheritedUser(t *testing.T) {
	tw := newSavedWorld(t)
	s := settings.Settings{RDP: settings.RDPSettings{Username: settings.Some("projadmin")}}
	if err := tw.profiles.SaveSettings(context.Background(), settings.ProjectScope(windowsVM.Project), s); err != nil {
		t.Fatal(err)
	}
	tw.w.showGenerateCredentials(windowsVM, "")
	tw.idle()
	if user := entryIn(t, tw.topOverlay(t)); user.Text != "projadmin" {
		t.Errorf("user name = %q, want %q inherited from project %s", user.Text, "projadmin", windowsVM.Project)
	}
}
