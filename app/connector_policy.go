package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"iapdesk/app/settings"
)

// ErrUnsupportedTarget reports a profile whose target the connect use case
// cannot reach yet (on-premises hosts: Request only carries a VM).
var ErrUnsupportedTarget = errors.New("unsupported connection target")

// complete applies the connect policy (see Connector) to req: the target,
// the settings, then SSH's key or RDP's credentials. The result has its
// protocol and port resolved.
func (c *Connector) complete(ctx context.Context, req Request, prompt CredentialPrompter) (Request, error) {
	if req.ProfileID != "" {
		var err error
		if req, err = c.profileTarget(ctx, req); err != nil {
			return Request{}, err
		}
	}
	var err error
	if req.Instance, err = c.lookup(ctx, req.Instance, req.Protocol, req.CommandLine); err != nil {
		return Request{}, err
	}
	inst := req.Instance
	if inst.Status != "" && !inst.Running() {
		return Request{}, notRunning(inst, req.CommandLine)
	}
	layers, err := c.layers(ctx, req)
	if err != nil {
		return Request{}, err
	}
	r := settings.Resolve(layers...)
	req = req.resolve()
	req.KeepOpen = req.KeepOpen || r.Settings.Tunnel.KeepOpen.Value()
	req.LocalPort = cmp.Or(req.LocalPort, r.Settings.Tunnel.LocalPort.Value())
	switch req.Protocol {
	case ProtocolRDP:
		return c.completeRDP(ctx, req, r, prompt)
	case ProtocolSSH:
		req.SSH = mergeSSH(sshParams(r), req.SSH)
		return c.prepareSSH(ctx, req, SSHKeyType(r.Settings.SSH.KeyType.Value()))
	case ProtocolApp:
		req.SSH = mergeSSH(sshParams(r), req.SSH)
	}
	return req, nil
}

// profileTarget fills in req's VM, protocol and port from its profile.
func (c *Connector) profileTarget(ctx context.Context, req Request) (Request, error) {
	if c.cfg.Profiles == nil {
		return Request{}, notFound(req.ProfileID)
	}
	p, err := c.cfg.Profiles.Get(ctx, req.ProfileID)
	if err != nil {
		return Request{}, err
	}
	if p.Target.OnPrem() {
		return Request{}, &UserError{What: fmt.Sprintf("Cannot connect to %s", p.Name),
			Why: "connections to on-premises hosts cannot be started from a profile yet",
			Fix: fmt.Sprintf("Use `iapdesk tunnel --project=%s --region=%s --network=%s --dest-group=%s %s %d`.",
				p.Target.Project, p.Target.Region, p.Target.Network, p.Target.DestGroup, p.Target.Host, p.Port()),
			Err: ErrUnsupportedTarget}
	}
	if ref := p.Target.InstanceRef(); req.Instance.InstanceRef != ref {
		req.Instance = Instance{InstanceRef: ref}
	}
	if req.Protocol == ProtocolAuto {
		req.Protocol = p.Protocol.Protocol()
	}
	req.Port = cmp.Or(req.Port, p.RemotePort)
	return req, nil
}

// notRunning is the refusal to connect to a VM that is not running.
func notRunning(inst Instance, commandLine bool) *UserError {
	fix := "Start the VM (right-click → Start), wait until it is RUNNING, then connect again."
	if commandLine {
		fix = fmt.Sprintf("Start it, e.g. gcloud compute instances start %s --project %s --zone %s, then connect again.", inst.Name, inst.Project, inst.Zone)
	}
	return &UserError{What: fmt.Sprintf("Cannot connect to %s", inst.Name),
		Why: fmt.Sprintf("the VM is %s", inst.Status), Fix: fix, Err: ErrInstanceNotRunning}
}

