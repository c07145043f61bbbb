package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"iapdesk/platform"
	"iapdesk/platform/atomicfile"
)

// SSHConfigFile is the name of the file `iapdesk ssh-config` manages in
// the ssh directory, beside the user's own config.
const SSHConfigFile = "iapdesk.config"

// SSHConfigConfig configures an SSHConfig.
type SSHConfigConfig struct {
	// Connector completes each VM's SSH settings (Connector.SSHHosts).
	// Required.
	Connector *Connector
	// Dir is the ssh directory: the managed file Dir/iapdesk.config, the
	// Include in Dir/config. "" means ~/.ssh.
	Dir string
	// Executable is iapdesk's own absolute path, the ProxyCommands'.
	// Required.
	Executable string
	// KnownHostsFile is iapdesk's known_hosts (host keys are kept there
	// under compute.ID). Required.
	KnownHostsFile string
	// GOOS decides how ProxyCommands are quoted; "" means this OS.
	GOOS string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// SSHConfig is `iapdesk ssh-config`: a managed ssh config with one Host
// block per VM of the loaded projects, INSTANCE.ZONE.PROJECT and (where
// unique) INSTANCE, whose ProxyCommand is `iapdesk tunnel …
// --listen-on-stdin`, so that ssh, scp, rsync, Ansible or VS Code reach
// the VMs through IAP with no glue of their own; and one Include line at
// the top of the user's ~/.ssh/config.
type SSHConfig struct {
	cfg SSHConfigConfig
	log *slog.Logger
	mu  sync.Mutex // serialises writes of the two files
}

// NewSSHConfig returns the use case; it does no I/O.
func NewSSHConfig(cfg SSHConfigConfig) (*SSHConfig, error) {
	if cfg.Connector == nil || cfg.Executable == "" || cfg.KnownHostsFile == "" {
		return nil, errors.New("app: SSHConfigConfig needs Connector, Executable and KnownHostsFile")
	}
	if cfg.Dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("find the ssh directory: %w", err)
		}
		cfg.Dir = filepath.Join(home, ".ssh")
	}
	if cfg.GOOS == "" {
		cfg.GOOS = runtime.GOOS
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &SSHConfig{cfg: cfg, log: log}, nil
}

// Path is the managed file.
func (s *SSHConfig) Path() string { return filepath.Join(s.cfg.Dir, SSHConfigFile) }

// UserConfig is the user's ssh config, which includes the managed file.
func (s *SSHConfig) UserConfig() string { return filepath.Join(s.cfg.Dir, "config") }

// Written reports whether the managed file exists: the window then keeps
// it current as the inventory refreshes.
func (s *SSHConfig) Written() bool {
	_, err := os.Stat(s.Path())
	return err == nil
}

// SSHConfigResult says what Write wrote.
type SSHConfigResult struct {
	Path    string   // the managed file
	Hosts   int      // Host blocks
	Skipped []string // VMs left out, with why
	Changed bool     // the managed file or the Include changed
}

