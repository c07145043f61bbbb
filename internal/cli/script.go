package cli

import "iapdesk/app/demo"

// scriptModes are the window set-ups of iapdesk --demo --demo-script=MODE,
// one per screenshot in the README (make screenshot).
var scriptModes = []string{"screenshot", "no-match", "saved", "reconnecting", "terminal", "sftp"}

// demoScript is the Script of mode in the demo world w; ready prints that
// the window is ready.
func demoScript(w *demo.World, mode string, ready func()) *Script {
	s := &Script{Ready: ready}
	switch mode {
	case "no-match":
		// A search for a VM nobody has: the explorer says so.
		s.Filter = "oracle"
	case "saved":
		s.Profile = demo.ProfileIISRDP
	case "reconnecting":
		s.Select, s.Tunnel, s.Stall = demo.LinuxVM, demo.LinuxVM, w.StallTunnel
	case "terminal":
		// top in colour (its 'z' key), refreshing once an hour so the
		// picture holds still.
		s.Terminal, s.TerminalColour = demo.LinuxVM, "z"
		s.TerminalSteps = [][2]string{{"top -d 3600\r", "load average"}}
	case "sftp":
		s.Terminal, s.Files = demo.LinuxVM, true
		s.TerminalSteps = [][2]string{{"ls -1 --color=always /etc | head -30; echo\r", "adduser.conf"}}
	default: // screenshot
		s.Select, s.Menu, s.Tunnel = demo.WindowsVM, true, demo.LinuxVM
	}
	return s
}
