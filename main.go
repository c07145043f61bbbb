// Command iapdesk reaches Compute Engine VMs without public IPs through
// Identity-Aware Proxy TCP forwarding: a desktop app, and headless commands
// that drop into scripts (`iapdesk tunnel`, gcloud's flags).
//
// main only parses the command line and wires packages together.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	fyneapp "fyne.io/fyne/v2/app"
	"google.golang.org/api/option"

	"iapdesk/app"
	"iapdesk/app/demo"
	"iapdesk/auth"
	"iapdesk/platform"
	"iapdesk/tunnel"
	"iapdesk/views"
)

// command is one `iapdesk VERB`: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{
	"version": {"print version, commit and Go version", runVersion},
	"tunnel":  {"forward a local port (or stdin) to a VM through IAP, like gcloud start-iap-tunnel", runTunnel},
	"ssh":     {"ssh to a VM through IAP in this terminal, like gcloud compute ssh --tunnel-through-iap", runSSH},
	"rdp":     {"open the RDP client on a Windows VM through IAP", runRDP},
	"auth":    {"sign in, list, switch and revoke Google accounts; print an access token", runAuth},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(dispatch(ctx, os.Args[1:]))
}

func dispatch(ctx context.Context, args []string) int {
	if n := len(args); n > 0 && app.IsIAPRDPURL(args[n-1]) && (n == 1 || strings.HasPrefix(args[0], "--demo")) {
		if err := runLink(ctx, args); err != nil {
			if err == errUsage {
				return 2
			}
			printError("iapdesk", err)
			return 1
		}
		return 0
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "--demo") {
		if err := runGUI(ctx, args, nil); err != nil {
			if err == errUsage {
				return 2
			}
			printError("iapdesk", err)
			return 1
		}
		return 0
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(os.Stderr)
		return 2
	}
	cmd, ok := commands[args[0]]
	if ok {
		platform.AttachParentConsole() // Windows GUI build run from a shell
	}
	if !ok {
		fmt.Fprintf(os.Stderr, "iapdesk: unknown command %q\n\n", args[0])
		usage(os.Stderr)
		return 2
	}
	if err := cmd.run(ctx, args[1:]); err != nil {
		if err == errUsage {
			return 2
		}
		var ee *platform.ExitError
		if errors.As(err, &ee) && ee.Program == "ssh" && ee.Code > 0 {
			return ee.Code // ssh said why on stderr; keep its status, as gcloud does
		}
		printError("iapdesk "+args[0], err)
		return 1
	}
	return 0
}

// errUsage means the flag package has already printed the problem and usage.
var errUsage = fmt.Errorf("usage")

// printError prints err on stderr after prefix. Error messages carry data
// from files and APIs (account e-mails, Google's messages), so they are
// escaped with app.TerminalSafe; a *cliError was escaped piece by piece
// already and keeps its line breaks.
func printError(prefix string, err error) {
	msg := err.Error()
	var ce *cliError
	if !errors.As(err, &ce) {
		msg = app.TerminalSafe(msg)
	}
	fmt.Fprintln(os.Stderr, prefix+": "+msg)
}

// cliError is an error message laid out for the terminal over several
// lines, its data already escaped; err is the error it spells out.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: iapdesk [--demo]         the desktop app (--demo: a demo organisation, no account needed)")
	fmt.Fprintln(w, "       iapdesk COMMAND [flags]")
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

func runVersion(_ context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no arguments")
	}
	fmt.Println(app.Build())
	return nil
}

const authUsage = `usage: iapdesk auth VERB [flags] [ACCOUNT]

  list                              list signed-in accounts; * marks the active one
  login [--no-browser] [ACCOUNT]    sign in through the browser (ACCOUNT pre-selects it)
  switch ACCOUNT                    make ACCOUNT the active account
  revoke [--all] [ACCOUNT]          sign out ACCOUNT (default: the active one) and revoke its token
  print-access-token [ACCOUNT]      print an access token, and nothing else, on stdout

Without a signed-in account, headless commands use --access-token-file or
Application Default Credentials (gcloud auth application-default login).
Sign-ins are kept in the OS keyring; IAPDESK_KEYRING=memory keeps them in
memory only, until iapdesk exits.`

