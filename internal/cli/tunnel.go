package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"iapdesk/app"
	"iapdesk/app/desk"
)

const tunnelUsage = `usage: iapdesk tunnel INSTANCE PORT --project P --zone Z [flags]
       iapdesk tunnel HOST PORT --project P --region R --network N [--dest-group G] [flags]

Forwards a local port to PORT on the instance through Identity-Aware Proxy,
a drop-in for gcloud compute start-iap-tunnel (the same flags). It prints
"Listening on port [N]." once the port is ready.

  ssh -o ProxyCommand='iapdesk tunnel %h 22 --listen-on-stdin --project P --zone Z' user@vm-1

flags:`

// runTunnel is `iapdesk tunnel`.
func runTunnel(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("iapdesk tunnel", flag.ContinueOnError)
	fs.SetOutput(e.stdio.Err)
	var o app.TunnelOptions
	var opts desk.Options
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
	fs.StringVar(&opts.PSCEndpoint, "psc-endpoint", "", "Private Service Connect `ADDRESS` to reach the relay through")
	fs.StringVar(&opts.RelayURL, "iap-tunnel-url-override", "", "relay `URL` (default wss://tunnel.cloudproxy.app/v4)")
	fs.StringVar(&opts.Auth.AccessTokenFile, "access-token-file", "", "read the access token from `FILE` (re-read on every connect)")
	fs.StringVar(&opts.Account, "account", "", "the signed-in `ACCOUNT` to use (default the active one)")
	fs.BoolVar(&o.DisableConnectionCheck, "iap-tunnel-disable-connection-check", false, "skip the test connection before listening")
	fs.BoolVar(&opts.InsecureSkipVerify, "iap-tunnel-insecure-disable-websocket-cert-check", false, "do not verify the relay's TLS certificate (testing only)")
	fs.BoolVar(&verbose, "v", false, "log connection events")
	fs.StringVar(&verbosity, "verbosity", "warning", "log `LEVEL`: debug, info, warning or error")
	fs.Usage = func() {
		fmt.Fprintln(e.stdio.Err, tunnelUsage)
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
	o.Logger = slog.New(slog.NewTextHandler(e.stdio.Err, &slog.HandlerOptions{Level: level}))
	// What is wrong with the command line is said before credentials are
	// looked for (RunTunnel checks the same again).
	if err := o.Target.Validate(); err != nil {
		return err
	}
	if !o.ListenOnStdin {
		if _, err := app.ParseLocalHostPort(o.LocalHostPort); err != nil {
			return err
		}
	}
	opts.Logger = o.Logger
	d, err := desk.New(opts)
	if err != nil {
		return err
	}
	if o.Dialer, err = d.Dialer(ctx); err != nil {
		return err
	}
	return app.RunTunnel(ctx, o, e.stdio)
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
