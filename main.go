// Command iapdesk reaches Compute Engine VMs without public IPs through
// Identity-Aware Proxy TCP forwarding: a desktop app, and headless commands
// that drop into scripts (`iapdesk tunnel`, gcloud's flags).
//
// main only starts the command line (internal/cli) and gives it the
// window (views); the app objects are built in app/desk.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	fyneapp "fyne.io/fyne/v2/app"

	"iapdesk/app"
	"iapdesk/app/desk"
	"iapdesk/internal/cli"
	"iapdesk/platform"
	"iapdesk/views"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], app.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, &window{})
	stop()
	os.Exit(code)
}

// window is the desktop window, shown for `iapdesk [--demo] [link]`.
type window struct{ hub views.Hub }

var _ cli.GUI = (*window)(nil)

// Events routes the app's change callbacks to the window.
func (g *window) Events() desk.Events {
	return desk.Events{ExplorerChanged: g.hub.ExplorerChanged, TunnelsChanged: g.hub.TunnelsChanged,
		SessionEnded: g.hub.SessionEnded, SignInURL: g.hub.SignInURL}
}

// Show runs the window until it is closed or ctx ends. After each sign-in
// it opens the services on the new credentials.
func (g *window) Show(ctx context.Context, w cli.Window) error {
	cfg := views.Config{App: fyneapp.NewWithID("io.github.iapdesk"), Title: w.Title, Hub: &g.hub, Logger: w.Logger,
		Link: w.Link, Accounts: w.Desk.Accounts(), State: w.Desk.WindowState(), NoTray: !platform.SystemTrayAvailable(), Start: func(ctx context.Context) (*views.Services, error) {
			s, err := w.Desk.Open(ctx)
			if err != nil {
				return nil, err
			}
			vs := &views.Services{Explorer: s.Explorer, Tunnels: s.Tunnels, Connector: s.Connector,
				Projects: s.ProjectSearch, Credentials: s.Credentials, Profiles: s.Profiles,
				WindowsCredentials: s.WindowsCredentials, Close: s.Close, SSH: s.SSHClients,
				Network: views.NetworkInfo{DeviceCertificate: s.Network.DeviceCertificate, Proxy: s.Network.Proxy,
					CertificateUsed: s.Dialer.ClientCertificateUsed},
				Gateway: s.Gateway, Tray: s.Tray}
			if s.SSHConfig != nil { // no typed nil in the interface
				vs.SSHConfig = s.SSHConfig
			}
			return vs, nil
		}}
	if s := w.Script; s != nil {
		cfg.Script = &views.Script{Select: s.Select, Menu: s.Menu, Tunnel: s.Tunnel, Ready: s.Ready,
			Filter: s.Filter, Profile: s.Profile, Stall: s.Stall, Terminal: s.Terminal, Files: s.Files, TerminalColour: s.TerminalColour}
		for _, st := range s.TerminalSteps {
			cfg.Script.TerminalSteps = append(cfg.Script.TerminalSteps, views.TerminalStep{Input: st[0], Wait: st[1]})
		}
	}
	if prefs, err := w.Desk.Preferences(); err == nil {
		cfg.Preferences = prefs
	}
	win, err := views.New(cfg)
	if err != nil {
		return err
	}
	return win.ShowAndRun(ctx)
}
