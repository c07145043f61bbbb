package demo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"iapdesk/app"
)

// systemSSHD finds OpenSSH's server: /usr/sbin/sshd, or sshd on PATH. On
// Windows the built-in server is used instead: its sshd wants another
// configuration.
func systemSSHD() (string, error) {
	if runtime.GOOS == "windows" {
		return "", errors.New("the demo runs the system sshd on Unix only")
	}
	if _, err := os.Stat("/usr/sbin/sshd"); err == nil {
		return "/usr/sbin/sshd", nil
	}
	return exec.LookPath("sshd")
}

// sshdConfig is what startSystemSSHD serves.
type sshdConfig struct {
	dir   string
	keys  *sshKeys
	vms   []app.InstanceRef // one port each
	login string            // the only user sshd can log in (unless it runs as root)
	// gceURL is the fake Compute API whose authorized-keys endpoint says
	// which published keys each VM accepts; "" accepts the demo key only.
	gceURL string
}

// maxSSHDPorts is how many ports one sshd listens on: OpenSSH allows at
// most 16 listening sockets (MAX_LISTEN_SOCKS).
const maxSSHDPorts = 16

// startSystemSSHD runs the system sshd on loopback, one port per VM (so
// several daemons for many VMs), with the demo's host key. Every port
// accepts the demo user key for the current OS user and, through an
// AuthorizedKeysCommand (see authkeys.go), the keys published to that VM
// (metadata ssh-keys or OS Login). It cannot log anyone else in without
// root, and as root it allows only keys. The log goes to dir/sshd.log. It
// returns the daemons and each VM's address.
func startSystemSSHD(ctx context.Context, c sshdConfig) ([]*proc, map[app.InstanceRef]string, error) {
	sshd, err := systemSSHD()
	if err != nil {
		return nil, nil, err
	}
	if os.Geteuid() == 0 {
		// As root sshd refuses to start without its privilege-separation
		// directory (normally made by the service manager).
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, nil, fmt.Errorf("create /run/sshd: %w", err)
		}
	}
	logPath := filepath.Join(c.dir, "sshd.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	defer logf.Close() // each sshd holds its own copy of the descriptor
	var procs []*proc
	addrs := make(map[app.InstanceRef]string, len(c.vms))
	for i, group := range slices.Collect(slices.Chunk(c.vms, maxSSHDPorts)) {
		p, a, err := startSSHDGroup(ctx, sshd, c, group, fmt.Sprintf("sshd%d", i), logf)
		if err != nil {
			for _, p := range procs {
				p.stop()
			}
			return nil, nil, fmt.Errorf("start sshd (see %s): %w", logPath, err)
		}
		procs = append(procs, p)
		maps.Copy(addrs, a)
	}
	return procs, addrs, nil
}

// startSSHDGroup runs one sshd for vms, with its files named after name.
func startSSHDGroup(ctx context.Context, sshd string, c sshdConfig, vms []app.InstanceRef, name string, logf *os.File) (*proc, map[app.InstanceRef]string, error) {
	var errs []error
	// A port can be taken between freePorts and sshd's bind: retry.
	for range 3 {
		ports, err := freePorts(len(vms))
		if err != nil {
			return nil, nil, err
		}
		lines := []string{
			"ListenAddress 127.0.0.1",
			"HostKey " + c.keys.hostKey,
			"PidFile " + filepath.Join(c.dir, name+".pid"),
			"AuthorizedKeysFile " + c.keys.authorized,
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"UsePAM no",
			"StrictModes no",
			"PermitRootLogin prohibit-password",
			"UseDNS no",
			"X11Forwarding no",
			"Subsystem sftp internal-sftp",
		}
		addrs := make(map[app.InstanceRef]string, len(vms))
		var match []string // Match blocks end the file
		for i, ref := range vms {
			lines = append(lines, "Port "+strconv.Itoa(ports[i]))
			addrs[ref] = "127.0.0.1:" + strconv.Itoa(ports[i])
			if c.gceURL == "" {
				continue
			}
			akc, err := authorizedKeysCommandLines(ports[i], c.gceURL, ref, c.login)
			if err != nil {
				return nil, nil, err
			}
			match = append(match, akc...)
		}
		conf := filepath.Join(c.dir, name+"_config")
		if err := os.WriteFile(conf, []byte(strings.Join(append(lines, match...), "\n")+"\n"), 0o600); err != nil {
			return nil, nil, err
		}
		cmd := exec.Command(sshd, "-D", "-e", "-f", conf)
		cmd.Stdout, cmd.Stderr = logf, logf
		p, err := startProc(ctx, cmd, slices.Collect(maps.Values(addrs))...)
		if err == nil {
			return p, addrs, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, nil, errors.Join(errs...)
}
