package app_test

import (
	"slices"
	"testing"
	"time"

	"iapdesk/app"
)

func vm(project, zone, name string, os app.OS, status, ip string, labels map[string]string) app.Instance {
	return app.Instance{InstanceRef: app.InstanceRef{Project: project, Zone: zone, Name: name}, OS: os, Status: status,
		InternalIP: ip, MachineType: "e2-medium", Labels: labels}
}

func sampleInventory() *app.Inventory {
	return app.NewInventory([]app.Project{
		{ProjectInfo: app.ProjectInfo{ID: "prod-web", Name: "Prod Web"}, Zones: []app.Zone{
			{Name: "us-central1-b", Instances: []app.Instance{
				vm("prod-web", "us-central1-b", "web-2", app.OSLinux, "RUNNING", "10.0.0.12", map[string]string{"env": "prod", "app": "shop"}),
			}},
			{Name: "us-central1-a", Instances: []app.Instance{
				vm("prod-web", "us-central1-a", "web-1", app.OSLinux, "RUNNING", "10.0.0.11", map[string]string{"env": "prod", "app": "shop"}),
				vm("prod-web", "us-central1-a", "iis-1", app.OSWindows, "TERMINATED", "10.0.1.5", map[string]string{"env": "prod"}),
			}},
		}},
		{ProjectInfo: app.ProjectInfo{ID: "broken"}, Err: &app.UserError{What: "Cannot list VMs in project broken", Why: "no"}},
		{ProjectInfo: app.ProjectInfo{ID: "corp-it", Name: "corp-it"}, Zones: []app.Zone{
			{Name: "europe-west1-b", Instances: []app.Instance{
				vm("corp-it", "europe-west1-b", "dc-01", app.OSWindows, "RUNNING", "10.132.0.2", map[string]string{"role": "domain-controller"}),
			}},
		}},
	}, time.Unix(0, 0))
}

