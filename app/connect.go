package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"iapdesk/platform"
	"iapdesk/tunnel"
)

// Launcher starts client programs; *platform.Launcher implements it.
type Launcher interface {
	Launch(ctx context.Context, spec platform.Spec) (*platform.Process, error)
}

// SSHRunner runs ssh in the foreground, for `iapdesk ssh`.
type SSHRunner interface {
	RunSSH(ctx context.Context, spec platform.SSHSpec, stdin io.Reader, stdout, stderr io.Writer) error
}

var (
	_ Launcher  = (*platform.Launcher)(nil)
	_ SSHRunner = (*platform.Launcher)(nil)
)

// ErrCredentialsRequired reports that an RDP connection needs a username and
// password that were not given: the UI asks for them and connects again.
var ErrCredentialsRequired = errors.New("credentials required")

// Protocol is what Connect starts against the tunnel.
type Protocol int

// Protocols. ProtocolAuto picks RDP for Windows VMs and SSH for Linux VMs.
const (
	ProtocolAuto   Protocol = iota
	ProtocolRDP             // the system RDP client, port 3389 by default
	ProtocolSSH             // a terminal running ssh, port 22 by default
	ProtocolApp             // a client application (Request.App) on Request.Port
	ProtocolTunnel          // just the tunnel: the UI shows 127.0.0.1:PORT
)

func (p Protocol) String() string {
	return [...]string{"auto", "RDP", "SSH", "app", "tunnel"}[p]
}

// RDPParams are the RDP client's settings for one connection.
type RDPParams struct {
	Username string
	Domain   string
	Password platform.Password
	Options  platform.RDPOptions
}

// SSHParams are ssh's settings for one connection.
type SSHParams struct {
	Username       string
	KeyFile        string // empty: ssh's defaults and agent
	KnownHostsFile string // empty: the launcher's config dir/known_hosts
	// ProxyCommand makes ssh run `iapdesk tunnel --listen-on-stdin` itself
	// instead of using a local port.
	ProxyCommand bool
	// StrictHostKeyChecking is passed to ssh when set.
	StrictHostKeyChecking string
	Options               []string // extra -o options
	Command               []string // remote command; empty for a shell
}

// Request is one connect action.
type Request struct {
	Instance Instance
	Protocol Protocol
	Port     int // remote port; 0 means the protocol's default
	// LocalPort is the preferred local port of a new tunnel (0: a free one).
	LocalPort int
	RDP       RDPParams
	SSH       SSHParams
	App       platform.App // for ProtocolApp
	// KeepOpen keeps the tunnel after the client exits (a setting).
	KeepOpen bool
}

// resolve fills in the protocol and port.
func (r Request) resolve() Request {
	if r.Protocol == ProtocolAuto {
		r.Protocol = ProtocolSSH
		if r.Instance.OS == OSWindows {
			r.Protocol = ProtocolRDP
		}
	}
	if r.Port == 0 {
		switch r.Protocol {
		case ProtocolRDP:
			r.Port = 3389
		case ProtocolSSH:
			r.Port = 22
		}
	}
	return r
}

// Session is a running client and the tunnel it uses.
type Session struct {
	Request Request
	Tunnel  TunnelInfo        // zero with ssh's ProxyCommand
	Process *platform.Process // nil for ProtocolTunnel

	done chan struct{}
	err  error // set before done is closed
}

// Done is closed when the client has exited.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is how the client exited (nil: normally); valid after Done.
func (s *Session) Err() error { return s.err }

// ConnectorConfig configures a Connector.
type ConnectorConfig struct {
	Tunnels  *Tunnels // required
	Launcher Launcher // required
	// Executable is iapdesk's own path, for ssh's ProxyCommand.
	Executable string
	// OnSessionEnd is called, from any goroutine, when a client exits with
	// the error it exited with (nil when normally). It must not block.
	OnSessionEnd func(*Session)
	Logger       *slog.Logger
}

// Connector turns a connect action into a tunnel and a running client:
// open (or reuse) the tunnel → check it → launch the client → keep the
// tunnel while the client runs → release it when the client exits.
type Connector struct {
	cfg ConnectorConfig
	log *slog.Logger
	wg  sync.WaitGroup // one watcher per session
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
	return &Connector{cfg: cfg, log: log}, nil
}

