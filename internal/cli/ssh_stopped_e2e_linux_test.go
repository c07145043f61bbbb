//go:build linux

package cli_test

import (
	"strings"
	"testing"

	"iapdesk/app/gcetest"
)

// TestE2ESSHStoppedVM: `iapdesk ssh` to a stopped VM says that the VM is
// stopped and how to start it, as the window does, once: no firewall
// advice, and no details that repeat it.
func TestE2ESSHStoppedVM(t *testing.T) {
	w := newSSHWorld(t, gcetest.Project{ID: e2eVM.Project, Instances: []gcetest.Instance{
		{Name: e2eVM.Name, Zone: e2eVM.Zone, OS: gcetest.Linux, ID: 7003, Status: "TERMINATED"}}}, nil, nil)
	code, _, errOut := w.ssh(t, []string{"--user=" + w.sshd.User, "--key=" + w.sshd.ClientKey}, "true")
	if code != 1 {
		t.Errorf("iapdesk ssh to a stopped VM = %d, want 1\n%s", code, errOut)
	}
	for _, want := range []string{"iapdesk ssh: Cannot connect to vm-1: the VM is TERMINATED", "fix: Start it, e.g. gcloud compute instances start vm-1"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr = %q, want %q", errOut, want)
		}
	}
	for _, not := range []string{"firewall", "details:", "not running"} {
		if strings.Contains(errOut, not) {
			t.Errorf("stderr = %q, also says %q", errOut, not)
		}
	}
}