func TestInventoryTree(t *testing.T) {
	inv := sampleInventory()
	tests := []struct {
		id   app.NodeID
		want []app.NodeID
	}{
		{app.RootNode, []app.NodeID{app.ProjectNode("prod-web"), app.ProjectNode("broken"), app.ProjectNode("corp-it")}},
		{app.ProjectNode("prod-web"), []app.NodeID{app.ZoneNode("prod-web", "us-central1-a"), app.ZoneNode("prod-web", "us-central1-b")}},
		{app.ZoneNode("prod-web", "us-central1-a"), []app.NodeID{
			app.InstanceNode(app.InstanceRef{Project: "prod-web", Zone: "us-central1-a", Name: "iis-1"}),
			app.InstanceNode(app.InstanceRef{Project: "prod-web", Zone: "us-central1-a", Name: "web-1"}),
		}},
		{app.ProjectNode("broken"), nil},
		{app.InstanceNode(app.InstanceRef{Project: "corp-it", Zone: "europe-west1-b", Name: "dc-01"}), nil},
	}
	for _, tc := range tests {
		if got := inv.Children(tc.id); !slices.Equal(got, tc.want) {
			t.Errorf("Children(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
	labels := map[app.NodeID]string{
		app.ProjectNode("prod-web"):               "Prod Web (prod-web)",
		app.ProjectNode("corp-it"):                "corp-it",
		app.ZoneNode("prod-web", "us-central1-b"): "us-central1-b",
	}
	for id, want := range labels {
		if n, ok := inv.Node(id); !ok || n.Label != want {
			t.Errorf("Node(%q).Label = %q, want %q", id, n.Label, want)
		}
	}
	n, ok := inv.Node(app.InstanceNode(app.InstanceRef{Project: "corp-it", Zone: "europe-west1-b", Name: "dc-01"}))
	if !ok || n.Kind != app.NodeInstance || n.Instance.InternalIP != "10.132.0.2" || n.Parent != app.ZoneNode("corp-it", "europe-west1-b") {
		t.Errorf("dc-01 node = %+v", n)
	}
	if inv.IsBranch(n.ID) || !inv.IsBranch(app.RootNode) || !inv.IsBranch(app.ProjectNode("broken")) || inv.IsBranch("nope") {
		t.Errorf("IsBranch is wrong for VM, root, erroring project or unknown ID")
	}
	if b, _ := inv.Node(app.ProjectNode("broken")); b.Err == nil {
		t.Errorf("erroring project node has no Err")
	}
	if got := inv.InstanceCount(); got != 4 {
		t.Errorf("InstanceCount = %d, want 4", got)
	}
}

func TestInventoryFilter(t *testing.T) {
	inv := sampleInventory()
	tests := []struct {
		name string
		f    app.Filter
		want []string
	}{
		{"zero", app.Filter{}, []string{"iis-1", "web-1", "web-2", "dc-01"}},
		{"name substring", app.Filter{Text: "WEB"}, []string{"web-1", "web-2"}},
		{"ip prefix", app.Filter{Text: "10.0.1."}, []string{"iis-1"}},
		{"label value", app.Filter{Text: "shop"}, []string{"web-1", "web-2"}},
		{"label key=value", app.Filter{Text: "role=domain"}, []string{"dc-01"}},
		{"label key:value", app.Filter{Text: "env:prod"}, []string{"iis-1", "web-1", "web-2"}},
		{"unknown label", app.Filter{Text: "owner=bob"}, nil},
		{"two terms", app.Filter{Text: "prod web-1"}, []string{"web-1"}},
		{"windows", app.Filter{OS: app.OSWindows}, []string{"iis-1", "dc-01"}},
		{"linux running", app.Filter{OS: app.OSLinux, RunningOnly: true}, []string{"web-1", "web-2"}},
		{"running windows", app.Filter{OS: app.OSWindows, RunningOnly: true}, []string{"dc-01"}},
		{"status key", app.Filter{Text: "status:terminated"}, []string{"iis-1"}},
		{"os key", app.Filter{Text: "os=win"}, []string{"iis-1", "dc-01"}},
		{"zone", app.Filter{Text: "europe"}, []string{"dc-01"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := inv.Filter(tc.f)
			var names []string
			for _, p := range got.Projects {
				for _, z := range p.Zones {
					if len(z.Instances) == 0 {
						t.Errorf("Filter(%+v) kept empty zone %s", tc.f, z.Name)
					}
					for _, in := range z.Instances {
						names = append(names, in.Name)
					}
				}
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("Filter(%+v) = %v, want %v", tc.f, names, tc.want)
			}
			for _, p := range got.Projects {
				if len(p.Zones) == 0 && !tc.f.IsZero() {
					t.Errorf("Filter(%+v) kept project %s without a match", tc.f, p.ID)
				}
			}
			if tc.want == nil && len(got.Projects) != 0 {
				t.Errorf("Filter(%+v) kept %d projects, want none: nothing matches", tc.f, len(got.Projects))
			}
		})
	}
	if n, _ := inv.Filter(app.Filter{}).Node(app.ProjectNode("broken")); n.Err == nil {
		t.Errorf("Filter(zero) lost the project error")
	}
	if inv.Filter(app.Filter{Text: "  "}) != inv {
		t.Errorf("a blank filter should return the inventory itself")
	}
}

func TestTreeStateReconcile(t *testing.T) {
	inv := sampleInventory()
	gone := app.InstanceNode(app.InstanceRef{Project: "prod-web", Zone: "us-central1-a", Name: "deleted-vm"})
	tests := []struct {
		name         string
		in           app.TreeState
		wantSelected app.NodeID
		wantExpanded []app.NodeID
	}{
		{"kept", app.TreeState{Selected: app.ZoneNode("corp-it", "europe-west1-b"),
			Expanded: map[app.NodeID]bool{app.ProjectNode("corp-it"): true}},
			app.ZoneNode("corp-it", "europe-west1-b"), []app.NodeID{app.ProjectNode("corp-it")}},
		{"vanished VM selects its zone", app.TreeState{Selected: gone,
			Expanded: map[app.NodeID]bool{app.ProjectNode("gone-project"): true, app.ProjectNode("prod-web"): true}},
			app.ZoneNode("prod-web", "us-central1-a"), []app.NodeID{app.ProjectNode("prod-web")}},
		{"vanished zone selects its project", app.TreeState{Selected: app.ZoneNode("prod-web", "asia-east1-a")},
			app.ProjectNode("prod-web"), nil},
		{"vanished project selects nothing", app.TreeState{Selected: app.ProjectNode("gone")}, app.RootNode, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.Reconcile(inv)
			if got.Selected != tc.wantSelected {
				t.Errorf("Reconcile().Selected = %q, want %q", got.Selected, tc.wantSelected)
			}
			var exp []app.NodeID
			for id := range got.Expanded {
				exp = append(exp, id)
			}
			slices.Sort(exp)
			if !slices.Equal(exp, tc.wantExpanded) {
				t.Errorf("Reconcile().Expanded = %q, want %q", exp, tc.wantExpanded)
			}
		})
	}
}

func TestInventoryReplace(t *testing.T) {
	inv := sampleInventory()
	fixed := app.Project{ProjectInfo: app.ProjectInfo{ID: "broken"}, Zones: []app.Zone{{Name: "us-east1-b", Instances: []app.Instance{
		vm("broken", "us-east1-b", "x", app.OSLinux, "RUNNING", "10.1.1.1", nil)}}}}
	got := inv.Replace(fixed, time.Unix(1, 0))
	if p, _ := got.Project("broken"); p.Err != nil || p.InstanceCount() != 1 {
		t.Errorf("replaced project = err %v count %d, want loaded", p.Err, p.InstanceCount())
	}
	if p, _ := inv.Project("broken"); p.Err == nil {
		t.Errorf("Replace modified the original inventory")
	}
	if ids := got.Children(app.RootNode); len(ids) != 3 || ids[1] != app.ProjectNode("broken") {
		t.Errorf("Replace changed the project order: %v", ids)
	}
}

func TestInstanceProperties(t *testing.T) {
	in := vm("p", "z", "n", app.OSWindows, "RUNNING", "10.0.0.1", map[string]string{"b": "2", "a": "1"})
	props := in.Properties()
	get := func(name string) string {
		for _, p := range props {
			if p.Name == name {
				return p.Value
			}
		}
		return "<missing>"
	}
	if get("Internal IP") != "10.0.0.1" || get("Operating system") != "Windows" || get("External IP") != "None" || get("OS Login") != "No" {
		t.Errorf("Properties() = %v", props)
	}
	if last := props[len(props)-2:]; last[0].Name != "Label a" || last[1].Name != "Label b" {
		t.Errorf("labels not last and sorted: %v", last)
	}
}
