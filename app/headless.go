package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/api/option"

	"iapdesk/auth"
	"iapdesk/platform"
	"iapdesk/tunnel"
)

// HeadlessConfig configures the headless commands (`iapdesk ssh`, `rdp`):
// where the relay and the Compute API are and which credentials to use.
type HeadlessConfig struct {
	URLOverride        string // relay URL (--iap-tunnel-url-override)
	PSCEndpoint        string
	AccessTokenFile    string
	ComputeEndpoint    string // Compute API base URL override; "" is Google's
	InsecureSkipVerify bool
	// Tokens, if set, is used instead of resolving credentials.
	Tokens oauth2.TokenSource
	Logger *slog.Logger
}

// Headless is the connect machinery without a window.
type Headless struct {
	Compute   *Compute
	Tunnels   *Tunnels
	Connector *Connector
	Launcher  *platform.Launcher
	log       *slog.Logger
}

// NewHeadless resolves credentials and builds the Compute client, tunnels
// and connector. Close releases them.
func NewHeadless(ctx context.Context, cfg HeadlessConfig) (*Headless, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	ts := cfg.Tokens
	if ts == nil {
		var desc auth.Description
		var err error
		ts, desc, err = auth.Resolve(ctx, auth.Config{AccessTokenFile: cfg.AccessTokenFile, Logger: log})
		if err != nil {
			return nil, err
		}
		log.Info("using credentials", slog.String("source", desc.String()))
	}
	opts := []option.ClientOption{option.WithTokenSource(ts), option.WithUserAgent(Build().UserAgent())}
	if cfg.ComputeEndpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.ComputeEndpoint))
	}
	comp, err := NewCompute(ctx, ComputeConfig{Options: opts, Logger: log})
	if err != nil {
		return nil, err
	}
	to := TunnelOptions{URLOverride: cfg.URLOverride, PSCEndpoint: cfg.PSCEndpoint, InsecureSkipVerify: cfg.InsecureSkipVerify}
	tunnels, err := NewTunnels(TunnelsConfig{Dialer: to.NewDialer(ts, log), AllowPeer: platform.PeerIsSameUser, Logger: log})
	if err != nil {
		return nil, err
	}
	launcher, err := platform.New(platform.Config{Logger: log})
	if err != nil {
		return nil, err
	}
	exe, _ := os.Executable()
	conn, err := NewConnector(ConnectorConfig{Tunnels: tunnels, Launcher: launcher, Executable: exe, Logger: log})
	if err != nil {
		return nil, err
	}
	return &Headless{Compute: comp, Tunnels: tunnels, Connector: conn, Launcher: launcher, log: log}, nil
}

// Close shuts the tunnels down and waits for the clients' watchers.
func (h *Headless) Close() {
	h.Tunnels.Shutdown()
	h.Connector.Wait()
}

// Lookup reads the VM. Without compute.instances.get (IAP access alone is
// enough to connect) it warns and carries on with the name: host keys are
// then kept under the name instead of the VM's ID.
func (h *Headless) Lookup(ctx context.Context, ref InstanceRef) Instance {
	inst, err := h.Compute.GetInstance(ctx, ref)
	if err != nil {
		h.log.Warn("cannot read the VM; connecting by name", slog.String("instance", ref.Name), slog.Any("error", err))
		return Instance{InstanceRef: ref}
	}
	return *inst
}

// SSHCommand is `iapdesk ssh`.
type SSHCommand struct {
	Ref  InstanceRef
	Port int
	SSH  SSHParams
}

// RunSSH connects and runs ssh in the foreground on stdio.
func (h *Headless) RunSSH(ctx context.Context, c SSHCommand, stdio Stdio) error {
	inst := h.Lookup(ctx, c.Ref)
	if inst.Status != "" && !inst.Running() {
		return &UserError{What: "Cannot connect to " + inst.Name, Why: "the VM is " + inst.Status,
			Fix: fmt.Sprintf("Start it: iapdesk is not needed for that — gcloud compute instances start %s --project %s --zone %s", inst.Name, inst.Project, inst.Zone)}
	}
	if c.SSH.Username == "" {
		c.SSH.Username = DefaultSSHUsername()
	}
	err := h.Connector.RunSSH(ctx, h.Launcher, Request{Instance: inst, Port: c.Port, SSH: c.SSH}, stdio.In, stdio.Out, stdio.Err)
	var ee *platform.ExitError
	if errors.As(err, &ee) {
		return ee // ssh's own status; its messages are already on stderr
	}
	return err
}

// RDPCommand is `iapdesk rdp`.
type RDPCommand struct {
	Ref  InstanceRef
	Port int
	RDP  RDPParams
}

// RunRDP connects, launches the RDP client and waits until it exits.
func (h *Headless) RunRDP(ctx context.Context, c RDPCommand, stdio Stdio) error {
	inst := h.Lookup(ctx, c.Ref)
	if inst.OS == OSAny {
		inst.OS = OSWindows
	}
	s, err := h.Connector.Connect(ctx, Request{Instance: inst, Protocol: ProtocolRDP, Port: c.Port, RDP: c.RDP})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Err, "Connected to %s through 127.0.0.1:%d; waiting for the RDP client to exit.\n", TerminalSafe(inst.Name), s.Tunnel.LocalPort)
	select {
	case <-s.Done():
		return s.Err()
	case <-ctx.Done():
		_ = s.Process.Kill()
		<-s.Done()
		return nil
	}
}

// DefaultSSHUsername is the local user name, lower-cased, as gcloud uses it.
func DefaultSSHUsername() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		name := u.Username
		if i := strings.LastIndexAny(name, `\`); i >= 0 {
			name = name[i+1:] // DOMAIN\user on Windows
		}
		return strings.ToLower(name)
	}
	return "user"
}

// ReadPassword reads one line from r, without its line ending.
func ReadPassword(r io.Reader) (platform.Password, error) {
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

var _ tunnel.ConnDialer = (*tunnel.Dialer)(nil)
