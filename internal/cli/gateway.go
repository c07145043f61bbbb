package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"iapdesk/app"
	"iapdesk/app/desk"
)

const gatewayUsage = `usage: iapdesk gateway [--listen HOST:PORT] [flags]

One local proxy, SOCKS5 and HTTP CONNECT, for every VM port: it routes
INSTANCE.ZONE.PROJECT:PORT (no API call needed), INSTANCE:PORT (when the
name is unique among the projects added in iapdesk) and a VM's internal IP
through a tunnel to that VM and port, opened on first use and closed after
--idle-timeout. Only this computer's user can use it. It prints
"Listening on HOST:PORT." once ready, and runs until interrupted.

  curl --socks5-hostname 127.0.0.1:11080 http://web-1.us-central1-a.my-proj/
  HTTPS_PROXY=http://127.0.0.1:11080 kubectl get nodes
  ssh -o ProxyCommand='nc -X 5 -x 127.0.0.1:11080 %h %p' vm-1.us-central1-a.my-proj`

// runGateway is `iapdesk gateway`.
func runGateway(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("iapdesk gateway", gatewayUsage)
	var ef endpointFlags
	ef.register(fs.FlagSet)
	listen := fs.String("listen", app.DefaultGatewayAddr, "`HOST:PORT` to listen on")
	idle := fs.Duration("idle-timeout", 5*time.Minute, "close a route's tunnel this `LONG` after its last connection")
	verbose := fs.Bool("v", false, "log every connection")
	verbosity := fs.String("verbosity", "warning", "log `LEVEL`: debug, info, warning or error")
	pos, err := fs.parse(args)
	if err != nil {
		return e.flagError(fs, err)
	}
	if len(pos) > 0 {
		return fs.fail("unexpected argument %q", pos[0])
	}
	if _, err := app.ParseLocalHostPort(*listen); err != nil {
		return fs.fail("--listen: %v", err)
	}
	if *idle <= 0 {
		return fs.fail("--idle-timeout %v: want a positive duration", *idle)
	}
	level, err := logLevel(*verbosity, *verbose)
	if err != nil {
		return fs.fail("%v", err)
	}
	log := slog.New(slog.NewTextHandler(e.stdio.Err, &slog.HandlerOptions{Level: level}))
	o, err := ef.options()
	if err != nil {
		return fs.fail("%v", err)
	}
	o.Logger, o.GatewayIdleTimeout = log, *idle
	d, err := desk.New(o)
	if err != nil {
		return err
	}
	svc, err := d.Open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	// INSTANCE and internal IPs resolve among the loaded projects; the
	// gateway reloads them when a name is unknown.
	if err := svc.Explorer.Refresh(ctx); err != nil {
		log.Warn("cannot load the projects: INSTANCE.ZONE.PROJECT routes only", slog.Any("error", err))
	}
	ln, err := app.ListenGateway(ctx, *listen, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdio.Err, "Listening on %s.\n", ln.Addr())
	return svc.Gateway.Serve(ctx, ln)
}