// Write writes the managed file for the VMs of inv (Windows VMs left
// out), then makes sure the user's config includes it; flags go to every
// ProxyCommand (the endpoints and credentials to use). An unchanged file
// is not rewritten. Both files are written atomically, 0600.
func (s *SSHConfig) Write(ctx context.Context, inv *Inventory, flags []string) (SSHConfigResult, error) {
	content, res, err := s.build(ctx, inv, flags)
	if err != nil {
		return res, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, err := os.ReadFile(s.Path()); err != nil || !bytes.Equal(old, content) {
		if err := atomicfile.Write(s.Path(), content); err != nil {
			return res, fmt.Errorf("write %s: %w", s.Path(), err)
		}
		res.Changed = true
	}
	added, err := s.include()
	res.Changed = res.Changed || added
	return res, err
}

// build renders the managed file.
func (s *SSHConfig) build(ctx context.Context, inv *Inventory, flags []string) ([]byte, SSHConfigResult, error) {
	res := SSHConfigResult{Path: s.Path()}
	var insts []Instance
	names := map[string]int{}
	if inv != nil {
		for _, p := range inv.Projects {
			for _, z := range p.Zones {
				for _, in := range z.Instances {
					if in.OS == OSWindows {
						continue
					}
					insts = append(insts, in)
					names[in.Name]++
				}
			}
		}
	}
	reqs, err := s.cfg.Connector.SSHHosts(ctx, insts)
	if err != nil {
		return nil, res, err
	}
	var b strings.Builder
	b.WriteString("# Written by `iapdesk ssh-config`: one Host block per VM of the projects in iapdesk,\n" +
		"# reached through IAP (`iapdesk tunnel` as ProxyCommand). Do not edit: iapdesk rewrites\n" +
		"# this file; `iapdesk ssh-config --remove` removes it and its Include.\n")
	for _, req := range reqs {
		in := req.Instance
		aliases := []string{in.Name + "." + in.Zone + "." + in.Project}
		if names[in.Name] == 1 {
			aliases = append(aliases, in.Name)
		}
		tflags := append([]string(nil), flags...)
		if s.cfg.Connector.publishesKeys() {
			tflags = append(tflags, "--publish-ssh-key="+req.SSH.Username)
		}
		spec := platform.SSHSpec{
			InstanceID: instanceID(in), InstanceName: in.Name, Username: req.SSH.Username, KeyFile: req.SSH.KeyFile,
			KnownHostsFile: s.cfg.KnownHostsFile,
			Proxy: &platform.TunnelCommand{Executable: s.cfg.Executable, Instance: in.Name, Project: in.Project,
				Zone: in.Zone, Port: req.Port, Flags: tflags},
		}
		block, err := platform.SSHConfigHost(s.cfg.GOOS, aliases, spec)
		if err != nil {
			// A name ssh_config cannot carry (a domain-scoped project's
			// colon), or a user name ssh would refuse.
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: %v", aliases[0], err))
			s.log.Warn("vm left out of the ssh config", slog.String("instance", aliases[0]), slog.Any("error", err))
			continue
		}
		b.WriteString("\n")
		b.WriteString(block)
		res.Hosts++
	}
	return []byte(b.String()), res, nil
}

// includeComment is the line above the Include; with createdMark, the
// user had no config file, so removing the Include removes the file.
const (
	includeComment = "# Added by `iapdesk ssh-config`; `iapdesk ssh-config --remove` takes it away."
	createdMark    = " (iapdesk created this file.)"
)

// includeLines are the lines added at the top of the user's config.
func (s *SSHConfig) includeLines(created bool) (string, error) {
	q, err := platform.SSHConfigQuote(s.Path())
	if err != nil {
		return "", err
	}
	c := includeComment
	if created {
		c += createdMark
	}
	return c + "\nInclude " + q + "\n", nil
}

// include adds the Include at the top of the user's config once. The
// caller holds s.mu.
func (s *SSHConfig) include() (bool, error) {
	path := s.UserConfig()
	old, err := os.ReadFile(path)
	created := errors.Is(err, fs.ErrNotExist)
	if err != nil && !created {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	if _, _, found, err := s.ours(old); err != nil || found {
		return false, err
	}
	lines, err := s.includeLines(created)
	if err != nil {
		return false, err
	}
	if err := atomicfile.Write(path, append([]byte(lines), old...)); err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	return true, nil
}

// ours finds the Include at the top of content: what the user's own
// config is without it, and whether iapdesk created the file.
func (s *SSHConfig) ours(content []byte) (rest []byte, created, found bool, err error) {
	for _, c := range []bool{false, true} {
		lines, err := s.includeLines(c)
		if err != nil {
			return nil, false, false, err
		}
		if r, ok := bytes.CutPrefix(content, []byte(lines)); ok {
			return r, c, true, nil
		}
	}
	return content, false, false, nil
}

// Remove removes the managed file and the Include, leaving the user's
// config byte for byte as it was before Write added it (and removing it
// when iapdesk had created it). Nothing to remove is not an error.
func (s *SSHConfig) Remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := s.UserConfig()
	content, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read %s: %w", path, err)
	default:
		rest, created, found, err := s.ours(content)
		switch {
		case err != nil:
			return err
		case found && created && len(rest) == 0:
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("remove %s: %w", path, err)
			}
		case found:
			if err := atomicfile.Write(path, rest); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
		}
	}
	if err := os.Remove(s.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", s.Path(), err)
	}
	return nil
}
