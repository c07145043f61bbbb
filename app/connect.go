package app

import (
	"context"
	"errors"
	"io"

	"iapdesk/app/settings"
	"iapdesk/platform"
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
// password that neither the settings, the keyring nor a CredentialPrompter
// gave (a prompter returns it when the user cancels).
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
	// Embedded says the session runs in the window (the ssh.client
	// setting is "embedded"): see Request.CanEmbed.
	Embedded bool
}

// Request is one connect action. A front end fills in what the user
// picked; Connector.Connect completes the rest from the saved settings
// (see Connector), and Session.Request is the completed request.
type Request struct {
	// Instance is the VM. Without a Status (known only by name, as from a
	// link, a profile or a command line) Connect reads it first.
	Instance Instance
	// ProfileID is the saved connection whose target, protocol, port,
	// settings and password apply; "" for a plain connection to Instance.
	ProfileID string
	Protocol  Protocol
	Port      int // remote port; 0 means the protocol's (or the profile's) default
	// Overrides are settings that win over every saved level for this
	// connection: an iap-rdp link's, or a command line's flags.
	Overrides settings.Settings
	// LocalPort is the preferred local port of a new tunnel (0: the
	// tunnel.localPort setting, else a free one).
	LocalPort int
	// RDP and SSH are the client parameters. Set fields win over the
	// settings: a password typed beforehand, ssh's key file, host key
	// checking, options and remote command.
	RDP RDPParams
	SSH SSHParams
	App platform.App // for ProtocolApp
	// KeepOpen keeps the tunnel after the client exits (or the
	// tunnel.keepOpen setting does).
	KeepOpen bool
	// CommandLine says the request comes from a terminal command: errors
	// then name commands and flags rather than menus.
	CommandLine bool
	// CanEmbed says the caller hosts SSH sessions itself (the window's
	// terminal tabs): with ssh.client=embedded, Connect then completes an
	// SSH request and returns it in an Embedded session for SSHClients,
	// without a tunnel or a launched client.
	CanEmbed bool
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
	Process *platform.Process // nil for ProtocolTunnel and embedded sessions
	// Embedded reports an SSH request for the caller to run in the
	// window (Request.CanEmbed, ssh.client=embedded): Request is complete
	// (key published) for SSHClients.Dial; nothing was started.
	Embedded bool

	done         chan struct{}
	err          error // set before done is closed
	closedByUser bool  // set before done is closed
}

// Done is closed when the client has exited.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is how the client exited (nil: normally); valid after Done.
func (s *Session) Err() error { return s.err }

// ClosedByUser reports whether the user closed the session's tunnel
// (Tunnels.Close, the tunnels panel) while the client used it: Err is then
// the client's complaint about that disconnect, which is no failure to
// show. Valid after Done.
func (s *Session) ClosedByUser() bool { return s.closedByUser }
