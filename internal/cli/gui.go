package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

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
	fs := newFlagSet("iapdesk", topUsage)
	demoMode := fs.Bool("demo", false, "run against a demo organisation")
	script := fs.String("demo-script", "", "`MODE` of the demo window for make screenshot: "+strings.Join(scriptModes, ", "))
	fs.hide("demo-script")
	pos, err := fs.parse(args)
	if errors.Is(err, errHelp) {
		e.usage(e.stdio.Out)
		return err
	}
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return fs.fail("unknown command %q", pos[0])
	case *script != "" && !slices.Contains(scriptModes, *script):
		return fs.fail("--demo-script %q: want one of %s", *script, strings.Join(scriptModes, ", "))
	case e.gui == nil:
		return fs.fail("missing COMMAND (this build has no window)")
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
			w.Script = demoScript(world, *script, func() { fmt.Fprintln(e.stdio.Out, "iapdesk: ready for a screenshot") })
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
