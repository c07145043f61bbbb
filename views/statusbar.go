package views

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/auth"
)

// statusBar shows the account, the number of open tunnels and the
// background work in progress. UI thread only.
type statusBar struct {
	account  *widget.Button
	tunnels  *widget.Label
	activity *widget.Activity
	working  *widget.Label
	network  *widget.Label // the device certificate, when there is one
	jobs     []string      // what is running, oldest first
	root     fyne.CanvasObject
}

func newStatusBar(onAccount func()) *statusBar {
	s := &statusBar{
		account:  widget.NewButtonWithIcon("Not signed in", theme.AccountIcon(), onAccount),
		tunnels:  widget.NewLabel("No tunnels"),
		activity: widget.NewActivity(),
		working:  widget.NewLabel(""),
		network:  widget.NewLabel(""),
	}
	s.account.Importance = widget.LowImportance
	s.activity.Hide()
	s.network.Hide()
	s.root = container.NewHBox(s.account, widget.NewSeparator(), s.tunnels, s.network, layout.NewSpacer(), s.working, s.activity)
	return s
}

// setCredentials shows the account in use: its email, else a description
// of the credentials (a token file, Application Default Credentials).
func (s *statusBar) setCredentials(d auth.Description) {
	switch {
	case d.Account != "":
		s.account.SetText(d.Account)
	case d.Kind != "":
		s.account.SetText(d.String())
	default:
		s.account.SetText("Not signed in")
	}
}

func (s *statusBar) setTunnels(n int) {
	switch n {
	case 0:
		s.tunnels.SetText("No tunnels")
	case 1:
		s.tunnels.SetText("1 tunnel")
	default:
		s.tunnels.SetText(fmt.Sprintf("%d tunnels", n))
	}
}

// begin records that what started; end that it finished.
func (s *statusBar) begin(what string) {
	s.jobs = append(s.jobs, what)
	s.show()
}

func (s *statusBar) end(what string) {
	for i, j := range s.jobs {
		if j == what {
			s.jobs = append(s.jobs[:i], s.jobs[i+1:]...)
			break
		}
	}
	s.show()
}

func (s *statusBar) show() {
	if len(s.jobs) == 0 {
		s.working.SetText("")
		s.activity.Stop()
		s.activity.Hide()
		return
	}
	text := s.jobs[len(s.jobs)-1] + "…"
	if n := len(s.jobs) - 1; n > 0 {
		text += fmt.Sprintf(" (+%d more)", n)
	}
	s.working.SetText(strings.TrimSpace(text))
	s.activity.Show()
	s.activity.Start()
}
