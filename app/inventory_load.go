package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"
)

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	Lister InstanceLister // required
	// Concurrency bounds how many projects are listed at once; 0 means 8.
	Concurrency int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock for Inventory.LoadedAt; nil means time.Now.
	Now func() time.Time
}

// Loader loads the explorer inventory: the VMs of many projects, listed
// concurrently, each project's failure kept on its own node.
type Loader struct {
	lister InstanceLister
	limit  int
	log    *slog.Logger
	now    func() time.Time
}

// NewLoader returns a Loader.
func NewLoader(cfg LoaderConfig) (*Loader, error) {
	if cfg.Lister == nil {
		return nil, errors.New("new loader: Lister is required")
	}
	l := &Loader{lister: cfg.Lister, limit: cfg.Concurrency, log: cfg.Logger, now: cfg.Now}
	if l.limit <= 0 {
		l.limit = 8
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l, nil
}

// Load lists the VMs of projects, at most Concurrency projects at a time.
// A project that fails (no permission, API disabled, deleted…) gets its
// Err set and the others still load; Load itself fails only when ctx ends,
// with ctx's error. Projects keep the order given.
func (l *Loader) Load(ctx context.Context, projects []ProjectInfo) (*Inventory, error) {
	out := make([]Project, len(projects))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.limit)
	for i, p := range projects {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			out[i] = l.LoadProject(gctx, p)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return NewInventory(out, l.now()), nil
}

// LoadProject lists one project. Failures are returned in Project.Err.
func (l *Loader) LoadProject(ctx context.Context, p ProjectInfo) Project {
	out := Project{ProjectInfo: p}
	listing, err := l.lister.ListInstances(ctx, p.ID)
	if err != nil {
		out.Err = ProjectError(p.ID, err)
		l.log.Debug("project not loaded", slog.String("project", p.ID), slog.Any("error", err))
		return out
	}
	out.Unreachable = listing.Unreachable
	byZone := map[string]int{}
	for _, in := range listing.Instances {
		i, ok := byZone[in.Zone]
		if !ok {
			i = len(out.Zones)
			byZone[in.Zone] = i
			out.Zones = append(out.Zones, Zone{Name: in.Zone})
		}
		out.Zones[i].Instances = append(out.Zones[i].Instances, in)
	}
	return out
}
