package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
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

// startSystemSSHD runs the system sshd on a free loopback port with the
// demo's host key, accepting the demo user key for the current OS user only
// (it cannot log anyone else in without root, and as root it allows only
// keys). Its log goes to dir/sshd.log.
func startSystemSSHD(ctx context.Context, dir string, keys *sshKeys) (*proc, string, error) {
	sshd, err := systemSSHD()
	if err != nil {
		return nil, "", err
	}
	if os.Geteuid() == 0 {
		// As root sshd refuses to start without its privilege-separation
		// directory (normally made by the service manager).
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, "", fmt.Errorf("create /run/sshd: %w", err)
		}
	}
	logf, err := os.OpenFile(filepath.Join(dir, "sshd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, "", err
	}
	defer logf.Close() // sshd holds its own copy of the descriptor
	var errs []error
	// The port can be taken between freePort and sshd's bind: retry.
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		conf := filepath.Join(dir, "sshd_config")
		lines := []string{
			"Port " + strconv.Itoa(port),
			"ListenAddress 127.0.0.1",
			"HostKey " + keys.hostKey,
			"PidFile " + filepath.Join(dir, "sshd.pid"),
			"AuthorizedKeysFile " + keys.authorized,
			"PasswordAuthentication no",
			"KbdInteractiveAuthentication no",
			"UsePAM no",
			"StrictModes no",
			"PermitRootLogin prohibit-password",
			"UseDNS no",
			"X11Forwarding no",
			"Subsystem sftp internal-sftp",
		}
		if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			return nil, "", err
		}
		cmd := exec.Command(sshd, "-D", "-e", "-f", conf)
		cmd.Stdout, cmd.Stderr = logf, logf
		addr := "127.0.0.1:" + strconv.Itoa(port)
		p, err := startProc(ctx, cmd, addr)
		if err == nil {
			return p, addr, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", fmt.Errorf("start sshd (see %s): %w", filepath.Join(dir, "sshd.log"), errors.Join(errs...))
}
