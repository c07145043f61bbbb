package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/app/gce"
	"iapdesk/app/gcetest"
)

// fakeCompute starts the fake with projects and returns a Compute client
// on it.
func fakeCompute(t *testing.T, cfg gcetest.Config) (*gcetest.Server, *gce.Compute) {
	t.Helper()
	srv, err := gcetest.NewServer(cfg)
	if err != nil {
		t.Fatalf("gcetest.NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	c, err := gce.NewCompute(context.Background(), gce.ComputeConfig{API: fakeAPI(srv)})
	if err != nil {
		t.Fatalf("NewCompute: %v", err)
	}
	return srv, c
}

func newLoader(t *testing.T, l app.InstanceLister) *app.Loader {
	t.Helper()
	ld, err := app.NewLoader(app.LoaderConfig{Lister: l, Concurrency: 3})
	if err != nil {
		t.Fatalf("NewLoader: %v", err)
	}
	return ld
}

func infos(ids ...string) []app.ProjectInfo {
	var out []app.ProjectInfo
	for _, id := range ids {
		out = append(out, app.ProjectInfo{ID: id})
	}
	return out
}

// TestLoadMixedProjects: projects that 403, have the API disabled or were
// deleted show their UserError while the others load.
func TestLoadMixedProjects(t *testing.T) {
	gen := gcetest.Generate(3, 7)
	gen = append(gen,
		gcetest.Project{ID: "forbidden-proj", Failure: gcetest.FailureForbidden},
		gcetest.Project{ID: "disabled-proj", Failure: gcetest.FailureServiceDisabled},
		gcetest.Project{ID: "deleted-proj", Failure: gcetest.FailureNotFound},
	)
	_, c := fakeCompute(t, gcetest.Config{Projects: gen})
	ids := []string{gen[0].ID, "forbidden-proj", gen[1].ID, "disabled-proj", "deleted-proj", gen[2].ID}
	inv, err := newLoader(t, c).Load(context.Background(), infos(ids...))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var gotOrder []string
	for _, p := range inv.Projects {
		gotOrder = append(gotOrder, p.ID)
	}
	if !slices.Equal(gotOrder, ids) {
		t.Errorf("project order = %v, want the order given %v", gotOrder, ids)
	}
	tests := []struct {
		project  string
		sentinel error
		why, fix string
	}{
		{"forbidden-proj", app.ErrPermissionDenied, "you lack compute.instances.list on project forbidden-proj", "roles/compute.viewer"},
		{"disabled-proj", app.ErrAPIDisabled, "Compute Engine API is not enabled",
			"https://console.cloud.google.com/apis/library/compute.googleapis.com?project=disabled-proj"},
		{"deleted-proj", app.ErrProjectNotFound, "deleted-proj does not exist", "Check the project ID"},
	}
	for _, tc := range tests {
		t.Run(tc.project, func(t *testing.T) {
			p, ok := inv.Project(tc.project)
			if !ok {
				t.Fatalf("project %s missing", tc.project)
			}
			if p.Err == nil {
				t.Fatalf("project %s has no error", tc.project)
			}
			if !errors.Is(p.Err, tc.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", p.Err, tc.sentinel)
			}
			var aerr *app.APIError
			if !errors.As(p.Err, &aerr) {
				t.Errorf("project error %v does not wrap the *app.APIError", p.Err)
			}
			if !strings.Contains(p.Err.Why, tc.why) || !strings.Contains(p.Err.Fix, tc.fix) {
				t.Errorf("UserError = why %q fix %q, want why containing %q and fix containing %q", p.Err.Why, p.Err.Fix, tc.why, tc.fix)
			}
			if !strings.Contains(p.Err.What, tc.project) {
				t.Errorf("What = %q, want the project named", p.Err.What)
			}
			n, _ := inv.Node(app.ProjectNode(tc.project))
			if n.Err != p.Err || len(inv.Children(n.ID)) != 0 || !inv.IsBranch(n.ID) {
				t.Errorf("node %s = err %v children %v, want the project error and no children", n.ID, n.Err, inv.Children(n.ID))
			}
		})
	}
	for _, g := range gen[:3] {
		p, _ := inv.Project(g.ID)
		if p.Err != nil || p.InstanceCount() != len(g.Instances) {
			t.Errorf("project %s = err %v, %d instances; want %d instances", g.ID, p.Err, p.InstanceCount(), len(g.Instances))
		}
	}
}

// TestLoadMatchesFake checks every field of every VM against what the
// fake serves, over several pages.
func TestLoadMatchesFake(t *testing.T) {
	gen := gcetest.Generate(2, 23)
	srv, err := gcetest.NewServer(gcetest.Config{Projects: gen, PageSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := gce.NewCompute(context.Background(), gce.ComputeConfig{API: fakeAPI(srv)})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := newLoader(t, c).Load(context.Background(), infos(gen[0].ID, gen[1].ID))
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.InstanceCount(); got != 46 {
		t.Errorf("InstanceCount = %d, want 46 (2 × 23 over pages of 4)", got)
	}
	for _, p := range gen {
		for _, want := range p.Instances {
			got, ok := inv.Instance(app.InstanceRef{Project: p.ID, Zone: want.Zone, Name: want.Name})
			if !ok {
				t.Errorf("VM %s/%s/%s missing", p.ID, want.Zone, want.Name)
				continue
			}
			status := want.Status
			if status == "" {
				status = "RUNNING"
			}
			wantOS := app.OSLinux
			if want.OS == gcetest.Windows {
				wantOS = app.OSWindows
			}
			if got.Status != status || got.MachineType != want.MachineType || got.InternalIP != want.InternalIP ||
				got.ExternalIP != want.ExternalIP || got.OS != wantOS || got.ID == 0 || got.Labels["role"] != want.Labels["role"] {
				t.Errorf("VM %s = %+v, want status %s type %s ip %s/%s os %v labels %v",
					want.Name, got, status, want.MachineType, want.InternalIP, want.ExternalIP, wantOS, want.Labels)
			}
		}
	}
	// The client asks for a partial response, partial success and big pages.
	var lists int
	for _, r := range srv.Requests() {
		if !strings.HasSuffix(r.Path, "/aggregated/instances") {
			continue
		}
		lists++
		if f := r.Query["fields"]; len(f) != 1 || !strings.Contains(f[0], "items/*/instances(") || !strings.Contains(f[0], "nextPageToken") {
			t.Errorf("aggregatedList fields = %q, want a partial response mask", f)
		}
		if got := r.Query["returnPartialSuccess"]; !slices.Equal(got, []string{"true"}) {
			t.Errorf("aggregatedList returnPartialSuccess = %q, want true", got)
		}
		if got := r.Query["maxResults"]; !slices.Equal(got, []string{"500"}) {
			t.Errorf("aggregatedList maxResults = %q, want 500", got)
		}
	}
	if lists < 12 { // ceil(23/4) = 6 pages per project
		t.Errorf("%d aggregatedList requests, want at least 12 (pagination)", lists)
	}
}

func TestWindowsDetectionAndOSLogin(t *testing.T) {
	proj := gcetest.Project{ID: "detect-project",
		Metadata: []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "TRUE"}},
		Instances: []gcetest.Instance{
			{Name: "win-features", Zone: "us-central1-a", OS: gcetest.Windows, Licenses: []string{}},
			{Name: "win-license", Zone: "us-central1-a", OS: gcetest.Windows, GuestOSFeatures: []string{},
				Licenses: []string{"windows-cloud/windows-server-2019-dc-byol"}},
			{Name: "linux", Zone: "us-central1-a"},
			{Name: "linux-oslogin-off", Zone: "us-central1-b", Metadata: []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "false"}}},
			{Name: "linux-bogus-flag", Zone: "us-central1-b", Metadata: []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "maybe"}}},
			{Name: "linux-2fa", Zone: "us-central1-b", Metadata: []gcetest.MetadataItem{{Key: "enable-oslogin-2fa", Value: "Yes"}}},
		}}
	_, c := fakeCompute(t, gcetest.Config{Projects: []gcetest.Project{proj}})
	l, err := c.ListInstances(context.Background(), "detect-project")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		os        app.OS
		osLogin   bool
		osLogin2F bool
	}{
		{"win-features", app.OSWindows, true, false},
		{"win-license", app.OSWindows, true, false},
		{"linux", app.OSLinux, true, false},
		{"linux-oslogin-off", app.OSLinux, false, false}, // the instance value wins, even false
		{"linux-bogus-flag", app.OSLinux, true, false},   // unparseable counts as unset
		{"linux-2fa", app.OSLinux, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := slices.IndexFunc(l.Instances, func(in app.Instance) bool { return in.Name == tc.name })
			if i < 0 {
				t.Fatalf("VM %s missing", tc.name)
			}
			in := l.Instances[i]
			if in.OS != tc.os || in.OSLogin != tc.osLogin || in.OSLogin2FA != tc.osLogin2F {
				t.Errorf("%s: OS %v OSLogin %v 2FA %v, want %v %v %v", tc.name, in.OS, in.OSLogin, in.OSLogin2FA, tc.os, tc.osLogin, tc.osLogin2F)
			}
		})
	}
}

