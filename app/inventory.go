package app

import (
	"fmt"
	"iapdesk/app/settings"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// OS is a VM's guest operating system family. The zero value, OSAny, is
// only used in filters: every Instance is OSLinux or OSWindows.
type OS int

// Operating system families.
const (
	OSAny OS = iota
	OSLinux
	OSWindows
)

// String returns "Linux", "Windows" or "Any".
func (o OS) String() string {
	switch o {
	case OSLinux:
		return "Linux"
	case OSWindows:
		return "Windows"
	}
	return "Any"
}

// InstanceRef identifies a VM.
type InstanceRef struct {
	Project string
	Zone    string
	Name    string
}

// String returns the ref as a resource path: projects/p/zones/z/instances/n.
func (r InstanceRef) String() string {
	return fmt.Sprintf("projects/%s/zones/%s/instances/%s", r.Project, r.Zone, r.Name)
}

// Scope is the VM's own settings level.
func (r InstanceRef) Scope() settings.Scope {
	return settings.InstanceScope(r.Project, r.Zone, r.Name)
}

// Instance is one VM as the explorer shows it.
type Instance struct {
	InstanceRef
	ID          uint64
	Status      string // RUNNING, TERMINATED, … as the API spells it
	MachineType string // short name, e.g. "e2-medium"
	InternalIP  string // nic0
	ExternalIP  string // nic0's ONE_TO_ONE_NAT address; "" if none
	Hostname    string // custom hostname; "" means the default
	Labels      map[string]string
	OS          OS
	// OSLogin reports enable-oslogin in effect (the instance value wins
	// when set, else the project's); OSLogin2FA likewise for
	// enable-oslogin-2fa.
	OSLogin    bool
	OSLogin2FA bool
}

// Running reports whether the VM can be connected to.
func (i *Instance) Running() bool { return i.Status == "RUNNING" }

// Property is one row of a VM's properties dialog.
type Property struct {
	Name, Value string
}

// Properties lists the VM's properties in display order, labels last
// (sorted by key), so a dialog shows them without formatting of its own.
func (i *Instance) Properties() []Property {
	yesNo := func(b bool) string {
		if b {
			return "Yes"
		}
		return "No"
	}
	ps := []Property{
		{"Name", i.Name},
		{"Project", i.Project},
		{"Zone", i.Zone},
		{"Instance ID", fmt.Sprint(i.ID)},
		{"Status", i.Status},
		{"Machine type", i.MachineType},
		{"Operating system", i.OS.String()},
		{"Internal IP", i.InternalIP},
		{"External IP", orNone(i.ExternalIP)},
		{"OS Login", yesNo(i.OSLogin)},
	}
	if i.OSLogin2FA {
		ps = append(ps, Property{"OS Login 2-step verification", "Yes"})
	}
	if i.Hostname != "" {
		ps = append(ps, Property{"Hostname", i.Hostname})
	}
	for _, k := range slices.Sorted(maps.Keys(i.Labels)) {
		ps = append(ps, Property{"Label " + k, i.Labels[k]})
	}
	return ps
}

func orNone(s string) string {
	if s == "" {
		return "None"
	}
	return s
}

// Zone groups a project's VMs in one zone, sorted by name.
type Zone struct {
	Name      string
	Instances []Instance
}

// ProjectInfo names a project: its ID and, when known, its display name.
type ProjectInfo struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Project is one project node of the explorer: its zones and VMs, or the
// reason they could not be listed.
type Project struct {
	ProjectInfo
	// Zones holds the zones that have VMs, sorted by name.
	Zones []Zone
	// Err is set when the project could not be listed; Zones is then
	// empty.
	Err *UserError
	// Unreachable lists zones Google could not answer for ("zones/x"): the
	// VMs shown may be incomplete.
	Unreachable []string
}

// Label is the project's tree label: "Name (id)", or the ID alone when the
// display name is unknown or equal to it.
func (p *Project) Label() string {
	if p.Name == "" || p.Name == p.ID {
		return p.ID
	}
	return fmt.Sprintf("%s (%s)", p.Name, p.ID)
}

// InstanceCount is the number of VMs in the project.
func (p *Project) InstanceCount() int {
	n := 0
	for _, z := range p.Zones {
		n += len(z.Instances)
	}
	return n
}

// NodeID identifies a tree node. IDs are stable across reloads (they are
// built from project, zone and VM names), so a view keeps expansion and
// selection by ID across refreshes. RootNode is the invisible root.
type NodeID string

// RootNode is the parent of the project nodes.
const RootNode NodeID = ""

// ProjectNode returns the ID of a project's node.
func ProjectNode(project string) NodeID { return NodeID("p/" + project) }

// ZoneNode returns the ID of a zone node.
func ZoneNode(project, zone string) NodeID { return NodeID("z/" + project + "/" + zone) }

// InstanceNode returns the ID of a VM node.
func InstanceNode(r InstanceRef) NodeID {
	return NodeID("i/" + r.Project + "/" + r.Zone + "/" + r.Name)
}

// NodeKind says what a node stands for.
type NodeKind int

// Node kinds.
const (
	NodeRoot NodeKind = iota
	NodeProject
	NodeZone
	NodeInstance
)

// Node is what a tree row shows. Exactly one of Project (NodeProject), Zone
// (NodeZone, with Project its parent) or Instance (NodeInstance) is the
// node's own data. The pointers point into the Inventory and must not be
// modified.
type Node struct {
	ID       NodeID
	Kind     NodeKind
	Label    string
	Parent   NodeID
	Project  *Project
	Zone     *Zone
	Instance *Instance
	// Err is the project's error, shown on its node.
	Err *UserError
}

// Inventory is a loaded explorer tree: projects → zones → VMs. It is
// immutable once built: filtering or replacing a project returns a new
// Inventory, so views may read one from any goroutine.
type Inventory struct {
	// Projects in the order they were given (the user's order), each with
	// zones and VMs sorted by name. Do not modify.
	Projects []Project
	// LoadedAt is when the load finished.
	LoadedAt time.Time

	once     sync.Once
	nodes    map[NodeID]Node
	children map[NodeID][]NodeID
}

// NewInventory builds an inventory from projects, sorting each project's
// zones and VMs by name. It takes ownership of projects.
func NewInventory(projects []Project, loadedAt time.Time) *Inventory {
	for i := range projects {
		p := &projects[i]
		slices.SortFunc(p.Zones, func(a, b Zone) int { return strings.Compare(a.Name, b.Name) })
		for j := range p.Zones {
			slices.SortFunc(p.Zones[j].Instances, func(a, b Instance) int { return strings.Compare(a.Name, b.Name) })
		}
	}
	return &Inventory{Projects: projects, LoadedAt: loadedAt}
}

func (inv *Inventory) index() {
	inv.once.Do(func() {
		inv.nodes = make(map[NodeID]Node)
		inv.children = make(map[NodeID][]NodeID)
		inv.nodes[RootNode] = Node{ID: RootNode, Kind: NodeRoot}
		for i := range inv.Projects {
			p := &inv.Projects[i]
			pid := ProjectNode(p.ID)
			inv.nodes[pid] = Node{ID: pid, Kind: NodeProject, Label: p.Label(), Parent: RootNode, Project: p, Err: p.Err}
			inv.children[RootNode] = append(inv.children[RootNode], pid)
			for j := range p.Zones {
				z := &p.Zones[j]
				zid := ZoneNode(p.ID, z.Name)
				inv.nodes[zid] = Node{ID: zid, Kind: NodeZone, Label: z.Name, Parent: pid, Project: p, Zone: z}
				inv.children[pid] = append(inv.children[pid], zid)
				for k := range z.Instances {
					in := &z.Instances[k]
					iid := InstanceNode(in.InstanceRef)
					inv.nodes[iid] = Node{ID: iid, Kind: NodeInstance, Label: in.Name, Parent: zid, Project: p, Zone: z, Instance: in}
					inv.children[zid] = append(inv.children[zid], iid)
				}
			}
		}
	})
}

// Node returns the node with id.
func (inv *Inventory) Node(id NodeID) (Node, bool) {
	inv.index()
	n, ok := inv.nodes[id]
	return n, ok
}

// Children returns the IDs of id's children in display order (fyne's
// Tree.ChildUIDs). Unknown IDs and VMs have none.
func (inv *Inventory) Children(id NodeID) []NodeID {
	inv.index()
	return inv.children[id]
}

// IsBranch reports whether id is a node that can have children: the root,
// a project or a zone (fyne's Tree.IsBranch). An erroring project is a
// branch with no children.
func (inv *Inventory) IsBranch(id NodeID) bool {
	n, ok := inv.Node(id)
	return ok && n.Kind != NodeInstance
}

// Instance returns the VM ref points to.
func (inv *Inventory) Instance(ref InstanceRef) (*Instance, bool) {
	n, ok := inv.Node(InstanceNode(ref))
	if !ok {
		return nil, false
	}
	return n.Instance, true
}

// Project returns the project with id.
func (inv *Inventory) Project(id string) (*Project, bool) {
	n, ok := inv.Node(ProjectNode(id))
	if !ok {
		return nil, false
	}
	return n.Project, true
}

// InstanceCount is the number of VMs in all projects.
func (inv *Inventory) InstanceCount() int {
	n := 0
	for i := range inv.Projects {
		n += inv.Projects[i].InstanceCount()
	}
	return n
}

// Replace returns a copy of inv with p in place of the project with the
// same ID (appended if there is none): a refresh of one project.
func (inv *Inventory) Replace(p Project, loadedAt time.Time) *Inventory {
	ps := slices.Clone(inv.Projects)
	i := slices.IndexFunc(ps, func(q Project) bool { return q.ID == p.ID })
	if i < 0 {
		ps = append(ps, p)
	} else {
		ps[i] = p
	}
	return NewInventory(ps, loadedAt)
}

// TreeState is a view's expansion and selection, kept across refreshes.
type TreeState struct {
	Expanded map[NodeID]bool
	Selected NodeID
}

// Reconcile returns the state for a newly loaded inventory: expanded nodes
// that no longer exist are dropped, and a selected node that vanished is
// replaced by its nearest surviving ancestor (the zone, then the project).
// Pass the unfiltered inventory, so that nodes a filter hides stay
// expanded.
func (s TreeState) Reconcile(inv *Inventory) TreeState {
	out := TreeState{Expanded: make(map[NodeID]bool, len(s.Expanded))}
	for id, open := range s.Expanded {
		if _, ok := inv.Node(id); ok && open {
			out.Expanded[id] = true
		}
	}
	out.Selected = s.Selected
	if _, ok := inv.Node(out.Selected); !ok {
		out.Selected = ancestor(inv, s.Selected)
	}
	return out
}

// ancestor finds the nearest existing ancestor of a vanished node from the
// structure of its ID.
func ancestor(inv *Inventory, id NodeID) NodeID {
	kind, rest, _ := strings.Cut(string(id), "/")
	parts := strings.Split(rest, "/")
	var cands []NodeID
	switch {
	case kind == "i" && len(parts) == 3:
		cands = []NodeID{ZoneNode(parts[0], parts[1]), ProjectNode(parts[0])}
	case kind == "z" && len(parts) == 2:
		cands = []NodeID{ProjectNode(parts[0])}
	}
	for _, c := range cands {
		if _, ok := inv.Node(c); ok {
			return c
		}
	}
	return RootNode
}
