package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"iapdesk/platform"
	"iapdesk/tunnel"
)

// ConnectorConfig configures a Connector. Besides Tunnels and Launcher,
// every field is optional: without it, its step of the connect policy is
// skipped.
type ConnectorConfig struct {
	Tunnels  *Tunnels // required
	Launcher Launcher // required; RunSSH needs it to be an SSHRunner too
	// Executable is iapdesk's own path, for ssh's ProxyCommand.
	Executable string
	// OnSessionEnd is called, from any goroutine, when a client exits with
	// the error it exited with (nil when normally). It must not block.
	OnSessionEnd func(*Session)
	Logger       *slog.Logger

	// Profiles are the saved connections and settings levels
	// (connections.json) a request resolves against.
	Profiles *Profiles
	// Passwords are the RDP passwords saved in the keyring.
	Passwords *Credentials
	// Instances reads a VM that a request names only (no Status).
	Instances InstanceGetter
	// SSHKeys is iapdesk's own SSH key, which Publisher makes each VM
	// accept for Account (the signed-in e-mail) before ssh connects.
	// Without all three, ssh uses SSH's user name and key as they are.
	SSHKeys   *SSHKeys
	Publisher KeyPublisher
	Account   string
	// SSH are the defaults of every SSH connection: known_hosts, host key
	// checking and options always; the user name and key file when no key
	// is published.
	SSH SSHParams
	// Sessions is where the clients the Connector starts are listed while
	// they run (other kinds of session register there too); nil means a
	// set of its own. Connector.Sessions lists it.
	Sessions *SessionSet
}

// KeyPublisher makes a VM accept an SSH key for an account, through OS
// Login or metadata; *gce.SSHPublisher implements it.
type KeyPublisher interface {
	Publish(ctx context.Context, req PublishRequest) (PublishedKey, error)
}

// CredentialPrompter asks the person at the keyboard for the Windows
// credentials of an RDP connection that has none saved: the window with a
// dialog, `iapdesk rdp` on the terminal or from --password-stdin. It
// returns the credentials, and whether to save them (only asked when
// p.CanSave); ErrCredentialsRequired when the user declines.
type CredentialPrompter interface {
	RDPCredentials(ctx context.Context, p CredentialPrompt) (creds RDPParams, save bool, err error)
}

// CredentialPrompt is what a CredentialPrompter is asked for.
type CredentialPrompt struct {
	Instance Instance
	// ProfileID is the saved connection being connected; "" for the VM.
	ProfileID string
	// Suggested are the user name and domain from the settings (no
	// password).
	Suggested RDPParams
	// CanSave says the answer can be kept: the password in the keyring,
	// the user name and domain in the settings of the VM or profile.
	CanSave bool
	// Reason says why credentials are needed; its What titles a dialog.
	Reason *UserError
}

// Connector turns a connect action into a tunnel and a running client.
// Connect and RunSSH apply one connect policy, whichever front end calls
// them (the window, `iapdesk ssh`, `iapdesk rdp`, the demo):
//
//  1. the target: a profile's VM, protocol and port; the VM read from
//     Compute Engine when only its name is known; a stopped VM refused;
//  2. the settings, resolved project → zone → VM → profile → overrides;
//  3. SSH: known_hosts and host key checking from the defaults, iapdesk's
//     key (of the ssh.keyType setting) generated and published for the
//     signed-in account, logging in as the user it was published for;
//  4. RDP: the password saved in the keyring, else asked for through the
//     caller's CredentialPrompter and, if the user says so, saved;
//  5. open (or share) the tunnel, check it, launch the client, keep the
//     tunnel while the client runs and release it when the client exits.
type Connector struct {
	cfg      ConnectorConfig
	log      *slog.Logger
	sessions *SessionSet
	wg       sync.WaitGroup // one watcher per session
}