func TestLoadUnreachableZone(t *testing.T) {
	proj := gcetest.Project{ID: "outage-project", Unreachable: []string{"us-east1-b"}, Instances: []gcetest.Instance{
		{Name: "a", Zone: "us-central1-a"}, {Name: "b", Zone: "us-east1-b"}}}
	_, c := fakeCompute(t, gcetest.Config{Projects: []gcetest.Project{proj}})
	inv, err := newLoader(t, c).Load(context.Background(), infos("outage-project"))
	if err != nil {
		t.Fatal(err)
	}
	p := inv.Projects[0]
	if p.Err != nil || p.InstanceCount() != 1 || !slices.Equal(p.Unreachable, []string{"zones/us-east1-b"}) {
		t.Errorf("project = err %v, %d VMs, unreachable %v; want 1 VM and zones/us-east1-b unreachable", p.Err, p.InstanceCount(), p.Unreachable)
	}
}

// gateLister blocks every ListInstances until a value arrives on release,
// announces each call on started, and records the most calls in flight.
type gateLister struct {
	mu       sync.Mutex // guards inFlight and max
	inFlight int
	max      int
	started  chan struct{}
	release  chan struct{}
}

func newGate() *gateLister {
	return &gateLister{started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (g *gateLister) ListInstances(ctx context.Context, project string) (app.Listing, error) {
	g.mu.Lock()
	g.inFlight++
	g.max = max(g.max, g.inFlight)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	g.started <- struct{}{}
	select {
	case <-g.release:
		return app.Listing{Instances: []app.Instance{{InstanceRef: app.InstanceRef{Project: project, Zone: "z-1", Name: "vm"}, OS: app.OSLinux}}}, nil
	case <-ctx.Done():
		return app.Listing{}, ctx.Err()
	}
}

func TestLoadBoundedConcurrency(t *testing.T) {
	g := newGate()
	ld := newLoader(t, g) // Concurrency 3
	const n = 10
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("project-%03d", i))
	}
	done := make(chan error, 1)
	go func() {
		inv, err := ld.Load(context.Background(), infos(ids...))
		if err == nil && inv.InstanceCount() != n {
			err = fmt.Errorf("loaded %d VMs, want %d", inv.InstanceCount(), n)
		}
		done <- err
	}()
	// Three calls start; each release lets one finish and the next start.
	for range 3 {
		<-g.started
	}
	for i := range n {
		g.release <- struct{}{}
		if i+3 < n {
			<-g.started
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("Load: %v", err)
	}
	if g.max != 3 {
		t.Errorf("max concurrent ListInstances = %d, want the limit 3", g.max)
	}
}

func TestLoadCancel(t *testing.T) {
	g := newGate() // never released
	ld := newLoader(t, g)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := ld.Load(ctx, infos("p-aaaaaa", "p-bbbbbb", "p-cccccc", "p-dddddd"))
		done <- err
	}()
	<-g.started // a list is under way
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Load after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load did not return after cancel")
	}
}

// TestListWithoutProjectGet: a user who may list VMs but not read the
// project still sees them; only the project-wide OS Login default is lost.
func TestListWithoutProjectGet(t *testing.T) {
	_, c := fakeCompute(t, gcetest.Config{Projects: []gcetest.Project{{ID: "no-get-project",
		Denied:    []string{"compute.projects.get"},
		Metadata:  []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "true"}},
		Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a"}}}}})
	l, err := c.ListInstances(context.Background(), "no-get-project")
	if err != nil {
		t.Fatalf("ListInstances: %v", err)
	}
	if len(l.Instances) != 1 || l.Instances[0].OSLogin {
		t.Errorf("ListInstances = %+v, want the VM with OS Login unknown (false)", l.Instances)
	}
}

// fakeAPI points every client at the fake, with its bearer token.
func fakeAPI(srv *gcetest.Server) gce.API {
	return gce.API{HTTPClient: srv.HTTPClient(), ComputeURL: srv.URL + "/compute/v1/", OSLoginURL: srv.URL + "/", ResourceManagerURL: srv.URL + "/"}
}
