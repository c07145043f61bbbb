package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"iapdesk/app"
	"iapdesk/app/desk"
	"iapdesk/platform"
)

// GUI is the desktop window, which main provides.
type GUI interface {
	// Events are the callbacks the window follows the services with
	// (views.Hub); Run builds the Desk with them before Show.
	Events() desk.Events
	// Show shows the window until it is closed or ctx ends.
	Show(ctx context.Context, w Window) error
}

// Window is what the window shows and works with.
type Window struct {
	Title string     // "" for the default
	Desk  *desk.Desk // opens the services after each sign-in
	// Link, if set, is an iap-rdp:/// link to connect once signed in.
	Link *app.IAPRDPURL
	// Script, if set, drives the window for a screenshot.
	Script *Script
	Logger *slog.Logger
}

// Script sets the window up for `make screenshot` (iapdesk --demo
// --demo-script=MODE): it opens a tunnel to Tunnel, then selects Select
// and opens its context menu, or does what Filter, Profile or Stall say
// instead, and calls Ready (which prints "iapdesk: ready for a
// screenshot").
type Script struct {
	Select, Tunnel app.InstanceRef
	Menu           bool // open Select's context menu
	Ready          func()
	// Filter, if set, is typed into the search box.
	Filter string
	// Profile, if set, is the saved connection to show in its tab.
	Profile string
	// Stall, if set, is called with the tunnel's local address: it makes
	// the tunnel's relay connection drop and its reconnect hang.
	Stall func(ctx context.Context, localAddr string) error
	// Terminal, if set, opens a terminal tab to this VM and types each
	// step's input, waiting for its text; Files shows the SFTP pane with
	// an upload part-way.
	Terminal      app.InstanceRef
	TerminalSteps [][2]string // input, text to wait for
	// TerminalColour, if set, is typed after the steps until the screen
	// shows colours (a key that toggles a program's colours).
	TerminalColour string
	Files          bool
}

// command is one `iapdesk VERB`: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

var commands = map[string]command{
	"version":    {"print version, commit and Go version", runVersion},
	"tunnel":     {"forward a local port (or stdin) to a VM through IAP, like gcloud start-iap-tunnel", runTunnel},
	"ssh":        {"ssh to a VM through IAP in this terminal, like gcloud compute ssh --tunnel-through-iap", runSSH},
	"rdp":        {"open the RDP client on a Windows VM through IAP", runRDP},
	"auth":       {"sign in, list, switch and revoke Google accounts; print an access token", runAuth},
	"gateway":    {"one local SOCKS5 and HTTP CONNECT proxy for every VM port (INSTANCE.ZONE.PROJECT:PORT)", runGateway},
	"ssh-config": {"write ~/.ssh/iapdesk.config: ssh, scp, rsync, Ansible… reach every VM through IAP", runSSHConfig},
	"scp":        {"copy files to or from a VM through IAP (SFTP in-process), like gcloud compute scp", runSCP},
}

// env is what a command runs with.
type env struct {
	stdio app.Stdio
	gui   GUI
}

// errUsage means the problem and the usage have been printed already.
var errUsage = errors.New("usage")

// Run runs the command line args (without the program name) on stdio and
// returns the exit status: 0, 1 for a failure, 2 for a usage error, or
// ssh's own status when ssh fails (as gcloud does). Without a verb, and
// for an iap-rdp link, it shows gui's window (nil: a usage error).
func Run(ctx context.Context, args []string, stdio app.Stdio, gui GUI) int {
	stdio = attachConsole(args, stdio)
	e := &env{stdio: stdio, gui: gui}
	name, err := "iapdesk", e.dispatch(ctx, args)
	if len(args) > 0 {
		if _, ok := commands[args[0]]; ok {
			name += " " + args[0]
		}
	}
	var ee *platform.ExitError
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		ue.print(stdio.Err)
		return 2
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, &ee) && ee.Program == "ssh" && ee.Code > 0:
		return ee.Code // ssh said why on stderr; keep its status, as gcloud does
	}
	e.printError(name, userError(err))
	return 1
}

