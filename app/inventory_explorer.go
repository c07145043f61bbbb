package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// ProjectSet is the remembered set of explorer projects.
type ProjectSet interface {
	Projects(ctx context.Context) ([]ProjectInfo, error)
	Add(ctx context.Context, projects ...ProjectInfo) error
	Remove(ctx context.Context, ids ...string) error
}

var _ ProjectSet = (*ProjectStore)(nil)

// ExplorerConfig configures an Explorer.
type ExplorerConfig struct {
	Projects ProjectSet // required
	Loader   *Loader    // required
	// Power and Serial back the VM context-menu actions; nil makes those
	// actions fail with errors.ErrUnsupported.
	Power  PowerController
	Serial SerialReader
	// OnChange is called after the inventory, the filter or the tree state
	// changed, on whatever goroutine made the change, without locks held.
	// Views re-read Inventory and TreeState (on the UI thread, via fyne.Do).
	OnChange func()
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Explorer is the project explorer use case: the remembered projects, the
// loaded inventory, the filter and the tree's expansion and selection. Views
// render Inventory() and forward user actions; they hold no state of their
// own. Safe for concurrent use.
type Explorer struct {
	set      ProjectSet
	loader   *Loader
	power    PowerController
	serial   SerialReader
	onChange func()
	log      *slog.Logger

	// mu guards full, filter, state and gen.
	mu     sync.Mutex
	full   *Inventory
	filter Filter
	state  TreeState
	gen    uint64 // bumped by each Refresh, so a slow old load cannot overwrite a newer one
}

// NewExplorer returns an Explorer with an empty inventory; call Refresh to
// load it.
func NewExplorer(cfg ExplorerConfig) (*Explorer, error) {
	if cfg.Projects == nil || cfg.Loader == nil {
		return nil, errors.New("new explorer: Projects and Loader are required")
	}
	e := &Explorer{
		set: cfg.Projects, loader: cfg.Loader, power: cfg.Power, serial: cfg.Serial,
		onChange: cfg.OnChange, log: cfg.Logger,
		full:  NewInventory(nil, cfg.Loader.now()),
		state: TreeState{Expanded: map[NodeID]bool{}},
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.onChange == nil {
		e.onChange = func() {}
	}
	return e, nil
}

// Inventory returns what the tree shows: the loaded inventory with the
// filter applied.
func (e *Explorer) Inventory() *Inventory {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.full.Filter(e.filter)
}

// Unfiltered returns the loaded inventory without the filter.
func (e *Explorer) Unfiltered() *Inventory {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.full
}

// Filter returns the current filter.
func (e *Explorer) Filter() Filter {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.filter
}

// SetFilter changes the filter.
func (e *Explorer) SetFilter(f Filter) {
	e.mu.Lock()
	e.filter = f
	e.mu.Unlock()
	e.onChange()
}

// TreeState returns the expansion and selection to show.
func (e *Explorer) TreeState() TreeState {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := TreeState{Expanded: make(map[NodeID]bool, len(e.state.Expanded)), Selected: e.state.Selected}
	for id := range e.state.Expanded {
		out.Expanded[id] = true
	}
	return out
}

// SetExpanded records that the user opened or closed a branch.
func (e *Explorer) SetExpanded(id NodeID, open bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if open {
		e.state.Expanded[id] = true
	} else {
		delete(e.state.Expanded, id)
	}
}

// Select records the selected node.
func (e *Explorer) Select(id NodeID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.state.Selected = id
}

// Refresh reloads every remembered project. Expansion and selection are
// kept for the nodes that still exist. It fails only if the project list
// cannot be read or ctx ends; per-project failures are on their nodes.
func (e *Explorer) Refresh(ctx context.Context) error {
	e.mu.Lock()
	e.gen++
	gen := e.gen
	e.mu.Unlock()
	ps, err := e.set.Projects(ctx)
	if err != nil {
		return AsUserError(err)
	}
	inv, err := e.loader.Load(ctx, ps)
	if err != nil {
		return AsUserError(err)
	}
	e.mu.Lock()
	if gen != e.gen {
		e.mu.Unlock()
		return nil // a newer refresh started; its result wins
	}
	e.full = inv
	e.state = e.state.Reconcile(inv)
	e.mu.Unlock()
	e.onChange()
	return nil
}

// RefreshProject reloads one project, leaving the others as they are.
func (e *Explorer) RefreshProject(ctx context.Context, id string) error {
	e.mu.Lock()
	p, ok := e.full.Project(id)
	e.mu.Unlock()
	info := ProjectInfo{ID: id}
	if ok {
		info = p.ProjectInfo
	}
	loaded := e.loader.LoadProject(ctx, info)
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	e.full = e.full.Replace(loaded, e.loader.now())
	e.state = e.state.Reconcile(e.full)
	e.mu.Unlock()
	e.onChange()
	return nil
}

// AddProjects remembers projects and loads them into the tree. A full
// Refresh running meanwhile is discarded (it may have read the old set).
func (e *Explorer) AddProjects(ctx context.Context, ps ...ProjectInfo) error {
	if err := e.set.Add(ctx, ps...); err != nil {
		return AsUserError(err)
	}
	e.mu.Lock()
	e.gen++
	e.mu.Unlock()
	for _, p := range ps {
		if err := e.RefreshProject(ctx, p.ID); err != nil {
			return AsUserError(err)
		}
	}
	return nil
}

// RemoveProject forgets a project and drops it from the tree. A full
// Refresh running meanwhile is discarded.
func (e *Explorer) RemoveProject(ctx context.Context, id string) error {
	if err := e.set.Remove(ctx, id); err != nil {
		return AsUserError(err)
	}
	e.mu.Lock()
	e.gen++ // a Refresh running meanwhile may still include the project
	var keep []Project
	for _, p := range e.full.Projects {
		if p.ID != id {
			keep = append(keep, p)
		}
	}
	e.full = NewInventory(keep, e.full.LoadedAt)
	e.state = e.state.Reconcile(e.full)
	e.mu.Unlock()
	e.onChange()
	return nil
}

// Start starts a VM, waits for it, and reloads its project.
func (e *Explorer) Start(ctx context.Context, ref InstanceRef) error {
	return e.powerAction(ctx, ref, "start", func(p PowerController) error { return p.Start(ctx, ref) })
}

// Stop stops a VM, waits for it, and reloads its project.
func (e *Explorer) Stop(ctx context.Context, ref InstanceRef) error {
	return e.powerAction(ctx, ref, "stop", func(p PowerController) error { return p.Stop(ctx, ref) })
}

// Reset resets a VM, waits for it, and reloads its project.
func (e *Explorer) Reset(ctx context.Context, ref InstanceRef) error {
	return e.powerAction(ctx, ref, "reset", func(p PowerController) error { return p.Reset(ctx, ref) })
}

func (e *Explorer) powerAction(ctx context.Context, ref InstanceRef, action string, do func(PowerController) error) error {
	if e.power == nil {
		return ActionError(action, ref, fmt.Errorf("power actions: %w", errors.ErrUnsupported))
	}
	if err := do(e.power); err != nil {
		return ActionError(action, ref, err)
	}
	return e.RefreshProject(ctx, ref.Project)
}

// SerialOutput reads a VM's serial port (see SerialReader).
func (e *Explorer) SerialOutput(ctx context.Context, ref InstanceRef, port int, start int64) (SerialOutput, error) {
	if e.serial == nil {
		return SerialOutput{}, ActionError("read serial port output of", ref, errors.ErrUnsupported)
	}
	return e.serial.SerialOutput(ctx, ref, port, start)
}