// runAuth is `iapdesk auth VERB`, gcloud's account verbs.
func runAuth(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(os.Stderr, authUsage)
		return errUsage
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("iapdesk auth "+verb, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprintln(os.Stderr, authUsage) }
	var noBrowser, all bool
	maxArgs := 1
	switch verb {
	case "login":
		fs.BoolVar(&noBrowser, "no-browser", false, "print the sign-in address instead of opening the browser")
	case "revoke":
		fs.BoolVar(&all, "all", false, "sign out every account")
	case "list":
		maxArgs = 0
	case "switch", "print-access-token":
	default:
		fmt.Fprintf(os.Stderr, "iapdesk auth: unknown verb %q\n\n%s\n", verb, authUsage)
		return errUsage
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > maxArgs || (verb == "switch" && fs.NArg() != 1) || (all && fs.NArg() > 0) {
		fs.Usage()
		return errUsage
	}
	account := fs.Arg(0)

	mgr, err := auth.New(auth.Config{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	openURL := platform.OpenURL
	if noBrowser {
		openURL = nil
	}
	uc, err := app.NewAccounts(app.AccountsConfig{
		SignIn: mgr, Directory: mgr, Credentials: mgr, Tokens: mgr,
		OpenURL: openURL,
		ShowURL: func(u string) {
			fmt.Fprintf(os.Stderr, "Sign in to Google in your browser. If none opens, open this address in a browser on this computer:\n\n    %s\n\n", app.TerminalSafe(u))
		},
	})
	if err != nil {
		return err
	}

	switch verb {
	case "list":
		accts, err := uc.List(ctx)
		if err != nil {
			return authCLIError(err)
		}
		if len(accts) == 0 {
			fmt.Fprintln(os.Stderr, "No signed-in accounts: sign in with `iapdesk auth login`. Until then iapdesk uses "+
				"--access-token-file or Application Default Credentials (`gcloud auth application-default login`).")
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACTIVE\tACCOUNT\tSTATUS")
		for _, a := range accts {
			mark, status := "", "signed in"
			if a.Active {
				mark = "*"
			}
			email := app.TerminalSafe(a.Email) // from accounts.json, which anyone may have edited
			if a.SignInRequired {
				status = "sign in again: iapdesk auth login " + email
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", mark, email, status)
		}
		return tw.Flush()
	case "login":
		if os.Getenv(auth.EnvKeyring) == "memory" {
			fmt.Fprintln(os.Stderr, "Note: IAPDESK_KEYRING=memory, so this sign-in ends when this command exits.")
		}
		acct, err := uc.SignIn(ctx, account)
		if err != nil {
			return authCLIError(err)
		}
		fmt.Fprintf(os.Stderr, "You are now signed in as %s (the active account).\n", app.TerminalSafe(acct.Email))
		return nil
	case "switch":
		if err := uc.Switch(ctx, account); err != nil {
			return authCLIError(err)
		}
		fmt.Fprintf(os.Stderr, "Active account: %s\n", app.TerminalSafe(account))
		return nil
	case "revoke":
		if all {
			done, err := uc.SignOutAll(ctx)
			for _, e := range done {
				fmt.Fprintf(os.Stderr, "Signed out %s\n", app.TerminalSafe(e))
			}
			return authCLIError(err)
		}
		email, err := uc.SignOut(ctx, account)
		if err != nil {
			return authCLIError(err)
		}
		fmt.Fprintf(os.Stderr, "Signed out %s\n", app.TerminalSafe(email))
		return nil
	default: // print-access-token
		tok, _, err := uc.AccessToken(ctx, account)
		if err != nil {
			return authCLIError(err)
		}
		fmt.Println(app.TerminalSafe(tok)) // a real token has no control characters: unchanged
		return nil
	}
}

// authCLIError spells out an *app.UserError on the terminal: what, why,
// the fix and the raw error, one per line, each escaped
// (app.TerminalSafe): they quote e-mails and Google's messages.
func authCLIError(err error) error {
	var ue *app.UserError
	if !errors.As(err, &ue) {
		return err
	}
	msg := app.TerminalSafe(ue.What)
	if ue.Why != "" {
		msg += ": " + app.TerminalSafe(ue.Why)
	}
	if ue.Fix != "" {
		msg += "\n  fix: " + app.TerminalSafe(ue.Fix)
	}
	if ue.Err != nil {
		msg += "\n  details: " + app.TerminalSafe(ue.Err.Error())
	}
	return &cliError{msg: msg, err: err}
}

const tunnelUsage = `usage: iapdesk tunnel INSTANCE PORT --project P --zone Z [flags]
       iapdesk tunnel HOST PORT --project P --region R --network N [--dest-group G] [flags]

Forwards a local port to PORT on the instance through Identity-Aware Proxy,
a drop-in for gcloud compute start-iap-tunnel (the same flags). It prints
"Listening on port [N]." once the port is ready.

  ssh -o ProxyCommand='iapdesk tunnel %h 22 --listen-on-stdin --project P --zone Z' user@vm-1

flags:`

// runTunnel is `iapdesk tunnel`.
func runTunnel(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("iapdesk tunnel", flag.ContinueOnError)
	var o app.TunnelOptions
	var verbose bool
	var verbosity string
	fs.StringVar(&o.Target.Project, "project", os.Getenv("CLOUDSDK_CORE_PROJECT"), "project `ID` (default $CLOUDSDK_CORE_PROJECT)")
	fs.StringVar(&o.Target.Zone, "zone", os.Getenv("CLOUDSDK_COMPUTE_ZONE"), "`ZONE` of the instance (default $CLOUDSDK_COMPUTE_ZONE)")
	fs.StringVar(&o.Target.Interface, "network-interface", "nic0", "network `INTERFACE` of the instance")
	fs.StringVar(&o.Target.Network, "network", "", "VPC `NETWORK` of a host target (on-premises or other clouds)")
	fs.StringVar(&o.Target.Region, "region", "", "`REGION` of a host target")
	fs.StringVar(&o.Target.DestGroup, "dest-group", "", "destination `GROUP` of a host target")
	fs.StringVar(&o.LocalHostPort, "local-host-port", "localhost:0", "`HOST:PORT` to listen on; port 0 picks a free one")
	fs.BoolVar(&o.ListenOnStdin, "listen-on-stdin", false, "forward stdin/stdout instead of listening (for ssh ProxyCommand)")
	fs.StringVar(&o.PSCEndpoint, "psc-endpoint", "", "Private Service Connect `ADDRESS` to reach the relay through")
	fs.StringVar(&o.URLOverride, "iap-tunnel-url-override", "", "relay `URL` (default wss://tunnel.cloudproxy.app/v4)")
	fs.StringVar(&o.AccessTokenFile, "access-token-file", "", "read the access token from `FILE` (re-read on every connect)")
	fs.BoolVar(&o.DisableConnectionCheck, "iap-tunnel-disable-connection-check", false, "skip the test connection before listening")
	fs.BoolVar(&o.InsecureSkipVerify, "iap-tunnel-insecure-disable-websocket-cert-check", false, "do not verify the relay's TLS certificate (testing only)")
	fs.BoolVar(&verbose, "v", false, "log connection events")
	fs.StringVar(&verbosity, "verbosity", "warning", "log `LEVEL`: debug, info, warning or error")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, tunnelUsage)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return errUsage
	}
	if len(pos) != 2 {
		fs.Usage()
		return errUsage
	}
	port, err := strconv.Atoi(pos[1])
	if err != nil {
		return fmt.Errorf("port %q is not a number", pos[1])
	}
	o.Target.Port = port
	if o.Target.Region != "" || o.Target.Network != "" || o.Target.DestGroup != "" {
		// gcloud: with --network/--region the positional names a host.
		o.Target.Host = pos[0]
		o.Target.Zone, o.Target.Interface = "", ""
	} else {
		o.Target.Instance = pos[0]
	}
	level, err := logLevel(verbosity, verbose)
	if err != nil {
		return err
	}
	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	return authCLIError(app.RunTunnel(ctx, o, app.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments (gcloud style) and returns the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// logLevel maps gcloud's --verbosity (and -v, for info) to a slog level.
func logLevel(verbosity string, verbose bool) (slog.Level, error) {
	if verbose && verbosity == "warning" {
		verbosity = "info"
	}
	switch verbosity {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warning":
		return slog.LevelWarn, nil
	case "error", "critical", "none":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--verbosity %q: want debug, info, warning or error", verbosity)
}

// headlessFlags are the endpoint and credential flags shared by ssh and rdp.
type headlessFlags struct {
	cfg     app.HeadlessConfig
	project string
	zone    string
	port    int
	verbose bool
}

func (h *headlessFlags) register(fs *flag.FlagSet, defaultPort int) {
	fs.StringVar(&h.project, "project", os.Getenv("CLOUDSDK_CORE_PROJECT"), "project `ID` (default $CLOUDSDK_CORE_PROJECT)")
	fs.StringVar(&h.zone, "zone", os.Getenv("CLOUDSDK_COMPUTE_ZONE"), "`ZONE` of the instance (default $CLOUDSDK_COMPUTE_ZONE)")
	fs.IntVar(&h.port, "port", defaultPort, "remote `PORT`")
	fs.StringVar(&h.cfg.URLOverride, "iap-tunnel-url-override", "", "relay `URL`")
	fs.StringVar(&h.cfg.PSCEndpoint, "psc-endpoint", "", "Private Service Connect `ADDRESS` for the relay")
	fs.StringVar(&h.cfg.AccessTokenFile, "access-token-file", "", "read the access token from `FILE`")
	fs.StringVar(&h.cfg.ComputeEndpoint, "compute-endpoint", os.Getenv("IAPDESK_COMPUTE_ENDPOINT"), "Compute Engine API base `URL` (default Google's; $IAPDESK_COMPUTE_ENDPOINT)")
	fs.BoolVar(&h.verbose, "v", false, "log connection events")
}

func (h *headlessFlags) ref(instance string) (app.InstanceRef, error) {
	if h.project == "" || h.zone == "" {
		return app.InstanceRef{}, fmt.Errorf("--project and --zone are required")
	}
	return app.InstanceRef{Project: h.project, Zone: h.zone, Name: instance}, nil
}

func (h *headlessFlags) start(ctx context.Context) (*app.Headless, error) {
	level := slog.LevelWarn
	if h.verbose {
		level = slog.LevelInfo
	}
	h.cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	return app.NewHeadless(ctx, h.cfg)
}

const sshUsage = `usage: iapdesk ssh INSTANCE --project P --zone Z [flags] [-- COMMAND...]

Connects to the VM's port 22 through IAP and runs ssh in this terminal (a
login shell, or COMMAND). Host keys are kept per VM under compute.ID.

flags:`

// runSSH is `iapdesk ssh`.
func runSSH(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("iapdesk ssh", flag.ContinueOnError)
	var h headlessFlags
	var c app.SSHCommand
	h.register(fs, 22)
	fs.StringVar(&c.SSH.Username, "user", "", "remote `USER` (default the local user name)")
	fs.StringVar(&c.SSH.KeyFile, "key", "", "private key `FILE` (default ssh's keys and agent)")
	fs.BoolVar(&c.SSH.ProxyCommand, "proxy-command", false, "let ssh start the tunnel (ProxyCommand) instead of a local port")
	fs.StringVar(&c.SSH.StrictHostKeyChecking, "strict-host-key-checking", "", "ssh's StrictHostKeyChecking (`yes|accept-new|no`)")
	demoMode := fs.Bool("demo", false, "connect to a VM of the demo organisation (no Google account needed)")
	fs.Usage = func() { fmt.Fprintln(os.Stderr, sshUsage); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return errUsage
	}
	if len(pos) < 1 {
		fs.Usage()
		return errUsage
	}
	if *demoMode {
		return runDemoSSH(ctx, pos[0], pos[1:], h.verbose)
	}
	if c.Ref, err = h.ref(pos[0]); err != nil {
		return err
	}
	c.Port, c.SSH.Command = h.port, pos[1:]
	hl, err := h.start(ctx)
	if err != nil {
		return err
	}
	defer hl.Close()
	return hl.RunSSH(ctx, c, app.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}

const rdpUsage = `usage: iapdesk rdp INSTANCE --project P --zone Z --user USER [flags]

Opens a tunnel to the VM's port 3389 through IAP and starts the RDP client
against it; the tunnel closes when the client exits. The password is asked
on the terminal, or read from stdin with --password-stdin; it is never put
on a command line.

flags:`

// runRDP is `iapdesk rdp`.
func runRDP(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("iapdesk rdp", flag.ContinueOnError)
	var h headlessFlags
	var c app.RDPCommand
	var passwordStdin bool
	h.register(fs, 3389)
	fs.StringVar(&c.RDP.Username, "user", "", "Windows `USER`")
	fs.StringVar(&c.RDP.Domain, "domain", "", "Windows `DOMAIN`")
	fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	fs.BoolVar(&c.RDP.Options.FullScreen, "fullscreen", false, "full screen")
	fs.IntVar(&c.RDP.Options.Width, "width", 0, "desktop `WIDTH` (with --height)")
	fs.IntVar(&c.RDP.Options.Height, "height", 0, "desktop `HEIGHT`")
	fs.Usage = func() { fmt.Fprintln(os.Stderr, rdpUsage); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return errUsage
	}
	if len(pos) != 1 || c.RDP.Username == "" {
		fs.Usage()
		return errUsage
	}
	if c.Ref, err = h.ref(pos[0]); err != nil {
		return err
	}
	c.Port = h.port
	if passwordStdin {
		c.RDP.Password, err = app.ReadPassword(os.Stdin)
	} else {
		c.RDP.Password, err = platform.PromptPassword(fmt.Sprintf("Password for %s on %s: ", c.RDP.Username, pos[0]), os.Stderr)
	}
	if err != nil {
		return err
	}
	hl, err := h.start(ctx)
	if err != nil {
		return err
	}
	defer hl.Close()
	return hl.RunRDP(ctx, c, app.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}

// runGUI is iapdesk without a verb: the window. --demo runs it against the
// demo world (app/demo: fakes of Google's APIs, a real SSH server), which
// never touches the user's accounts, keyring or settings. The hidden
// --demo-script=screenshot sets the window up for make screenshot and
// prints "iapdesk: ready for a screenshot" on stdout. link, if not nil, is
// opened once signed in.
func runGUI(ctx context.Context, args []string, link *app.IAPRDPURL) error {
	fs := flag.NewFlagSet("iapdesk", flag.ContinueOnError)
	demoMode := fs.Bool("demo", false, "run against a demo organisation")
	script := fs.String("demo-script", "", "`screenshot`: expand the tree and open a context menu")
	fs.Usage = func() { usage(os.Stderr) }
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 || (*script != "" && *script != "screenshot") {
		fs.Usage()
		return errUsage
	}
	// The window's log goes to stderr; IAPDESK_VERBOSITY=info or debug
	// shows more than warnings.
	level, err := logLevel(cmp.Or(os.Getenv("IAPDESK_VERBOSITY"), "warning"), false)
	if err != nil {
		return fmt.Errorf("IAPDESK_VERBOSITY: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	hub := &views.Hub{}
	cfg := views.Config{App: fyneapp.NewWithID("io.github.iapdesk"), Hub: hub, Logger: log, Link: link}
	if *demoMode || *script != "" {
		world, err := demo.Start(ctx, demo.Config{
			OnExplorerChange: hub.ExplorerChanged, OnTunnelsChange: hub.TunnelsChanged, OnSessionEnd: hub.SessionEnded, Logger: log,
		})
		if err != nil {
			return err
		}
		defer world.Close()
		cfg.Title, cfg.Accounts = "iapdesk — demo", world.Accounts
		cfg.Start = func(ctx context.Context) (*views.Services, error) {
			_, desc, err := world.Accounts.TokenSource(ctx)
			if err != nil {
				return nil, err
			}
			return &views.Services{Explorer: world.Explorer, Tunnels: world.Tunnels, Connector: world.Connector,
				Projects: world.ResourceManager, Credentials: desc, SSH: world.SSH,
				Profiles: world.Profiles, Passwords: world.Credentials, SSHPublisher: world.SSHPublisher, SSHKeys: world.SSHKeys,
				WindowsCredentials: world.WindowsCredentials}, nil
		}
		if *script != "" {
			cfg.Script = &views.Script{Select: demo.WindowsVM, Tunnel: demo.LinuxVM,
				Ready: func() { fmt.Println("iapdesk: ready for a screenshot") }}
		}
	} else {
		mgr, err := auth.New(auth.Config{Logger: log})
		if err != nil {
			return err
		}
		accounts, err := app.NewAccounts(app.AccountsConfig{
			SignIn: mgr, Directory: mgr, Credentials: mgr, Tokens: mgr,
			OpenURL: platform.OpenURL, ShowURL: hub.SignInURL, Logger: log,
		})
		if err != nil {
			return err
		}
		cfg.Accounts = accounts
		cfg.Start = func(ctx context.Context) (*views.Services, error) { return guiServices(ctx, accounts, hub, log) }
	}
	win, err := views.New(cfg)
	if err != nil {
		return err
	}
	return win.ShowAndRun(ctx)
}

// guiServices wires the window's services to Google with the credentials
// accounts resolves: Compute and Resource Manager clients, the explorer over
// the projects remembered in the config directory, tunnels through the IAP
// relay, and the connector launching the system's clients.
func guiServices(ctx context.Context, accounts *app.Accounts, hub *views.Hub, log *slog.Logger) (*views.Services, error) {
	ts, desc, err := accounts.TokenSource(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := app.DefaultConfigDir()
	if err != nil {
		return nil, err
	}
	opts := []option.ClientOption{option.WithTokenSource(ts), option.WithUserAgent(app.Build().UserAgent())}
	comp, err := app.NewCompute(ctx, app.ComputeConfig{Options: opts, Logger: log})
	if err != nil {
		return nil, err
	}
	rm, err := app.NewResourceManager(ctx, app.ResourceManagerConfig{Options: opts})
	if err != nil {
		return nil, err
	}
	store, err := app.NewProjectStore(app.ProjectStoreConfig{Dir: dir})
	if err != nil {
		return nil, err
	}
	loader, err := app.NewLoader(app.LoaderConfig{Lister: comp, Logger: log})
	if err != nil {
		return nil, err
	}
	explorer, err := app.NewExplorer(app.ExplorerConfig{
		Projects: store, Loader: loader, Power: comp, Serial: comp, OnChange: hub.ExplorerChanged, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	dialer := &tunnel.Dialer{TokenSource: ts, UserAgent: app.Build().UserAgent(), Logger: log}
	tunnels, err := app.NewTunnels(app.TunnelsConfig{
		Dialer: dialer, AllowPeer: platform.PeerIsSameUser, OnChange: hub.TunnelsChanged, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	launcher, err := platform.New(platform.Config{Logger: log, ConfigDir: dir})
	if err != nil {
		return nil, err
	}
	exe, _ := os.Executable()
	connector, err := app.NewConnector(app.ConnectorConfig{
		Tunnels: tunnels, Launcher: launcher, Executable: exe, OnSessionEnd: hub.SessionEnded, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	// Saved connections, settings and passwords: the config directory and
	// the keyring refresh tokens use (memory with IAPDESK_KEYRING=memory).
	var secrets app.SecretStore = auth.KeyringStore{}
	if os.Getenv(auth.EnvKeyring) == "memory" {
		secrets = auth.NewMemoryStore()
	}
	creds, err := app.NewCredentials(secrets)
	if err != nil {
		return nil, err
	}
	configStore, err := app.NewConfigStore(app.ConfigStoreConfig{Dir: dir, Logger: log})
	if err != nil {
		return nil, err
	}
	profiles, err := app.NewProfiles(app.ProfilesConfig{Store: configStore, Credentials: creds})
	if err != nil {
		return nil, err
	}
	keys, err := app.NewSSHKeys(app.SSHKeysConfig{Dir: dir, Credentials: creds})
	if err != nil {
		return nil, err
	}
	publisher, err := app.NewSSHPublisher(ctx, app.SSHPublisherConfig{ComputeOptions: opts, OSLoginOptions: opts, Logger: log})
	if err != nil {
		return nil, err
	}
	winCreds, err := app.NewWindowsCredentialGenerator(ctx, app.WindowsCredentialsConfig{Options: opts, Logger: log})
	if err != nil {
		return nil, err
	}
	return &views.Services{
		Explorer: explorer, Tunnels: tunnels, Connector: connector, Projects: rm, Credentials: desc,
		SSH: app.SSHParams{Username: app.DefaultSSHUsername()}, Close: tunnels.Shutdown,
		Profiles: profiles, Passwords: creds, SSHPublisher: publisher, SSHKeys: keys, WindowsCredentials: winCreds,
	}, nil
}

// runDemoSSH is `iapdesk ssh --demo VM [-- COMMAND…]`: the demo world in this
// process, and ssh to one of its Linux VMs through the same orchestration.
func runDemoSSH(ctx context.Context, name string, command []string, verbose bool) error {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	w, err := demo.Start(ctx, demo.Config{NoRDP: true, Logger: log})
	if err != nil {
		return err
	}
	defer w.Close()
	inst, err := w.Instance(ctx, name)
	if err != nil {
		return err
	}
	params := w.SSH
	params.Command = command
	return w.Connector.RunSSH(ctx, w.Launcher, app.Request{Instance: inst, SSH: params},
		os.Stdin, os.Stdout, os.Stderr)
}

// runLink is `iapdesk [--demo] 'iap-rdp:///PROJECT/ZONE/VM?username=…'`, IAP
// Desktop's links (the scheme handler the packages register): the window,
// which connects to the VM once signed in. A malformed link fails here,
// before any window opens, with what is wrong and an example.
func runLink(ctx context.Context, args []string) error {
	link := args[len(args)-1]
	u, err := app.ParseIAPRDPURL(link)
	if err != nil {
		return authCLIError(err)
	}
	return runGUI(ctx, args[:len(args)-1], &u)
}