// CheckTarget reports whether the VM ref exists, before a saved connection
// is made for it: an error wrapping ErrInstanceNotFound that says so when
// Compute Engine does not know it; nil when it exists, or when it cannot
// be read (IAP access alone gives no compute.instances.get; the
// connection will tell).
func (c *Connector) CheckTarget(ctx context.Context, ref InstanceRef) error {
	_, err := c.lookup(ctx, Instance{InstanceRef: ref}, ProtocolAuto, false)
	return err
}

// lookup returns inst as Compute Engine describes it when the caller knew
// only its name. A VM Compute Engine says does not exist is an error, said
// before any credentials are asked for. Reading it needs
// compute.instances.get, which IAP access alone does not give: without it
// (or without Instances) the connection goes on by name, its OS guessed
// from the protocol, and host keys are then kept under the name instead of
// the VM's ID.
func (c *Connector) lookup(ctx context.Context, inst Instance, proto Protocol, commandLine bool) (Instance, error) {
	if inst.Status == "" && c.cfg.Instances != nil {
		got, err := c.cfg.Instances.GetInstance(ctx, inst.InstanceRef)
		if err == nil {
			return *got, nil
		}
		if errors.Is(err, ErrInstanceNotFound) {
			fix := "Check the saved connection's project, zone and VM (Edit), or refresh the project: the VM may have been deleted or renamed."
			if commandLine {
				fix = "Check --project, --zone and the instance name (gcloud compute instances list --project " + inst.Project + ")."
			}
			return Instance{}, &UserError{What: fmt.Sprintf("Cannot connect to %s", inst.Name),
				Why: fmt.Sprintf("VM %s does not exist in zone %s of project %s", inst.Name, inst.Zone, inst.Project), Fix: fix, Err: err}
		}
		c.log.Warn("cannot read the VM; connecting by name", slog.String("instance", inst.Name), slog.Any("error", err))
	}
	if inst.OS == OSAny {
		inst.OS = OSLinux
		if proto == ProtocolRDP {
			inst.OS = OSWindows
		}
	}
	return inst, nil
}

// layers are the settings levels of req: the VM's, its profile's and the
// request's overrides.
func (c *Connector) layers(ctx context.Context, req Request) ([]settings.Layer, error) {
	var layers []settings.Layer
	if c.cfg.Profiles != nil {
		var err error
		if layers, err = c.cfg.Profiles.Layers(ctx, req.Instance.InstanceRef, req.ProfileID); err != nil {
			return nil, err
		}
	}
	if !req.Overrides.IsEmpty() {
		layers = append(layers, settings.Layer{Source: settings.SourceURL, Settings: req.Overrides})
	}
	return layers, nil
}

// mergeSSH returns the settings' ssh parameters with the fields the caller
// set in req winning.
func mergeSSH(fromSettings, req SSHParams) SSHParams {
	req.Username = cmp.Or(req.Username, fromSettings.Username)
	req.ProxyCommand = req.ProxyCommand || fromSettings.ProxyCommand
	req.Embedded = req.Embedded || fromSettings.Embedded
	return req
}

