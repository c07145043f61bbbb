package views

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"iapdesk/app"
	"iapdesk/app/gcetest"
)

// TestTreeListsWhatGCETestServes: the projects in the order added, each
// project's zones and each zone's VMs as the fake Compute API serves them,
// with the icon of their OS and state.
func TestTreeListsWhatGCETestServes(t *testing.T) {
	tw := newTestWorld(t)
	demo := gcetest.Demo()

	var wantProjects []string
	for _, p := range demo {
		wantProjects = append(wantProjects, string(app.ProjectNode(p.ID)))
	}
	if got := tw.w.tree.ChildUIDs(""); !slices.Equal(got, wantProjects) {
		t.Errorf("tree roots = %v, want %v", got, wantProjects)
	}

	for _, p := range demo {
		tw.w.tree.CloseAllBranches() // keep the tree short enough to lay every row out
		byZone := map[string][]gcetest.Instance{}
		for _, in := range p.Instances {
			byZone[in.Zone] = append(byZone[in.Zone], in)
		}
		var zones []string
		for z := range byZone {
			zones = append(zones, string(app.ZoneNode(p.ID, z)))
		}
		sort.Strings(zones)
		if got := tw.w.tree.ChildUIDs(string(app.ProjectNode(p.ID))); !slices.Equal(got, zones) {
			t.Errorf("zones of %s = %v, want %v", p.ID, got, zones)
		}
		for z, ins := range byZone {
			ref := app.InstanceRef{Project: p.ID, Zone: z}
			tw.expand(ref)
			var want []string
			for _, in := range ins {
				want = append(want, in.Name)
			}
			sort.Strings(want)
			var got []string
			for _, id := range tw.w.tree.ChildUIDs(string(app.ZoneNode(p.ID, z))) {
				got = append(got, id[strings.LastIndex(id, "/")+1:])
			}
			if !slices.Equal(got, want) {
				t.Errorf("VMs of %s/%s = %v, want %v", p.ID, z, got, want)
			}
			for _, in := range ins {
				ref.Name = in.Name
				row := tw.row(t, app.InstanceNode(ref))
				// A stopped VM keeps its OS's icon, with a stop mark.
				stopped := in.Status != "" && in.Status != "RUNNING"
				wantIcon := map[[2]bool]fyne.Resource{
					{false, false}: iconLinux, {false, true}: iconLinuxStopped,
					{true, false}: iconWindows, {true, true}: iconWindowsStopped,
				}[[2]bool{in.OS == gcetest.Windows, stopped}]
				if row.label.Text != in.Name || row.icon.Resource != wantIcon {
					t.Errorf("row of %s = %q with icon %s, want %q with %s", ref, row.label.Text, row.icon.Resource.Name(), in.Name, wantIcon.Name())
				}
			}
		}
	}
}

// TestFilter: the search box, OS choice and "Running only" narrow the tree
// to the VMs app's filter keeps, with their branches open.
func TestFilter(t *testing.T) {
	demo := gcetest.Demo()
	type vm struct {
		name    string
		os      gcetest.OS
		running bool
	}
	var all []vm
	for _, p := range demo {
		for _, in := range p.Instances {
			all = append(all, vm{in.Name, in.OS, in.Status == "" || in.Status == "RUNNING"})
		}
	}
	tests := []struct {
		name    string
		text    string
		os      string
		running bool
		keep    func(vm) bool
	}{
		{"text", "rdsh", "", false, func(v vm) bool { return strings.Contains(v.name, "rdsh") }},
		{"windows", "", "Windows", false, func(v vm) bool { return v.os == gcetest.Windows }},
		{"linux running", "", "Linux", true, func(v vm) bool { return v.os == gcetest.Linux && v.running }},
		{"text and os", "prod", "Linux", false, func(v vm) bool { return strings.Contains(v.name, "prod") && v.os == gcetest.Linux }},
		{"no match", "no-such-vm", "", false, func(vm) bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tw := newTestWorld(t)
			test.Type(tw.w.toolbar.search, tc.text)
			if tc.os != "" {
				tw.w.toolbar.os.SetSelected(tc.os)
			}
			tw.w.toolbar.running.SetChecked(tc.running)
			tw.idle()

			var want []string
			for _, v := range all {
				if tc.keep(v) {
					want = append(want, v.name)
				}
			}
			sort.Strings(want)
			var got []string
			for _, id := range shown(tw.w.tree, "") {
				if n, _ := tw.w.tree.inv.Node(id); n.Kind == app.NodeInstance {
					got = append(got, n.Instance.Name)
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("filter %q/%q/running=%v shows %v, want %v", tc.text, tc.os, tc.running, got, want)
			}
			if f := tw.explorer.Filter(); f.Text != tc.text || f.RunningOnly != tc.running {
				t.Errorf("explorer filter = %+v, want text %q running %v", f, tc.text, tc.running)
			}
		})
	}
}

// TestFilterClearedRestoresExpansion: clearing the search closes the
// branches it opened and brings back the ones the user had open.
func TestFilterClearedRestoresExpansion(t *testing.T) {
	tw := newTestWorld(t)
	open := string(app.ProjectNode("acme-corp-it"))
	tw.w.tree.OpenBranch(open)
	test.Type(tw.w.toolbar.search, "spark")
	tw.idle()
	if !tw.w.tree.IsBranchOpen(string(app.ProjectNode("acme-data-platform"))) {
		t.Errorf("while filtering, the project with matches is closed")
	}
	tw.w.toolbar.search.SetText("")
	tw.idle()
	if !tw.w.tree.IsBranchOpen(open) || tw.w.tree.IsBranchOpen(string(app.ProjectNode("acme-data-platform"))) {
		t.Errorf("after clearing the filter: %s open = %v, acme-data-platform open = %v; want true, false",
			open, tw.w.tree.IsBranchOpen(open), tw.w.tree.IsBranchOpen(string(app.ProjectNode("acme-data-platform"))))
	}
}

// TestErroringProjectShowsItsMessage: a project whose Compute API is
// disabled shows app's explanation on its row, and What, Why and Fix in the
// details when selected.
func TestErroringProjectShowsItsMessage(t *testing.T) {
	tw := newTestWorld(t)
	id := app.ProjectNode("acme-legacy-erp")
	p, ok := tw.explorer.Inventory().Project("acme-legacy-erp")
	if !ok || p.Err == nil {
		t.Fatalf("the explorer has no error for acme-legacy-erp: %+v", p)
	}
	row := tw.row(t, id)
	colour := row.note.Segments[0].(*widget.TextSegment).Style.ColorName
	if row.note.Text() != p.Err.What || colour != theme.ColorNameError || row.icon.Resource != iconError {
		t.Errorf("row note = %q (colour %v, icon %s), want %q in the error colour with the error icon",
			row.note.Text(), colour, row.icon.Resource.Name(), p.Err.What)
	}
	if !strings.Contains(p.Err.What, "acme-legacy-erp") {
		t.Errorf("error What = %q, want it to name the project", p.Err.What)
	}
	test.Tap(row)
	got := strings.Join(texts(tw.w.detail.root), "\n")
	for _, want := range []string{p.Err.What, capitalise(p.Err.Why), p.Err.Fix} {
		if !strings.Contains(got, want) {
			t.Errorf("details = %q, want them to contain %q", got, want)
		}
	}
}
