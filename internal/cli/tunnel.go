package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"iapdesk/app"
	"iapdesk/app/demo"
	"iapdesk/app/desk"
)

const tunnelUsage = `usage: iapdesk tunnel INSTANCE PORT --project P --zone Z [flags]
       iapdesk tunnel HOST PORT --project P --region R --network N [--dest-group G] [flags]

Forwards a local port to PORT on the instance through Identity-Aware Proxy,
a drop-in for gcloud compute start-iap-tunnel (the same flags). It prints
"Listening on port [N]." once the port is ready.

  ssh -o ProxyCommand='iapdesk tunnel %h 22 --listen-on-stdin --project P --zone Z' user@vm-1

With --demo it forwards to a VM of the demo organisation (iapdesk tunnel
--demo web-prod-01 80), without a Google account.`

// runTunnel is `iapdesk tunnel`.
func runTunnel(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("iapdesk tunnel", tunnelUsage)
	var o app.TunnelOptions
	var opts desk.Options
	var nf networkFlags
	var verbose bool
	var verbosity string
	nf.register(fs.FlagSet)
	fs.StringVar(&o.Target.Project, "project", os.Getenv("CLOUDSDK_CORE_PROJECT"), "project `ID` (default $CLOUDSDK_CORE_PROJECT)")
	fs.StringVar(&o.Target.Zone, "zone", os.Getenv("CLOUDSDK_COMPUTE_ZONE"), "`ZONE` of the instance (default $CLOUDSDK_COMPUTE_ZONE)")
	fs.StringVar(&o.Target.Interface, "network-interface", "nic0", "network `INTERFACE` of the instance")
	fs.StringVar(&o.Target.Network, "network", "", "VPC `NETWORK` of a host target (on-premises or other clouds)")
	fs.StringVar(&o.Target.Region, "region", "", "`REGION` of a host target")
	fs.StringVar(&o.Target.DestGroup, "dest-group", "", "destination `GROUP` of a host target")
	fs.StringVar(&o.LocalHostPort, "local-host-port", "localhost:0", "`HOST:PORT` to listen on; port 0 picks a free one")
	fs.BoolVar(&o.ListenOnStdin, "listen-on-stdin", false, "forward stdin/stdout instead of listening (for ssh ProxyCommand)")
	fs.StringVar(&opts.PSCEndpoint, "psc-endpoint", "", "Private Service Connect `ADDRESS` to reach the relay through")
	fs.StringVar(&opts.RelayURL, "iap-tunnel-url-override", "", "relay `URL` (default wss://tunnel.cloudproxy.app/v4)")
	fs.StringVar(&opts.Auth.AccessTokenFile, "access-token-file", "", "read the access token from `FILE` (re-read on every connect)")
	fs.StringVar(&opts.Account, "account", "", "the signed-in `ACCOUNT` to use (default the active one)")
	fs.BoolVar(&o.DisableConnectionCheck, "iap-tunnel-disable-connection-check", false, "skip the test connection before listening")
	fs.BoolVar(&opts.InsecureSkipVerify, "iap-tunnel-insecure-disable-websocket-cert-check", false, "do not verify the relay's TLS certificate (testing only)")
	fs.BoolVar(&verbose, "v", false, "log connection events")
	fs.StringVar(&verbosity, "verbosity", "warning", "log `LEVEL`: debug, info, warning or error")
	demoMode := fs.Bool("demo", false, "forward to a VM of the demo organisation (no Google account needed)")
	publishFor := fs.String("publish-ssh-key", "", "publish iapdesk's SSH key to the VM for `USER` first, as iapdesk ssh does (the ProxyCommand of iapdesk ssh-config)")
	fs.StringVar(&opts.ComputeURL, "compute-endpoint", os.Getenv("IAPDESK_COMPUTE_ENDPOINT"), "Compute Engine API base `URL`, with --publish-ssh-key (default Google's; $IAPDESK_COMPUTE_ENDPOINT)")
	fs.StringVar(&opts.OSLoginURL, "oslogin-endpoint", os.Getenv("IAPDESK_OSLOGIN_ENDPOINT"), "OS Login API base `URL`, with --publish-ssh-key (default Google's; $IAPDESK_OSLOGIN_ENDPOINT)")
	pos, err := fs.parse(args)
	if err != nil {
		return e.flagError(fs, err)
	}
	switch len(pos) {
	case 0:
		return fs.fail("missing INSTANCE and PORT")
	case 1:
		return fs.fail("missing PORT")
	case 2:
	default:
		return fs.fail("unexpected argument %q", pos[2])
	}
	port, err := strconv.Atoi(pos[1])
	if err != nil || port < 1 || port > 65535 {
		return fs.fail("PORT %q is not a port number (1-65535)", pos[1])
	}
	o.Target.Port = port
	hostTarget := o.Target.Region != "" || o.Target.Network != "" || o.Target.DestGroup != ""
	if hostTarget {
		// gcloud: with --network/--region the positional names a host.
		o.Target.Host = pos[0]
		o.Target.Zone, o.Target.Interface = "", ""
	} else {
		o.Target.Instance = pos[0]
	}
	level, err := logLevel(verbosity, verbose)
	if err != nil {
		return fs.fail("%v", err)
	}
	o.Logger = slog.New(slog.NewTextHandler(e.stdio.Err, &slog.HandlerOptions{Level: level}))
	if !o.ListenOnStdin {
		if _, err := app.ParseLocalHostPort(o.LocalHostPort); err != nil {
			return fs.fail("%v", err)
		}
	}
	if *demoMode {
		return runDemoTunnel(ctx, e, o)
	}
	// What is wrong with the command line is said before credentials are
	// looked for (RunTunnel checks the same again), in the words of
	// every command.
	required := []string{"project", "zone"}
	if hostTarget {
		required = []string{"project", "region", "network"}
	}
	if err := fs.require(required...); err != nil {
		return err
	}
	if err := o.Target.Validate(); err != nil {
		return fs.fail("%v", err)
	}
	if err := nf.apply(&opts); err != nil {
		return fs.fail("%v", err)
	}
	opts.Logger = o.Logger
	d, err := desk.New(opts)
	if err != nil {
		return err
	}
	if *publishFor != "" && !hostTarget {
		svc, err := publishSSHKey(ctx, d, o.Target, *publishFor)
		if err != nil {
			return err
		}
		defer svc.Close()
		o.Dialer = svc.Dialer
	} else if o.Dialer, err = d.Dialer(ctx); err != nil {
		return app.AsUserError(err) // the device certificate, the proxy
	}
	o.Watch = d.Watcher()
	return app.RunTunnel(ctx, o, e.stdio)
}

// runDemoTunnel is `iapdesk tunnel --demo VM PORT`: the demo world in this
// process, and the tunnel through its relay with its account's tokens.
func runDemoTunnel(ctx context.Context, e *env, o app.TunnelOptions) error {
	if o.Target.Host != "" {
		return fmt.Errorf("the demo has VMs only, not host %s", o.Target.Host)
	}
	w, err := demo.Start(ctx, demo.Config{Logger: o.Logger})
	if err != nil {
		return err
	}
	defer w.Close()
	inst, err := w.Instance(ctx, o.Target.Instance)
	if err != nil {
		return err
	}
	o.Target.Project, o.Target.Zone, o.Dialer = inst.Project, inst.Zone, w.Dialer
	return app.RunTunnel(ctx, o, e.stdio)
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