// prepareSSH completes an SSH request: known_hosts, host key checking and
// options from the defaults, then iapdesk's key of keyType published to
// the VM for the signed-in account, logging in as the user it was
// published for; or, when nothing is published (no account, no publisher,
// or a key file the caller chose), the default user and key.
func (c *Connector) prepareSSH(ctx context.Context, req Request, keyType SSHKeyType) (Request, error) {
	d := c.cfg.SSH
	req.SSH.KnownHostsFile = cmp.Or(req.SSH.KnownHostsFile, d.KnownHostsFile)
	req.SSH.StrictHostKeyChecking = cmp.Or(req.SSH.StrictHostKeyChecking, d.StrictHostKeyChecking)
	if req.SSH.Options == nil {
		req.SSH.Options = d.Options
	}
	if c.cfg.Publisher == nil || c.cfg.SSHKeys == nil || c.cfg.Account == "" || req.SSH.KeyFile != "" {
		req.SSH.Username = cmp.Or(req.SSH.Username, d.Username)
		req.SSH.KeyFile = cmp.Or(req.SSH.KeyFile, d.KeyFile)
		return req, nil
	}
	key, err := c.cfg.SSHKeys.Key(ctx, keyType)
	if err != nil {
		return Request{}, &UserError{What: "Cannot prepare your SSH key", Why: err.Error(),
			Fix: "Check that the configuration directory is writable.", Err: err}
	}
	pk, err := c.cfg.Publisher.Publish(ctx, PublishRequest{Instance: req.Instance.InstanceRef, Key: key,
		Account: c.cfg.Account, Username: req.SSH.Username})
	if err != nil {
		return Request{}, err
	}
	c.log.Info("ssh key published", slog.String("instance", req.Instance.Name), slog.String("method", string(pk.Method)),
		slog.String("username", pk.Username), slog.Bool("reused", pk.Reused))
	if asked := req.SSH.Username; asked != "" && asked != pk.Username {
		// OS Login decides the POSIX user of the account (as gcloud says,
		// "Using OS Login user … instead of requested user …").
		c.log.Warn("using the os login user instead of the requested one", slog.String("instance", req.Instance.Name),
			slog.String("requested", asked), slog.String("username", pk.Username))
	}
	req.SSH = pk.Params(req.SSH)
	return req, nil
}

// completeRDP fills in the RDP parameters from the settings r, the
// password from the keyring (the profile's, else the VM's), and asks
// prompt for what is still missing.
func (c *Connector) completeRDP(ctx context.Context, req Request, r settings.Resolved, prompt CredentialPrompter) (Request, error) {
	p := rdpParams(r)
	p.Username = cmp.Or(req.RDP.Username, p.Username)
	p.Domain = cmp.Or(req.RDP.Domain, p.Domain)
	p.Password = req.RDP.Password
	if p.Password == "" && p.Username != "" && c.cfg.Passwords != nil {
		pw, _, err := c.cfg.Passwords.RDPPassword(ctx, secretKeys(req)...)
		if err != nil {
			return Request{}, err
		}
		p.Password = pw
	}
	req.RDP = p
	if p.Username != "" && p.Password != "" {
		return req, nil
	}
	reason := &UserError{
		What: fmt.Sprintf("Credentials needed for %s", req.Instance.Name),
		Why:  "no Windows username and password are saved for this VM",
		Fix:  "Enter them, or generate Windows credentials for the VM.",
		Err:  ErrCredentialsRequired,
	}
	if prompt == nil {
		return Request{}, reason
	}
	suggested := p
	suggested.Password = ""
	canSave := c.cfg.Profiles != nil && c.cfg.Passwords != nil
	typed, save, err := prompt.RDPCredentials(ctx, CredentialPrompt{Instance: req.Instance, ProfileID: req.ProfileID,
		Suggested: suggested, CanSave: canSave, Reason: reason})
	if err != nil {
		return Request{}, err
	}
	if save && canSave {
		err := c.cfg.Profiles.SaveRDPCredentials(ctx, req.ProfileID, req.Instance.InstanceRef, suggested, typed)
		if errors.Is(err, ErrConfigCorrupt) {
			// Saved, after the damaged file was moved aside: the saved
			// connections list says so when it next loads.
			c.log.Warn("rdp credentials saved to a recovered file", slog.String("instance", req.Instance.Name), slog.Any("error", err))
		} else if err != nil {
			return Request{}, err
		}
	}
	req.RDP.Username, req.RDP.Domain, req.RDP.Password = typed.Username, typed.Domain, typed.Password
	return req, nil
}

// secretKeys are the keyring keys of req's RDP password, the most specific
// first: the profile's, then the VM's.
func secretKeys(req Request) []SecretKey {
	if req.ProfileID != "" {
		return []SecretKey{ProfileSecret(req.ProfileID), InstanceSecret(req.Instance.InstanceRef)}
	}
	return []SecretKey{InstanceSecret(req.Instance.InstanceRef)}
}