// NewConnector returns a Connector.
func NewConnector(cfg ConnectorConfig) (*Connector, error) {
	if cfg.Tunnels == nil || cfg.Launcher == nil {
		return nil, errors.New("app: ConnectorConfig needs Tunnels and Launcher")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	sessions := cfg.Sessions
	if sessions == nil {
		sessions = &SessionSet{}
	}
	return &Connector{cfg: cfg, log: log, sessions: sessions}, nil
}

// Sessions lists the live sessions: the clients the Connector started that
// are still running, and the sessions other parts of iapdesk registered
// with Track.
func (c *Connector) Sessions() []SessionInfo { return c.sessions.List() }

// Track registers a live session that is not a client the Connector
// started (an embedded terminal, a file transfer), so that Sessions lists
// it; call the returned function when it ends.
func (c *Connector) Track(info SessionInfo) (done func()) { return c.sessions.Add(info) }

// Connect completes req (see Connector) and performs it, returning once the
// client has started (or, for ProtocolTunnel, once the tunnel listens). An
// SSH request from a caller that hosts SSH sessions (req.CanEmbed) with
// ssh.client=embedded is only completed: the Embedded session returned
// carries it to SSHClients.Dial.
// prompt asks for missing RDP credentials; with a nil prompt they are an
// error wrapping ErrCredentialsRequired. Errors are *UserError values that
// say what to do.
func (c *Connector) Connect(ctx context.Context, req Request, prompt CredentialPrompter) (s *Session, err error) {
	asked := req
	defer func() {
		if err != nil {
			c.logFailure(asked, err)
		}
	}()
	req, err = c.complete(ctx, req, prompt)
	if err != nil {
		return nil, err
	}
	inst := req.Instance
	s = &Session{Request: req, done: make(chan struct{})}
	if req.Protocol == ProtocolSSH && req.CanEmbed && req.SSH.Embedded {
		s.Embedded = true
		close(s.done)
		return s, nil
	}
	if req.Protocol == ProtocolSSH && req.SSH.ProxyCommand {
		return c.launch(ctx, s, nil)
	}
	key := TunnelKey{Ref: inst.InstanceRef, Port: req.Port}
	info, err := c.cfg.Tunnels.AcquireAt(ctx, key, req.KeepOpen || req.Protocol == ProtocolTunnel, req.LocalPort)
	if err != nil {
		return nil, c.tunnelError(ctx, req, err)
	}
	s.Tunnel = info
	if req.Protocol == ProtocolTunnel {
		// Nothing to launch: the tunnel stays until closed in the panel.
		c.cfg.Tunnels.Release(key)
		close(s.done)
		return s, nil
	}
	return c.launch(ctx, s, &key)
}

// Prepare is Connect without the tunnel and the client: it applies the
// connect policy (see Connector) to req, asking prompt for missing RDP
// credentials, and returns the completed request, protocol and port
// resolved. Connect and RunSSH start with it.
func (c *Connector) Prepare(ctx context.Context, req Request, prompt CredentialPrompter) (Request, error) {
	return c.complete(ctx, req, prompt)
}

// RunSSH is `iapdesk ssh`: it completes req as an SSH request (see
// Connector), opens a tunnel to its port (or lets ssh's ProxyCommand do
// it) and runs ssh in the foreground on stdio until it exits. ssh's own
// failure is a *platform.ExitError: ssh has said why on stderr.
func (c *Connector) RunSSH(ctx context.Context, req Request, stdio Stdio) (err error) {
	runner, ok := c.cfg.Launcher.(SSHRunner)
	if !ok {
		return fmt.Errorf("run ssh: the launcher %T cannot run ssh in the foreground", c.cfg.Launcher)
	}
	req.Protocol = ProtocolSSH
	asked := req
	defer func() {
		var ee *platform.ExitError
		if err != nil && !errors.As(err, &ee) { // ssh said why on stderr
			c.logFailure(asked, err)
		}
	}()
	req, err = c.complete(ctx, req, nil)
	if err != nil {
		return err
	}
	var info TunnelInfo
	if !req.SSH.ProxyCommand {
		key := TunnelKey{Ref: req.Instance.InstanceRef, Port: req.Port}
		info, err = c.cfg.Tunnels.AcquireAt(ctx, key, false, req.LocalPort)
		if err != nil {
			return c.tunnelError(ctx, req, err)
		}
		defer c.cfg.Tunnels.Release(key)
	}
	return runner.RunSSH(ctx, c.sshSpec(req, info), stdio.In, stdio.Out, stdio.Err)
}

// logFailure logs a connect that failed, with its cause, at info: the
// user sees it in a dialog or on stderr; the log keeps it for later. req is
// the request as asked (a failed one was not completed).
func (c *Connector) logFailure(req Request, err error) {
	c.log.Info("connect failed", slog.String("instance", req.Instance.Name), slog.String("profile", req.ProfileID),
		slog.String("protocol", req.Protocol.String()), slog.Int("port", req.Port), slog.Any("error", err))
}

// tunnelError explains a tunnel that could not be opened. IAP's "cannot
// reach the port" reads as firewall advice; when the VM turns out to be
// stopped (since the inventory was loaded, or it was known by name only)
// that is said instead.
func (c *Connector) tunnelError(ctx context.Context, req Request, err error) *UserError {
	if errors.Is(err, tunnel.ErrBackendUnreachable) && c.cfg.Instances != nil && ctx.Err() == nil {
		if inst, gerr := c.cfg.Instances.GetInstance(ctx, req.Instance.InstanceRef); gerr == nil && !inst.Running() {
			return notRunning(*inst, req.CommandLine)
		}
	}
	return c.connectError(req, err)
}

// connectError explains a tunnel or launch failure where req's user reads
// it.
func (c *Connector) connectError(req Request, err error) *UserError {
	if req.CommandLine {
		return connectError(req.Instance.InstanceRef, req.Port, err, onCommandLine)
	}
	return ConnectError(req.Instance.InstanceRef, req.Port, err)
}

// launch starts the client for s and watches it; key is the tunnel it holds.
func (c *Connector) launch(ctx context.Context, s *Session, key *TunnelKey) (*Session, error) {
	req := s.Request
	spec, err := c.spec(req, s.Tunnel)
	if err == nil {
		s.Process, err = c.cfg.Launcher.Launch(ctx, spec)
	}
	if err != nil {
		if key != nil {
			c.cfg.Tunnels.Release(*key)
		}
		return nil, c.connectError(req, err)
	}
	c.log.Info("client started", slog.String("instance", req.Instance.Name), slog.String("protocol", req.Protocol.String()),
		slog.Int("local_port", s.Tunnel.LocalPort), slog.Any("process", s.Process))
	untrack := c.sessions.Add(SessionInfo{Kind: sessionKind(req), Target: req.Instance.Name})
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		s.err = s.Process.Wait()
		untrack()
		// Closed in the tunnels panel while the client used it: the
		// client's complaint is about the disconnect the user asked for.
		s.closedByUser = key != nil && s.Tunnel.ClosedByUser()
		if key != nil {
			if s.Process.Detached() {
				// The command handed over to a running program (Windows
				// Terminal, Remmina, …): its session outlives it, so the
				// tunnel stays until closed in the panel.
				c.cfg.Tunnels.Keep(*key)
			}
			c.cfg.Tunnels.Release(*key)
		}
		c.log.Info("client exited", slog.String("instance", req.Instance.Name), slog.Bool("tunnel_closed_by_user", s.closedByUser),
			slog.Any("error", s.err))
		close(s.done)
		if c.cfg.OnSessionEnd != nil {
			c.cfg.OnSessionEnd(s)
		}
	}()
	return s, nil
}

