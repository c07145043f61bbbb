package platform

import (
	"errors"
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
