package cli

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"iapdesk/app"
	"iapdesk/app/demo"
	"iapdesk/app/desk"
	"iapdesk/platform"
)

// runGUI is iapdesk without a verb: the window. --demo runs it against the
// demo world (app/demo: fakes of Google's APIs, a real SSH server), which
// never touches the user's accounts, keyring or settings. The hidden
// --demo-script=screenshot sets the window up for make screenshot and
// prints "iapdesk: ready for a screenshot" on stdout. link, if not nil, is
// opened once signed in.
func (e *env) runGUI(ctx context.Context, args []string, link *app.IAPRDPURL) error {
	fs := flag.NewFlagSet("iapdesk", flag.ContinueOnError)
	fs.SetOutput(e.stdio.Err)
	demoMode := fs.Bool("demo", false, "run against a demo organisation")
	script := fs.String("demo-script", "", "`screenshot`: expand the tree and open a context menu")
	fs.Usage = func() { e.usage(e.stdio.Err) }
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 || (*script != "" && *script != "screenshot") || e.gui == nil {
		fs.Usage()
		return errUsage
	}
	// The window's log goes to stderr; IAPDESK_VERBOSITY=info or debug
	// shows more than warnings.
	level, err := logLevel(cmp.Or(os.Getenv("IAPDESK_VERBOSITY"), "warning"), false)
	if err != nil {
		return fmt.Errorf("IAPDESK_VERBOSITY: %w", err)
	}
	log := slog.New(slog.NewTextHandler(e.stdio.Err, &slog.HandlerOptions{Level: level}))
	w := Window{Link: link, Logger: log}
	if *demoMode || *script != "" {
		world, err := demo.Start(ctx, demo.Config{Events: e.gui.Events(), Logger: log})
		if err != nil {
			return err
		}
		defer world.Close()
		w.Title, w.Desk = "iapdesk — demo", world.Desk
		if *script != "" {
			w.Script = &Script{Select: demo.WindowsVM, Tunnel: demo.LinuxVM,
				Ready: func() { fmt.Fprintln(e.stdio.Out, "iapdesk: ready for a screenshot") }}
		}
	} else if w.Desk, err = desk.New(desk.Options{OpenURL: platform.OpenURL, Events: e.gui.Events(), Logger: log}); err != nil {
		return err
	}
	return e.gui.Show(ctx, w)
}

// runLink is `iapdesk [--demo] 'iap-rdp:///PROJECT/ZONE/VM?username=…'`, IAP
// Desktop's links (the scheme handler the packages register): the window,
// which connects to the VM once signed in. A malformed link fails here,
// before any window opens, with what is wrong and an example.
func (e *env) runLink(ctx context.Context, args []string) error {
	u, err := app.ParseIAPRDPURL(args[len(args)-1])
	if err != nil {
		return err
	}
	return e.runGUI(ctx, args[:len(args)-1], &u)
}
