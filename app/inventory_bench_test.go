package app_test

import (
	"context"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/app/gce"
	"iapdesk/app/gcetest"
)

// BenchmarkInventory10k loads 100 projects × 100 VMs from the fake, over
// loopback HTTP and through the real compute/v1 client, into the model.
// Target: under 2 s per op on a 2-core machine. The time includes the
// fake's side of every request (same process, same cores).
func BenchmarkInventory10k(b *testing.B) {
	const projects, perProject = 100, 100
	gen := gcetest.Generate(projects, perProject)
	srv, err := gcetest.NewServer(gcetest.Config{Projects: gen})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := gce.NewCompute(ctx, gce.ComputeConfig{API: fakeAPI(srv)})
	if err != nil {
		b.Fatal(err)
	}
	l, err := app.NewLoader(app.LoaderConfig{Lister: c})
	if err != nil {
		b.Fatal(err)
	}
	infos := make([]app.ProjectInfo, len(gen))
	for i, p := range gen {
		infos[i] = app.ProjectInfo{ID: p.ID, Name: p.Name}
	}
	// One load first: the fake caches each VM's pruned JSON on first use,
	// which is the fake's cost, not the client's.
	if _, err := l.Load(ctx, infos); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var inv *app.Inventory
	for b.Loop() {
		inv, err = l.Load(ctx, infos)
		if err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if got := inv.InstanceCount(); got != projects*perProject {
		b.Fatalf("Load() loaded %d instances, want %d", got, projects*perProject)
	}
	perOp := elapsed.Seconds() / float64(b.N)
	b.ReportMetric(perOp*1000, "ms/op")
	b.ReportMetric(float64(projects*perProject)/perOp, "instances/s")
}
