package app_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/app/gcetest"
)

func TestExplorer(t *testing.T) {
	ctx := context.Background()
	demo := gcetest.Demo()
	srv, c := fakeCompute(t, gcetest.Config{Projects: demo, OperationDelay: 5 * time.Millisecond})
	store, _ := newStore(t)
	var changes atomic.Int32
	ex, err := app.NewExplorer(app.ExplorerConfig{Projects: store, Loader: newLoader(t, c), Power: c, Serial: c,
		OnChange: func() { changes.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	var ids []app.ProjectInfo
	for _, p := range demo {
		ids = append(ids, app.ProjectInfo{ID: p.ID, Name: p.Name})
	}
	if err := ex.AddProjects(ctx, ids...); err != nil {
		t.Fatalf("AddProjects: %v", err)
	}
	inv := ex.Inventory()
	want := 0
	for _, p := range demo {
		want += len(p.Instances)
	}
	if got := inv.InstanceCount(); got != want {
		t.Errorf("explorer shows %d VMs, want the %d the fake serves", got, want)
	}
	if p, _ := inv.Project("acme-legacy-erp"); p.Err == nil || !errors.Is(p.Err, app.ErrAPIDisabled) {
		t.Errorf("acme-legacy-erp error = %v, want ErrAPIDisabled", p.Err)
	}

	// The user opens a project and selects a VM; a refresh keeps both.
	dc := app.InstanceRef{Project: "acme-corp-it", Zone: "europe-west1-b", Name: "dc-01"}
	ex.SetExpanded(app.ProjectNode("acme-corp-it"), true)
	ex.SetExpanded(app.ZoneNode("acme-corp-it", "europe-west1-b"), true)
	ex.Select(app.InstanceNode(dc))
	if err := ex.Refresh(ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	st := ex.TreeState()
	if st.Selected != app.InstanceNode(dc) || !st.Expanded[app.ProjectNode("acme-corp-it")] || !st.Expanded[app.ZoneNode("acme-corp-it", "europe-west1-b")] {
		t.Errorf("tree state after refresh = %+v, want selection and expansion kept", st)
	}

	// Filtering is the explorer's job; the unfiltered inventory stays.
	ex.SetFilter(app.Filter{OS: app.OSWindows, Text: "dc-"})
	f := ex.Inventory()
	if f.InstanceCount() != 2 {
		t.Errorf("filtered inventory has %d VMs, want dc-01 and dc-02", f.InstanceCount())
	}
	if ex.Unfiltered().InstanceCount() != want {
		t.Errorf("filter changed the unfiltered inventory")
	}

	// A context-menu action reaches the API and the tree shows the result.
	if err := ex.Stop(ctx, dc); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if in, ok := ex.Unfiltered().Instance(dc); !ok || in.Status != "TERMINATED" {
		t.Errorf("dc-01 after Stop = %+v, want TERMINATED in the tree", in)
	}
	if err := srv.AppendSerial(dc.Project, dc.Zone, dc.Name, 1, "bye\n"); err != nil {
		t.Fatal(err)
	}
	out, err := ex.SerialOutput(ctx, dc, 1, -4)
	if err != nil || out.Contents != "bye\n" {
		t.Errorf("SerialOutput = %+v, %v", out, err)
	}

	// Removing the selected VM's project moves the selection up to the root.
	if err := ex.RemoveProject(ctx, "acme-corp-it"); err != nil {
		t.Fatal(err)
	}
	if _, ok := ex.Inventory().Project("acme-corp-it"); ok {
		t.Errorf("removed project still shown")
	}
	if st := ex.TreeState(); st.Selected != app.RootNode || st.Expanded[app.ProjectNode("acme-corp-it")] {
		t.Errorf("tree state after removal = %+v, want the project's nodes gone", st)
	}
	if remembered, _ := store.Projects(ctx); len(remembered) != len(demo)-1 {
		t.Errorf("store remembers %d projects, want %d", len(remembered), len(demo)-1)
	}
	if changes.Load() == 0 {
		t.Errorf("OnChange was never called")
	}
}

func TestExplorerWithoutActions(t *testing.T) {
	store, _ := newStore(t)
	ex, err := app.NewExplorer(app.ExplorerConfig{Projects: store, Loader: newLoader(t, newGate())})
	if err != nil {
		t.Fatal(err)
	}
	err = ex.Start(context.Background(), app.InstanceRef{Project: "p", Zone: "z", Name: "n"})
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Start without a PowerController = %v, want errors.ErrUnsupported", err)
	}
	if _, err := app.NewExplorer(app.ExplorerConfig{}); err == nil {
		t.Errorf("NewExplorer without dependencies succeeded")
	}
}
