package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"iapdesk/app"
	"iapdesk/app/demo"
	"iapdesk/app/desk"
	"iapdesk/app/settings"
	"iapdesk/platform"
)

// connectFlags are the flags ssh and rdp share: the VM, and where the
// relay and the APIs are with which credentials.
type connectFlags struct {
	opts    desk.Options
	project string
	zone    string
	port    int
	verbose bool
	net     networkFlags
}

func (f *connectFlags) register(fs *flag.FlagSet, defaultPort int) {
	fs.StringVar(&f.project, "project", os.Getenv("CLOUDSDK_CORE_PROJECT"), "project `ID` (default $CLOUDSDK_CORE_PROJECT)")
	fs.StringVar(&f.zone, "zone", os.Getenv("CLOUDSDK_COMPUTE_ZONE"), "`ZONE` of the instance (default $CLOUDSDK_COMPUTE_ZONE)")
	fs.IntVar(&f.port, "port", defaultPort, "remote `PORT`")
	fs.StringVar(&f.opts.RelayURL, "iap-tunnel-url-override", "", "relay `URL`")
	fs.StringVar(&f.opts.PSCEndpoint, "psc-endpoint", "", "Private Service Connect `ADDRESS` for the relay")
	fs.StringVar(&f.opts.Auth.AccessTokenFile, "access-token-file", "", "read the access token from `FILE`")
	fs.StringVar(&f.opts.Account, "account", "", "the signed-in `ACCOUNT` to use (default the active one); with --access-token-file, whose token it is")
	fs.StringVar(&f.opts.ComputeURL, "compute-endpoint", os.Getenv("IAPDESK_COMPUTE_ENDPOINT"), "Compute Engine API base `URL` (default Google's; $IAPDESK_COMPUTE_ENDPOINT)")
	fs.StringVar(&f.opts.OSLoginURL, "oslogin-endpoint", os.Getenv("IAPDESK_OSLOGIN_ENDPOINT"), "OS Login API base `URL` (default Google's; $IAPDESK_OSLOGIN_ENDPOINT)")
	fs.BoolVar(&f.verbose, "v", false, "log connection events")
	f.net.register(fs)
}

