package gcetest_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"
	compute "google.golang.org/api/compute/v1"

	"iapdesk/app/gcetest"
)

// TestMain fails the package if a test leaves a goroutine running: Close
// must wait for everything the server started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newServer starts a fake for one test and closes it when the test ends.
func newServer(t *testing.T, cfg gcetest.Config) *gcetest.Server {
	t.Helper()
	srv, err := gcetest.NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// computeClient is the real compute/v1 client pointed at srv.
func computeClient(t *testing.T, srv *gcetest.Server) *compute.Service {
	t.Helper()
	svc, err := compute.NewService(context.Background(), srv.ComputeOptions()...)
	if err != nil {
		t.Fatalf("compute.NewService: %v", err)
	}
	return svc
}

// names returns the names of the instances in an aggregated list page.
func names(l *compute.InstanceAggregatedList) []string {
	var out []string
	for _, sl := range l.Items {
		for _, in := range sl.Instances {
			out = append(out, in.Name)
		}
	}
	return out
}