func (e *env) dispatch(ctx context.Context, args []string) error {
	if n := len(args); n > 0 && app.IsIAPRDPURL(args[n-1]) && (n == 1 || strings.HasPrefix(args[0], "--demo")) {
		return e.runLink(ctx, args)
	}
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		e.usage(e.stdio.Out)
		return errHelp
	case len(args) > 0 && args[0] == "help":
		return e.runHelp(ctx, args[1:])
	case len(args) == 0 || strings.HasPrefix(args[0], "-"):
		return e.runGUI(ctx, args, nil)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return (&flagSet{cmd: "iapdesk", usage: topUsage}).fail("unknown command %q", args[0])
	}
	return cmd.run(ctx, e, args[1:])
}

// printError prints err on stderr after prefix. Error messages carry data
// from files and APIs (account e-mails, Google's messages), so they are
// escaped with app.TerminalSafe; a *cliError was escaped piece by piece
// already and keeps its line breaks.
func (e *env) printError(prefix string, err error) {
	msg := err.Error()
	var ce *cliError
	if !errors.As(err, &ce) {
		msg = app.TerminalSafe(msg)
	}
	fmt.Fprintln(e.stdio.Err, prefix+": "+msg)
}

// cliError is an error message laid out for the terminal over several
// lines, its data already escaped; err is the error it spells out.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// userError spells out an *app.UserError on the terminal: what, why, the
// fix and the raw error, one per line, each escaped (app.TerminalSafe):
// they quote e-mails and Google's messages. Other errors pass through.
func userError(err error) error {
	var ue *app.UserError
	if !errors.As(err, &ue) {
		return err
	}
	return &cliError{msg: ue.Terminal(), err: err}
}

// topUsage is the usage line of iapdesk itself.
const topUsage = `usage: iapdesk [--demo] [iap-rdp:///PROJECT/ZONE/VM]   the desktop app (--demo: a demo organisation, no account needed)
       iapdesk COMMAND [flags]                           (iapdesk COMMAND --help for its flags)`

// usage prints the usage line and the commands (iapdesk --help).
func (e *env) usage(w io.Writer) {
	fmt.Fprintln(w, topUsage)
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

// runHelp is `iapdesk help [COMMAND]`: the command's help, or the list of
// commands, on stdout.
func (e *env) runHelp(ctx context.Context, args []string) error {
	if len(args) == 0 {
		e.usage(e.stdio.Out)
		return errHelp
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return (&flagSet{cmd: "iapdesk help", usage: topUsage}).fail("unknown command %q", args[0])
	}
	return cmd.run(ctx, e, []string{"--help"})
}

const versionUsage = `usage: iapdesk version

Prints the version, the commit it was built from and the Go version.`

func runVersion(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("iapdesk version", versionUsage)
	pos, err := fs.parse(args)
	if err != nil {
		return e.flagError(fs, err)
	}
	if len(pos) > 0 {
		return fs.fail("takes no arguments")
	}
	fmt.Fprintln(e.stdio.Out, app.Build())
	return nil
}

// flagError handles what flagSet.parse returned: the help is printed on
// stdout (errHelp); a mistake is returned to be printed by Run.
func (e *env) flagError(fs *flagSet, err error) error {
	if errors.Is(err, errHelp) {
		fs.printHelp(e.stdio.Out)
	}
	return err
}

// attachConsole gives a Windows GUI build started from a shell that shell's
// console for everything but the window (a verb, --help, an unknown
// command), and puts the new streams into stdio where it held the
// process's own: AttachParentConsole replaces os.Stdout and the others,
// it does not change them.
func attachConsole(args []string, stdio app.Stdio) app.Stdio {
	if n := len(args); n == 0 || strings.HasPrefix(args[0], "--demo") || app.IsIAPRDPURL(args[n-1]) {
		return stdio
	}
	in, out, errw := os.Stdin, os.Stdout, os.Stderr
	platform.AttachParentConsole()
	if stdio.In == io.Reader(in) {
		stdio.In = os.Stdin
	}
	if stdio.Out == io.Writer(out) {
		stdio.Out = os.Stdout
	}
	if stdio.Err == io.Writer(errw) {
		stdio.Err = os.Stderr
	}
	return stdio
}
