package views

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"iapdesk/app"
	"iapdesk/app/desk"
	"iapdesk/app/gcetest"
	"iapdesk/auth"
	"iapdesk/auth/authtest"
	"iapdesk/platform/systest"
	"iapdesk/tunnel/relaytest"
	"iapdesk/views/terminal"
)

// sshTabVM is the VM whose port 22 reaches a real sshd through the relay.
var sshTabVM = app.Instance{InstanceRef: app.InstanceRef{Project: "tab-project", Zone: "us-east1-b", Name: "vm-tab"}, ID: 5151, Status: "RUNNING", OS: app.OSLinux}

// sshServices are iapdesk's services from the composition root, over a
// real sshd behind the fake relay; extra lines go to sshd_config.
func sshServices(t *testing.T, extra ...string) (*desk.Services, *systest.SSHD) {
	t.Helper()
	const token = "tab-e2e-token"
	g, err := gcetest.NewServer(gcetest.Config{AccessToken: token, Projects: []gcetest.Project{{ID: sshTabVM.Project,
		Instances: []gcetest.Instance{{Name: sshTabVM.Name, Zone: sshTabVM.Zone, OS: gcetest.Linux, ID: sshTabVM.ID}}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	sshd := systest.StartSSHD(t, systest.SSHDConfig{Extra: extra})
	relay := relaytest.NewServer(relaytest.Config{CheckToken: func(tok string) bool { return tok == token }})
	t.Cleanup(relay.Close)
	relay.Route(relaytest.VM(sshTabVM.Project, sshTabVM.Zone, sshTabVM.Name, 22), sshd.Addr)
	d, err := desk.New(desk.Options{Auth: auth.Config{AccessTokenFile: tokenFile}, ConfigDir: filepath.Join(dir, "config"),
		Secrets: authtest.NewMemStore(), ComputeURL: g.URL + "/compute/v1/", OSLoginURL: g.URL + "/", ResourceManagerURL: g.URL + "/",
		RelayURL: relay.URL, SSH: app.SSHParams{StrictHostKeyChecking: "accept-new"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := d.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return svc, sshd
}

// until runs the window's UI work until ok holds.
func (tw *testWorld) until(what string, ok func() bool) {
	tw.t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	// The terminal's screen changes off the UI loop (the session's output
	// goes to the model directly), so no loop work may follow the change
	// ok waits for: look again now and then as well.
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for !ok() {
		if tw.loop.runQueued() {
			continue
		}
		select {
		case <-tw.loop.wake:
		case <-poll.C:
		case <-timeout.C:
			tw.t.Fatalf("waiting for %s", what)
		}
	}
}

// screenText is the terminal's screen, lines joined.
func screenText(m *terminal.Model) string {
	var s terminal.Snapshot
	m.Snapshot(&s)
	var b strings.Builder
	for _, row := range s.Cells {
		for _, c := range row {
			if c.Text == "" && c.Width != 0 {
				b.WriteByte(' ')
			}
			b.WriteString(c.Text)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// typeText types into the terminal widget as the keyboard does.
func typeText(term *terminal.Terminal, s string) {
	for _, r := range s {
		if r == '\n' {
			term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
			continue
		}
		term.TypedRune(r)
	}
}

// TestE2ETerminalTab: Connect with ssh.client=embedded opens a tab in the
// window beside the details; typing in the widget runs commands on the VM
// through the tunnel; the program's title (OSC 2) names the tab after the
// VM; a smaller font fits more columns and the shell learns the new size;
// Ctrl+Shift+C copies the selection; closing the tab ends the session
// quietly and releases the connection.
func TestE2ETerminalTab(t *testing.T) {
	svc, sshd := sshServices(t)
	tw := newTestWorldWith(t, Config{}, func(tw *testWorld) { tw.svc.SSH = svc.SSHClients })
	req := app.Request{Instance: sshTabVM, Protocol: app.ProtocolSSH, Port: 22,
		SSH: app.SSHParams{Username: sshd.User, KeyFile: sshd.ClientKey, StrictHostKeyChecking: "accept-new", Embedded: true}}
	tab := tw.w.sessions.openSSH(req)
	tab.term.Resize(fyne.NewSize(800, 400))
	tw.until("the shell", func() bool { return tab.shell != nil })
	if got := tw.w.sessions.root.Selected(); got != tab.item || len(tw.w.sessions.root.Items) != 2 {
		t.Fatalf("tabs = %d, selected %v, want Details and the VM's tab, selected", len(tw.w.sessions.root.Items), got.Text)
	}
	typeText(tab.term, "printf '\\033]2;%s\\007' tab-title; echo TYPED-$((6*7))\n")
	tw.until("the command's output", func() bool { return strings.Contains(screenText(tab.model), "TYPED-42") })
	tw.until("the title", func() bool { return tab.item.Text == "vm-tab: tab-title" })

	cols, _ := tab.model.Size()
	tab.term.SetFontSize(tab.term.FontSize() - 4)
	wider, _ := tab.model.Size()
	if wider <= cols {
		t.Fatalf("after a smaller font: %d columns, want more than %d", wider, cols)
	}
	typeText(tab.term, "echo COLS=$(tput cols)\n")
	tw.until("the new width on the VM", func() bool { return strings.Contains(screenText(tab.model), "COLS="+strconv.Itoa(wider)) })

	tab.model.Select(terminal.Region{StartX: 0, StartY: 0, EndX: 200, EndY: 0, Active: true})
	tab.term.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyC, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift})
	if got := tw.w.cfg.App.Clipboard().Content(); got == "" {
		t.Errorf("Ctrl+Shift+C copied nothing")
	}

	// The main menu's Ctrl+R (Refresh) typed in the terminal is bash's
	// history search, not a reload of the explorer.
	tw.w.win.Canvas().Focus(tab.term)
	tab.term.KeyDown(&fyne.KeyEvent{Name: desktop.KeyControlLeft})
	tab.term.KeyDown(&fyne.KeyEvent{Name: fyne.KeyR})
	refreshed := false
	tw.w.unlessTerminal(fyne.KeyR, func() { refreshed = true })()
	tab.term.KeyUp(&fyne.KeyEvent{Name: fyne.KeyR})
	tab.term.KeyUp(&fyne.KeyEvent{Name: desktop.KeyControlLeft})
	tw.until("bash's reverse search", func() bool { return strings.Contains(screenText(tab.model), "reverse-i-search") })
	if refreshed {
		t.Error("Ctrl+R in the terminal ran the menu's Refresh")
	}
	typeText(tab.term, "\x07") // Ctrl+G leaves the search

	tw.w.sessions.close(tab.item)
	tw.until("the connection to close", func() bool { return len(svc.SSHClients.List()) == 0 })
	if len(tw.w.sessions.root.Items) != 1 {
		t.Errorf("tabs after closing = %d, want the details alone", len(tw.w.sessions.root.Items))
	}
}

// TestE2ETerminalTabPassword: a user without a key is asked for the
// password inside the tab, as ssh asks in a terminal; the answer is not
// echoed, saving it in the keyring is offered, and the next tab logs in
// with the saved password without asking.
func TestE2ETerminalTabPassword(t *testing.T) {
	const password = "Tab-Passw0rd-e2e"
	user := systest.CreateUser(t, password)
	svc, _ := sshServices(t, "Match User "+user, "  PasswordAuthentication yes", "  KbdInteractiveAuthentication yes")
	tw := newTestWorldWith(t, Config{}, func(tw *testWorld) { tw.svc.SSH = svc.SSHClients })
	req := app.Request{Instance: sshTabVM, Protocol: app.ProtocolSSH, Port: 22,
		SSH: app.SSHParams{Username: user, StrictHostKeyChecking: "accept-new", Embedded: true}}
	tab := tw.w.sessions.openSSH(req)
	tw.until("the password prompt", func() bool { return strings.Contains(screenText(tab.model), "password:") })
	typeText(tab.term, password+"\n")
	tw.until("the save question", func() bool { return strings.Contains(screenText(tab.model), "Save this password") })
	if strings.Contains(screenText(tab.model), password) {
		t.Fatal("the password was echoed")
	}
	typeText(tab.term, "y\n")
	// The user's shell is nologin: the login succeeds, then the session
	// ends at once.
	tw.until("the login", func() bool { return !tab.running })
	if pw, ok, err := svc.Passwords.SSHPassword(context.Background(), app.SSHPasswordSecret(sshTabVM.InstanceRef, user)); err != nil || !ok || string(pw) != password {
		t.Fatalf("saved password: ok %v, err %v", ok, err)
	}
	second := tw.w.sessions.openSSH(req)
	tw.until("the second login", func() bool { return !second.running })
	if strings.Contains(screenText(second.model), "password:") {
		t.Errorf("the second tab asked for the password again:\n%s", screenText(second.model))
	}
}
