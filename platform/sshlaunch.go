package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
)

func (l *Launcher) sshPlan(goos string, s SSHSpec) (*plan, error) {
	if s.KnownHostsFile == "" {
		if l.configDir == "" {
			return nil, errors.New("ssh known_hosts file: no configuration directory; set Config.ConfigDir")
		}
		s.KnownHostsFile = filepath.Join(l.configDir, "known_hosts")
	}
	args, err := SSHArgs(goos, s)
	if err != nil {
		return nil, err
	}
	ssh, err := l.find(goos, "ssh")
	if err != nil {
		return nil, err
	}
	title := s.Title
	if title == "" {
		title = s.InstanceName
	}
	if title == "" {
		title = "ssh " + s.Username + "@compute." + s.InstanceID
	}
	p, err := l.terminalPlan(goos, title, append([]string{ssh}, args...))
	if err != nil {
		return nil, err
	}
	// ssh adds new host keys to the file but does not create its directory.
	p.dirs = []string{filepath.Dir(s.KnownHostsFile)}
	return p, nil
}

// RunSSH runs ssh for spec in the foreground, on the given streams (the
// caller's terminal for `iapdesk ssh`), and waits for it. It returns nil when
// ssh exits 0 and an *ExitError with ssh's status otherwise.
func (l *Launcher) RunSSH(ctx context.Context, spec SSHSpec, stdin io.Reader, stdout, stderr io.Writer) error {
	if spec.KnownHostsFile == "" {
		if l.configDir == "" {
			return errors.New("ssh known_hosts file: no configuration directory; set Config.ConfigDir")
		}
		spec.KnownHostsFile = filepath.Join(l.configDir, "known_hosts")
	}
	if err := os.MkdirAll(filepath.Dir(spec.KnownHostsFile), 0o700); err != nil {
		return fmt.Errorf("create the known_hosts directory: %w", err)
	}
	args, err := SSHArgs(hostOS, spec)
	if err != nil {
		return err
	}
	ssh, err := l.find(hostOS, "ssh")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, ssh, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.Env = append(os.Environ(), l.env...)
	l.log.Info("running ssh", slog.Any("spec", spec))
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &ExitError{Program: "ssh", Code: ee.ExitCode(), Err: err}
		}
		return fmt.Errorf("run ssh: %w", err)
	}
	return nil
}
