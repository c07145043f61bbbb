package platform

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"iapdesk/internal/gcename"
)

// SSHSpec describes an ssh session to a VM, either through a local tunnel
// port (the default) or through a ProxyCommand that starts the tunnel
// itself (Proxy set).
type SSHSpec struct {
	Host         string // tunnel listener address; default "127.0.0.1"
	Port         int    // tunnel port; unused with Proxy
	InstanceID   string // numeric VM id: host keys are kept under compute.<id>
	InstanceName string // for the window title, and the destination with Proxy
	Username     string
	KeyFile      string // private key; empty to use ssh's defaults/agent

	// KnownHostsFile keeps the VMs' host keys (per instance, not per
	// ephemeral port). Default Config.ConfigDir/known_hosts.
	KnownHostsFile string

	// Proxy, when set, makes ssh start `iapdesk tunnel … --listen-on-stdin`
	// itself instead of connecting to Port.
	Proxy *TunnelCommand

	// StrictHostKeyChecking is passed on when not empty ("yes",
	// "accept-new", "ask", "no"); ssh's default asks in the terminal.
	StrictHostKeyChecking string

	Options []string // extra ssh options, "Key=value" each
	Command []string // remote command; empty for a login shell
	Title   string   // terminal window title; default the instance name
}

func (SSHSpec) spec() {}

// LogValue describes the spec for slog.
func (s SSHSpec) LogValue() slog.Value {
	return slog.GroupValue(slog.String("instance", s.InstanceName), slog.Int("port", s.Port),
		slog.String("username", s.Username), slog.Bool("proxy_command", s.Proxy != nil))
}

// TunnelCommand is the `iapdesk tunnel` invocation ssh runs as its
// ProxyCommand.
type TunnelCommand struct {
	Executable string // absolute path of iapdesk
	Instance   string
	Project    string
	Zone       string
	Port       int // remote port; default 22
	// Flags are more `iapdesk tunnel` flags, "--name=value" each: the
	// endpoints and credentials of a generated ssh config
	// (SSHConfigHost).
	Flags []string
}

// Argv returns the command line of the tunnel.
func (t TunnelCommand) Argv() []string {
	port := t.Port
	if port == 0 {
		port = 22
	}
	argv := []string{t.Executable, "tunnel", t.Instance, strconv.Itoa(port),
		"--project", t.Project, "--zone", t.Zone, "--listen-on-stdin"}
	return append(argv, t.Flags...)
}

