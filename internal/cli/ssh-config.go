package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"iapdesk/app"
	"iapdesk/app/desk"
	"iapdesk/tunnel"
)

const sshConfigUsage = `usage: iapdesk ssh-config [flags]
       iapdesk ssh-config --remove

Writes ~/.ssh/iapdesk.config, one Host block per VM of the projects added
in iapdesk, and includes it from the top of ~/.ssh/config (once). ssh, scp,
rsync, Ansible, VS Code Remote-SSH then reach every VM through IAP by
INSTANCE.ZONE.PROJECT or, where unique, INSTANCE: the ProxyCommand is
iapdesk tunnel, which publishes iapdesk's key to the VM first, as iapdesk
ssh does. Run it again (or keep the window open) after VMs come and go.
--remove takes both away and leaves ~/.ssh/config as it was.

  iapdesk ssh-config
  ssh web-1.us-central1-a.my-proj
  rsync -a ./site/ web-1:/var/www/

The endpoint and credential flags given here are repeated in every
ProxyCommand.`

// runSSHConfig is `iapdesk ssh-config`.
func runSSHConfig(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("iapdesk ssh-config", sshConfigUsage)
	var ef endpointFlags
	ef.register(fs.FlagSet)
	remove := fs.Bool("remove", false, "remove ~/.ssh/iapdesk.config and its Include")
	verbose := fs.Bool("v", false, "log what is done")
	pos, err := fs.parse(args)
	if err != nil {
		return e.flagError(fs, err)
	}
	if len(pos) > 0 {
		return fs.fail("unexpected argument %q", pos[0])
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(e.stdio.Err, &slog.HandlerOptions{Level: level}))
	o, err := ef.options()
	if err != nil {
		return fs.fail("%v", err)
	}
	o.Logger = log
	d, err := desk.New(o)
	if err != nil {
		return err
	}
	svc, err := d.Open(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	if svc.SSHConfig == nil {
		return errors.New("ssh-config: no home directory or iapdesk path to write the config with")
	}
	if *remove {
		if err := svc.SSHConfig.Remove(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdio.Out, "Removed %s and its Include from %s.\n", svc.SSHConfig.Path(), svc.SSHConfig.UserConfig())
		return nil
	}
	if err := svc.Explorer.Refresh(ctx); err != nil {
		return err
	}
	res, err := svc.SSHConfig.Write(ctx, svc.Explorer.Unfiltered(), given(fs.FlagSet))
	if err != nil {
		return err
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(e.stdio.Err, "Left out %s\n", app.TerminalSafe(s))
	}
	fmt.Fprintf(e.stdio.Out, "Wrote %d hosts to %s (included from %s).\n", res.Hosts, res.Path, svc.SSHConfig.UserConfig())
	return nil
}

// publishSSHKey is `iapdesk tunnel --publish-ssh-key=USER`, the
// ProxyCommand of a generated ssh config: before the tunnel opens, the
// connect policy publishes iapdesk's key to the VM for USER (OS Login
// decides its own), exactly as `iapdesk ssh` does, so a VM that does not
// hold the key yet accepts it. The services it opens give the tunnel's
// dialer; the caller closes them.
func publishSSHKey(ctx context.Context, d *desk.Desk, t tunnel.Target, user string) (*desk.Services, error) {
	svc, err := d.Open(ctx)
	if err != nil {
		return nil, err
	}
	req := app.Request{Instance: app.Instance{InstanceRef: app.InstanceRef{Project: t.Project, Zone: t.Zone, Name: t.Instance}},
		Port: t.Port, Protocol: app.ProtocolSSH, SSH: app.SSHParams{Username: user}, CommandLine: true}
	if _, err := svc.Connector.Prepare(ctx, req, nil); err != nil {
		svc.Close()
		return nil, err
	}
	return svc, nil
}