// logger logs warnings to stderr, and connection events with -v.
func (f *connectFlags) logger(stderr io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if f.verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// instance is the VM named on the command line, known by name only:
// the connector reads the rest.
func (f *connectFlags) instance(fs *flagSet, name string) (app.Instance, error) {
	if err := fs.require("project", "zone"); err != nil {
		return app.Instance{}, err
	}
	return app.Instance{InstanceRef: app.InstanceRef{Project: f.project, Zone: f.zone, Name: name}}, nil
}

// open builds the services through the composition root.
func (f *connectFlags) open(ctx context.Context, log *slog.Logger) (*desk.Services, error) {
	o := f.opts
	o.Logger = log
	if err := f.net.apply(&o); err != nil {
		return nil, err
	}
	d, err := desk.New(o)
	if err != nil {
		return nil, err
	}
	return d.Open(ctx)
}

const sshUsage = `usage: iapdesk ssh INSTANCE --project P --zone Z [flags] [-- COMMAND...]

Connects to the VM's port 22 through IAP and runs ssh in this terminal (a
login shell, or COMMAND). As the window does, it publishes iapdesk's own
key for the signed-in account (or --account) through OS Login or metadata
and logs in as the user it was published for, unless --key names a key.
Host keys are kept per VM under compute.ID. With --demo it connects to a
VM of the demo organisation (iapdesk ssh --demo web-prod-01), without a
Google account.`

// runSSH is `iapdesk ssh`.
func runSSH(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("iapdesk ssh", sshUsage)
	var f connectFlags
	var p app.SSHParams
	f.register(fs.FlagSet, 22)
	fs.StringVar(&p.Username, "user", "", "remote `USER` (default the ssh.username setting, the published key's user or the local user name)")
	fs.StringVar(&p.KeyFile, "key", "", "private key `FILE`: publish nothing and log in with this key")
	fs.BoolVar(&p.ProxyCommand, "proxy-command", false, "let ssh start the tunnel (ProxyCommand) instead of a local port")
	fs.StringVar(&p.StrictHostKeyChecking, "strict-host-key-checking", "", "ssh's StrictHostKeyChecking (`yes|accept-new|no`)")
	demoMode := fs.Bool("demo", false, "connect to a VM of the demo organisation (no Google account needed)")
	pos, err := fs.parse(args)
	if err != nil {
		return e.flagError(fs, err)
	}
	if len(pos) < 1 {
		return fs.fail("missing INSTANCE")
	}
	p.Command = pos[1:]
	log := f.logger(e.stdio.Err)
	if *demoMode {
		return runDemoSSH(ctx, e, pos[0], p, log)
	}
	inst, err := f.instance(fs, pos[0])
	if err != nil {
		return err
	}
	svc, err := f.open(ctx, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	return svc.Connector.RunSSH(ctx, app.Request{Instance: inst, Port: f.port, SSH: p, CommandLine: true}, e.stdio)
}

// runDemoSSH is `iapdesk ssh --demo VM [-- COMMAND…]`: the demo world in
// this process, and ssh to one of its Linux VMs through the same connector.
func runDemoSSH(ctx context.Context, e *env, name string, p app.SSHParams, log *slog.Logger) error {
	w, err := demo.Start(ctx, demo.Config{NoRDP: true, Logger: log})
	if err != nil {
		return err
	}
	defer w.Close()
	inst, err := w.Instance(ctx, name)
	if err != nil {
		return err
	}
	// By name, as from a real command line: the connector reads the VM.
	inst = app.Instance{InstanceRef: inst.InstanceRef}
	return w.Connector.RunSSH(ctx, app.Request{Instance: inst, SSH: p, CommandLine: true}, e.stdio)
}

const rdpUsage = `usage: iapdesk rdp INSTANCE --project P --zone Z [--user USER] [flags]

Opens a tunnel to the VM's port 3389 through IAP and starts the RDP client
against it; the tunnel closes when the client exits. The user name and
password come from the flags, else from the VM's saved settings and
keyring; a missing password is asked on the terminal. With
--password-stdin it is read from stdin instead; it is never put on a
command line. With --demo it opens a Windows VM of the demo organisation
(iapdesk rdp --demo iis-prod-01: any password works), without a Google
account.`

// runRDP is `iapdesk rdp`.
func runRDP(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("iapdesk rdp", rdpUsage)
	var f connectFlags
	var rdp app.RDPParams
	var passwordStdin, fullScreen bool
	var width, height int
	f.register(fs.FlagSet, 3389)
	fs.StringVar(&rdp.Username, "user", "", "Windows `USER` (default the rdp.username setting)")
	fs.StringVar(&rdp.Domain, "domain", "", "Windows `DOMAIN`")
	fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	fs.BoolVar(&fullScreen, "fullscreen", false, "full screen")
	fs.IntVar(&width, "width", 0, "desktop `WIDTH` (with --height)")
	fs.IntVar(&height, "height", 0, "desktop `HEIGHT`")
	demoMode := fs.Bool("demo", false, "connect to a VM of the demo organisation (no Google account needed)")
	pos, err := fs.parse(args)
	if err != nil {
		return e.flagError(fs, err)
	}
	switch len(pos) {
	case 0:
		return fs.fail("missing INSTANCE")
	case 1:
	default:
		return fs.fail("unexpected argument %q", pos[1])
	}
	var inst app.Instance
	if !*demoMode {
		if inst, err = f.instance(fs, pos[0]); err != nil {
			return err
		}
	}
	req := app.Request{Instance: inst, Protocol: app.ProtocolRDP, Port: f.port, RDP: rdp, CommandLine: true}
	if fullScreen {
		req.Overrides.RDP.FullScreen = settings.Some(true)
	}
	if width > 0 || height > 0 {
		req.Overrides.RDP.Width, req.Overrides.RDP.Height = settings.Some(width), settings.Some(height)
	}
	if passwordStdin {
		if req.RDP.Password, err = readPassword(e.stdio.In); err != nil {
			return err
		}
	}
	log := f.logger(e.stdio.Err)
	var svc *desk.Services
	if *demoMode {
		w, err := demo.Start(ctx, demo.Config{Logger: log})
		if err != nil {
			return err
		}
		defer w.Close()
		found, err := w.Instance(ctx, pos[0])
		if err != nil {
			return err
		}
		req.Instance = app.Instance{InstanceRef: found.InstanceRef}
		if req.RDP.Password == "" {
			req.RDP.Password = demo.RDPPassword // the demo's RDP server takes any
		}
		svc = w.Services
	} else if svc, err = f.open(ctx, log); err != nil {
		return err
	}
	defer func() {
		svc.Close()
		svc.Connector.Wait()
	}()
	s, err := svc.Connector.Connect(ctx, req, terminalPrompter{stderr: e.stdio.Err})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdio.Err, "Connected to %s through 127.0.0.1:%d; waiting for the RDP client to exit.\n",
		app.TerminalSafe(s.Request.Instance.Name), s.Tunnel.LocalPort)
	select {
	case <-s.Done():
		return s.Err()
	case <-ctx.Done():
		_ = s.Process.Kill()
		<-s.Done()
		return nil
	}
}

// terminalPrompter asks for a missing RDP password on the terminal, without
// echo; the user name must come from --user or the settings.
type terminalPrompter struct{ stderr io.Writer }

// RDPCredentials asks for the password of p.Suggested's user; it never
// offers to save it.
func (t terminalPrompter) RDPCredentials(_ context.Context, p app.CredentialPrompt) (app.RDPParams, bool, error) {
	c := p.Suggested
	if c.Username == "" {
		return app.RDPParams{}, false, &app.UserError{What: p.Reason.What, Why: "no Windows user name is saved for this VM",
			Fix: "Pass --user USER (and --domain DOMAIN if it has one).", Err: app.ErrCredentialsRequired}
	}
	var err error
	c.Password, err = platform.PromptPassword(fmt.Sprintf("Password for %s on %s: ", app.TerminalSafe(c.Username), app.TerminalSafe(p.Instance.Name)), t.stderr)
	if errors.Is(err, platform.ErrNoTerminal) {
		err = &app.UserError{What: p.Reason.What, Why: "no password is saved for this VM and stdin is not a terminal to ask for one",
			Fix: "Pass the password on stdin with --password-stdin.", Err: errors.Join(app.ErrCredentialsRequired, err)}
	}
	return c, false, err
}

// readPassword reads one line from r, without its line ending.
func readPassword(r io.Reader) (platform.Password, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if buf[0] == '\n' {
				break
			}
			b.WriteByte(buf[0])
			if b.Len() > 4096 {
				return "", errors.New("password line is longer than 4096 bytes")
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return platform.Password(strings.TrimSuffix(b.String(), "\r")), nil
}