var (
	instanceIDRE  = regexp.MustCompile(`^[0-9]{1,20}$`)
	hostAliasRE   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	sshUserRE     = regexp.MustCompile(`^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$`)
	sshOptionRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*=`)
	hostKeyCheckV = map[string]bool{"": true, "yes": true, "no": true, "ask": true, "accept-new": true, "off": true}
)

func (t TunnelCommand) validate() error {
	if t.Executable == "" || !filepath.IsAbs(t.Executable) && !isWindowsAbs(t.Executable) {
		return fmt.Errorf("ProxyCommand: iapdesk path %q is not absolute", t.Executable)
	}
	// Compute Engine's names, as the rest of iapdesk checks them: a
	// project ID or number, a zone, a VM's name or numeric ID.
	for _, f := range []struct {
		what, v string
		ok      func(string) bool
	}{{"instance", t.Instance, gcename.IsInstance}, {"project", t.Project, gcename.IsProject}, {"zone", t.Zone, gcename.IsName}} {
		if !f.ok(f.v) {
			return fmt.Errorf("ProxyCommand: %s %q is not a Compute Engine name", f.what, f.v)
		}
	}
	if t.Port < 0 || t.Port > 65535 {
		return fmt.Errorf("ProxyCommand: port %d: want 1-65535", t.Port)
	}
	for _, f := range t.Flags {
		if !strings.HasPrefix(f, "--") {
			return fmt.Errorf("ProxyCommand: flag %q: want --name=value", f)
		}
		if err := checkPrintable("ProxyCommand: flag", f); err != nil {
			return err
		}
	}
	return checkPrintable("ProxyCommand: iapdesk path", t.Executable)
}

// ProxyCommandLine returns the ProxyCommand value that runs t: quoted for
// the shell ssh runs it with (POSIX sh, or the Windows command line on
// Windows), with % doubled because ssh expands %-tokens in it.
func ProxyCommandLine(goos string, t TunnelCommand) (string, error) {
	if err := t.validate(); err != nil {
		return "", err
	}
	var line string
	if goos == "windows" {
		line = windowsJoin(t.Argv())
	} else {
		line = shellJoin(t.Argv())
	}
	return strings.ReplaceAll(line, "%", "%%"), nil
}

func (s SSHSpec) validate() error {
	if s.Proxy == nil && (s.Port < 1 || s.Port > 65535) {
		return fmt.Errorf("ssh port %d: want 1-65535", s.Port)
	}
	if err := checkHost(s.Host); err != nil {
		return err
	}
	if !instanceIDRE.MatchString(s.InstanceID) {
		return fmt.Errorf("instance id %q: want the numeric Compute Engine id", s.InstanceID)
	}
	if !sshUserRE.MatchString(s.Username) {
		return fmt.Errorf("ssh username %q: want letters, digits, ., _ and - (not starting with -)", s.Username)
	}
	if !hostKeyCheckV[s.StrictHostKeyChecking] {
		return fmt.Errorf("StrictHostKeyChecking %q: want yes, no, ask or accept-new", s.StrictHostKeyChecking)
	}
	if s.KnownHostsFile == "" {
		return errors.New("ssh known_hosts file: none set")
	}
	if s.Proxy != nil {
		if err := s.Proxy.validate(); err != nil {
			return err
		}
	}
	for _, o := range s.Options {
		if !sshOptionRE.MatchString(o) {
			return fmt.Errorf("ssh option %q: want Key=value", o)
		}
		if err := checkPrintable("ssh option", o); err != nil {
			return err
		}
	}
	for _, c := range s.Command {
		if err := checkPrintable("remote command", c); err != nil {
			return err
		}
	}
	return checkPrintable("title", s.Title)
}

// HostKeyAlias returns the name the VM's host key is stored under:
// compute.<instance id>, so that it survives changing tunnel ports.
func (s SSHSpec) HostKeyAlias() string { return "compute." + s.InstanceID }

// SSHArgs returns the ssh command line for spec (without the program name):
//
//	-p PORT -i KEY -o HostKeyAlias=compute.ID -o UserKnownHostsFile=FILE USER@127.0.0.1 [COMMAND…]
//
// or, with Proxy, -o ProxyCommand=… and USER@INSTANCE instead of -p. goos
// selects how the ProxyCommand is quoted.
func SSHArgs(goos string, spec SSHSpec) ([]string, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	var args []string
	if spec.Proxy == nil {
		args = append(args, "-p", strconv.Itoa(spec.Port))
	}
	if spec.KeyFile != "" {
		key, err := sshPath("ssh key", spec.KeyFile)
		if err != nil {
			return nil, err
		}
		args = append(args, "-i", key, "-o", "IdentitiesOnly=yes")
	}
	kh, err := sshPath("known_hosts file", spec.KnownHostsFile)
	if err != nil {
		return nil, err
	}
	if kh, err = SSHConfigQuote(kh); err != nil {
		return nil, err
	}
	args = append(args, "-o", "HostKeyAlias="+spec.HostKeyAlias(), "-o", "UserKnownHostsFile="+kh)
	if spec.StrictHostKeyChecking != "" {
		args = append(args, "-o", "StrictHostKeyChecking="+spec.StrictHostKeyChecking)
	}
	dest := spec.Username + "@"
	if spec.Proxy != nil {
		pc, err := ProxyCommandLine(goos, *spec.Proxy)
		if err != nil {
			return nil, err
		}
		args = append(args, "-o", "ProxyCommand="+pc)
		dest += spec.Proxy.Instance
	} else if spec.Host == "" {
		dest += "127.0.0.1"
	} else {
		dest += spec.Host
	}
	for _, o := range spec.Options {
		args = append(args, "-o", o)
	}
	args = append(args, dest)
	return append(args, spec.Command...), nil
}

// SSHConfigBlock returns a `Host alias` block for ~/.ssh/config that reaches
// the VM through `iapdesk tunnel` as ProxyCommand (spec.Proxy is required;
// Port and Command are not used). Paths are quoted for ssh_config.
func SSHConfigBlock(goos, alias string, spec SSHSpec) (string, error) {
	if spec.Proxy == nil {
		return "", errors.New("ssh config block: the tunnel command (Proxy) is not set")
	}
	if !hostAliasRE.MatchString(alias) {
		return "", fmt.Errorf("ssh config Host %q: use letters, digits, ., _ and -", alias)
	}
	if err := spec.validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	field := func(k, v string) { fmt.Fprintf(&b, "    %s %s\n", k, v) }
	fmt.Fprintf(&b, "Host %s\n", alias)
	field("HostName", spec.Proxy.Instance)
	field("User", spec.Username)
	if spec.KeyFile != "" {
		key, err := sshPath("ssh key", spec.KeyFile)
		if err == nil {
			key, err = SSHConfigQuote(key)
		}
		if err != nil {
			return "", err
		}
		field("IdentityFile", key)
		field("IdentitiesOnly", "yes")
	}
	kh, err := sshPath("known_hosts file", spec.KnownHostsFile)
	if err == nil {
		kh, err = SSHConfigQuote(kh)
	}
	if err != nil {
		return "", err
	}
	field("HostKeyAlias", spec.HostKeyAlias())
	field("UserKnownHostsFile", kh)
	pc, err := ProxyCommandLine(goos, *spec.Proxy)
	if err != nil {
		return "", err
	}
	field("ProxyCommand", pc) // the rest of the line, verbatim, for the shell
	return b.String(), nil
}