// Connect performs req and returns once the client has started (or, for
// ProtocolTunnel, once the tunnel listens). Errors are *UserError values
// that say what to do; ErrCredentialsRequired asks for RDP credentials.
func (c *Connector) Connect(ctx context.Context, req Request) (*Session, error) {
	req = req.resolve()
	inst := req.Instance
	if inst.Status != "" && !inst.Running() {
		return nil, &UserError{
			What: fmt.Sprintf("Cannot connect to %s", inst.Name),
			Why:  fmt.Sprintf("the VM is %s", inst.Status),
			Fix:  "Start the VM (right-click → Start), wait until it is RUNNING, then connect again.",
		}
	}
	if req.Protocol == ProtocolRDP && (req.RDP.Username == "" || req.RDP.Password == "") {
		return nil, &UserError{
			What: fmt.Sprintf("Credentials needed for %s", inst.Name),
			Why:  "no Windows username and password are saved for this VM",
			Fix:  "Enter them, or generate Windows credentials for the VM.",
			Err:  ErrCredentialsRequired,
		}
	}
	s := &Session{Request: req, done: make(chan struct{})}
	if req.Protocol == ProtocolSSH && req.SSH.ProxyCommand {
		return c.launch(ctx, s, nil)
	}
	key := TunnelKey{Ref: inst.InstanceRef, Port: req.Port}
	info, err := c.cfg.Tunnels.AcquireAt(ctx, key, req.KeepOpen || req.Protocol == ProtocolTunnel, req.LocalPort)
	if err != nil {
		return nil, ConnectError(inst.InstanceRef, req.Port, err)
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
		return nil, ConnectError(req.Instance.InstanceRef, req.Port, err)
	}
	c.log.Info("client started", slog.String("instance", req.Instance.Name), slog.String("protocol", req.Protocol.String()),
		slog.Int("local_port", s.Tunnel.LocalPort), slog.Any("process", s.Process))
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		s.err = s.Process.Wait()
		if key != nil {
			if s.Process.Detached() {
				// The command handed over to a running program (Windows
				// Terminal, Remmina, …): its session outlives it, so the
				// tunnel stays until closed in the panel.
				c.cfg.Tunnels.Keep(*key)
			}
			c.cfg.Tunnels.Release(*key)
		}
		c.log.Info("client exited", slog.String("instance", req.Instance.Name), slog.Any("error", s.err))
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

// RunSSH is `iapdesk ssh`: a tunnel to port 22 (or ssh's ProxyCommand) and
// ssh in the foreground on the given streams, with the same orchestration
// as the window's Connect.
func (c *Connector) RunSSH(ctx context.Context, runner SSHRunner, req Request, stdin io.Reader, stdout, stderr io.Writer) error {
	req.Protocol = ProtocolSSH
	req = req.resolve()
	var info TunnelInfo
	if !req.SSH.ProxyCommand {
		key := TunnelKey{Ref: req.Instance.InstanceRef, Port: req.Port}
		var err error
		info, err = c.cfg.Tunnels.Acquire(ctx, key, false)
		if err != nil {
			return ConnectError(req.Instance.InstanceRef, req.Port, err)
		}
		defer c.cfg.Tunnels.Release(key)
	}
	return runner.RunSSH(ctx, c.sshSpec(req, info), stdin, stdout, stderr)
}

// Wait waits for every session's watcher (after the clients have exited).
func (c *Connector) Wait() { c.wg.Wait() }

// ConnectError turns a tunnel or launch failure into a UserError that says
// which IAM role, firewall rule or package is missing.
func ConnectError(ref InstanceRef, port int, err error) *UserError {
	what := fmt.Sprintf("Cannot connect to %s (port %d)", ref.Name, port)
	var nf *platform.NotFoundError
	var ce *tunnel.CloseError
	reason := ""
	if errors.As(err, &ce) && ce.Reason != "" {
		reason = ": " + ce.Reason
	}
	switch {
	case errors.Is(err, tunnel.ErrNotAuthorized):
		return &UserError{What: what, Why: "IAP denied access" + reason, Err: err,
			Fix: fmt.Sprintf("Ask a project owner to grant you roles/iap.tunnelResourceAccessor (IAP-secured Tunnel User) on project %s or on the VM, and check any access-level policy.", ref.Project)}
	case errors.Is(err, tunnel.ErrUpgradeForbidden):
		return &UserError{What: what, Why: "IAP refused the connection (HTTP 403)", Err: err,
			Fix: fmt.Sprintf("Check that you have roles/iap.tunnelResourceAccessor on project %s; if you are behind a corporate proxy, ask for WebSockets to tunnel.cloudproxy.app to be allowed.", ref.Project)}
	case errors.Is(err, tunnel.ErrBackendUnreachable):
		return &UserError{What: what, Why: fmt.Sprintf("IAP could not reach port %d on the VM%s", port, reason), Err: err,
			Fix: fmt.Sprintf("Allow ingress from 35.235.240.0/20 on TCP port %d: gcloud compute firewall-rules create allow-iap-%d --project=%s --network=NETWORK --direction=INGRESS --allow=tcp:%d --source-ranges=35.235.240.0/20 — and check the service is listening.", port, port, ref.Project, port)}
	case errors.Is(err, tunnel.ErrInstanceNotFound):
		return &UserError{What: what, Why: "IAP could not find the VM" + reason, Err: err,
			Fix: "Refresh the project (F5): the VM may have been renamed, moved or deleted."}
	case errors.Is(err, tunnel.ErrUnauthenticated), errors.Is(err, ErrUnauthenticated):
		return &UserError{What: what, Why: "your credentials were rejected", Err: err,
			Fix: "Sign in again (Account → Sign in)."}
	case errors.Is(err, tunnel.ErrSessionLost):
		return &UserError{What: what, Why: "the tunnel was interrupted and could not be resumed", Err: err,
			Fix: "Connect again."}
	case errors.As(err, &nf):
		fix := fmt.Sprintf("Install %s.", nf.Program)
		if nf.Package != "" {
			fix = fmt.Sprintf("Install %s (on Debian/Ubuntu: sudo apt install %s).", nf.Package, nf.Package)
		}
		return &UserError{What: what, Why: fmt.Sprintf("%s is not installed", nf.Program), Fix: fix, Err: err}
	case errors.Is(err, platform.ErrPasswordRequired):
		return &UserError{What: what, Why: "no password was given", Fix: "Enter the Windows password, or generate Windows credentials.", Err: errors.Join(ErrCredentialsRequired, err)}
	}
	if u := relayError(what, ref.Name, port, err); u != nil {
		return u
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	u := AsUserError(err)
	if u.What == "" {
		u.What = what
	}
	return u
}
