package gce_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/app/gce"
	"iapdesk/app/gcetest"
)

func TestPowerActions(t *testing.T) {
	srv, c := fakeCompute(t, gcetest.Config{OperationDelay: 5 * time.Millisecond, Projects: []gcetest.Project{
		{ID: "power-project", Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a"}}},
		{ID: "readonly-project", Denied: []string{"compute.instances.stop"}, Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a"}}},
	}})
	ctx := context.Background()
	ref := app.InstanceRef{Project: "power-project", Zone: "us-central1-a", Name: "vm-1"}
	steps := []struct {
		name       string
		do         func(context.Context, app.InstanceRef) error
		wantStatus string
	}{
		{"stop", c.Stop, "TERMINATED"},
		{"start", c.Start, "RUNNING"},
		{"reset", c.Reset, "RUNNING"},
	}
	for _, s := range steps {
		if err := s.do(ctx, ref); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		// The action returns after the operation is DONE, so the new
		// state is already there.
		if got, _ := srv.InstanceStatus(ref.Project, ref.Zone, ref.Name); got != s.wantStatus {
			t.Errorf("status after %s = %s, want %s", s.name, got, s.wantStatus)
		}
	}

	tests := []struct {
		name     string
		prepare  func() error
		do       func(context.Context, app.InstanceRef) error
		ref      app.InstanceRef
		sentinel error
		why      string
	}{
		{"reset stopped VM", func() error { return c.Stop(ctx, ref) }, c.Reset, ref, nil, "not running"},
		{"missing VM", nil, c.Start, app.InstanceRef{Project: "power-project", Zone: "us-central1-a", Name: "ghost"},
			app.ErrInstanceNotFound, "does not exist"},
		{"no permission", nil, c.Stop, app.InstanceRef{Project: "readonly-project", Zone: "us-central1-a", Name: "vm-1"},
			app.ErrPermissionDenied, "lack permission"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prepare != nil {
				if err := tc.prepare(); err != nil {
					t.Fatal(err)
				}
			}
			err := tc.do(ctx, tc.ref)
			var ue *app.UserError
			if !errors.As(err, &ue) {
				t.Fatalf("error = %v, want a *UserError", err)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.sentinel)
			}
			if !strings.Contains(ue.Why, tc.why) || ue.Fix == "" || !strings.Contains(ue.What, tc.ref.Name) {
				t.Errorf("UserError = %+v, want why containing %q, a fix and the VM named", ue, tc.why)
			}
		})
	}
}

func TestSerialOutput(t *testing.T) {
	srv, c := fakeCompute(t, gcetest.Config{Projects: []gcetest.Project{
		{ID: "serial-project", Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a", Status: "TERMINATED"}}}}})
	ref := app.InstanceRef{Project: "serial-project", Zone: "us-central1-a", Name: "vm-1"}
	if err := srv.AppendSerial(ref.Project, ref.Zone, ref.Name, 1, "hello\n"); err != nil {
		t.Fatal(err)
	}
	out, err := c.SerialOutput(context.Background(), ref, 1, 0)
	if err != nil || out.Contents != "hello\n" || out.Start != 0 || out.Next != 6 {
		t.Fatalf("SerialOutput = %+v, %v; want hello from 0 to 6", out, err)
	}
	if err := srv.AppendSerial(ref.Project, ref.Zone, ref.Name, 1, "world\n"); err != nil {
		t.Fatal(err)
	}
	out, err = c.SerialOutput(context.Background(), ref, 1, out.Next)
	if err != nil || out.Contents != "world\n" {
		t.Errorf("SerialOutput(next) = %+v, %v; want only the new output", out, err)
	}
	_, err = c.SerialOutput(context.Background(), app.InstanceRef{Project: "serial-project", Zone: "us-central1-a", Name: "ghost"}, 1, 0)
	if !errors.Is(err, app.ErrInstanceNotFound) {
		t.Errorf("SerialOutput(ghost) = %v, want ErrInstanceNotFound", err)
	}
}

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