// spec builds the launch spec for req against the tunnel.
func (c *Connector) spec(req Request, t TunnelInfo) (platform.Spec, error) {
	inst := req.Instance
	switch req.Protocol {
	case ProtocolRDP:
		return platform.RDPSpec{
			Port: t.LocalPort, Username: req.RDP.Username, Domain: req.RDP.Domain, Password: req.RDP.Password,
			Title: inst.Name, Options: req.RDP.Options,
		}, nil
	case ProtocolSSH:
		return c.sshSpec(req, t), nil
	case ProtocolApp:
		return platform.AppSpec{App: req.App, Port: t.LocalPort, Username: req.SSH.Username, Title: inst.Name}, nil
	}
	return nil, fmt.Errorf("nothing to launch for protocol %v", req.Protocol)
}

func (c *Connector) sshSpec(req Request, t TunnelInfo) platform.SSHSpec {
	inst := req.Instance
	spec := platform.SSHSpec{
		Port:                  t.LocalPort,
		InstanceID:            instanceID(inst),
		InstanceName:          inst.Name,
		Username:              req.SSH.Username,
		KeyFile:               req.SSH.KeyFile,
		KnownHostsFile:        req.SSH.KnownHostsFile,
		StrictHostKeyChecking: req.SSH.StrictHostKeyChecking,
		Options:               req.SSH.Options,
		Command:               req.SSH.Command,
	}
	if req.SSH.ProxyCommand {
		spec.Proxy = &platform.TunnelCommand{
			Executable: c.cfg.Executable, Instance: inst.Name, Project: inst.Project, Zone: inst.Zone, Port: req.Port,
		}
	}
	return spec
}

// instanceID is the VM's numeric ID for the host key alias compute.<id>, or
// its name when the ID is unknown.
func instanceID(inst Instance) string {
	if inst.ID != 0 {
		return fmt.Sprint(inst.ID)
	}
	return inst.Name
}

// Wait waits for every session's watcher (after the clients have exited).
func (c *Connector) Wait() { c.wg.Wait() }
