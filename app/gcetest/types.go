package gcetest

import (
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"
)

// OS is the guest operating system the fake pretends a VM runs. It decides
// the boot disk's licenses and guestOsFeatures (unless an Instance overrides
// them) and whether the emulated Windows guest agent runs.
type OS int

// Guest operating systems.
const (
	Linux OS = iota
	Windows
)

// String returns "windows" or "linux".
func (o OS) String() string {
	if o == Windows {
		return "windows"
	}
	return "linux"
}

// Failure makes every Compute Engine call on a project fail the way the real
// API does in that situation.
type Failure int

// Failures a project can simulate.
const (
	FailureNone            Failure = iota
	FailureForbidden               // 403 forbidden: the caller lacks compute.* permissions
	FailureServiceDisabled         // 403 SERVICE_DISABLED: the Compute Engine API is not enabled
	FailureNotFound                // 404 notFound: the project was deleted or never existed
)

// AgentMode says how the emulated Windows guest agent answers a
// windows-keys request.
type AgentMode int

// Agent modes.
const (
	AgentReply  AgentMode = iota // encrypt a generated password to the key (default)
	AgentSilent                  // never answer (the client's timeout path)
	AgentFail                    // answer with an errorMessage line
)

// MetadataItem is one metadata key/value pair. Order is kept, as the real
// API does.
type MetadataItem struct {
	Key   string
	Value string
}

// Project is the initial state of one project. Only ID is required.
type Project struct {
	ID     string
	Name   string // display name; defaults to ID
	Number int64  // project number; 0: derived from ID
	// State is the Resource Manager lifecycleState; "" means ACTIVE.
	// Resource Manager lists every project; search results in clients
	// usually keep only ACTIVE ones.
	State  string
	Labels map[string]string
	Parent string // e.g. "organizations/555"; "" means none
	// Metadata is the project's commonInstanceMetadata.
	Metadata []MetadataItem
	// Zones the project reports in zones.list and in aggregated list
	// warnings, in addition to the zones its instances are in.
	Zones     []string
	Instances []Instance
	// Failure makes every Compute Engine call on the project fail.
	Failure Failure
	// Denied lists IAM permissions (e.g. "compute.instances.setMetadata")
	// the caller lacks on the project: calls that need one get a 403, and
	// testIamPermissions leaves them out.
	Denied []string
	// Unreachable zones are left out of aggregated lists and reported in
	// `unreachables` (returnPartialSuccess) or as an UNREACHABLE warning.
	Unreachable []string
}

// Instance is the initial state of one VM. Name and Zone are required.
type Instance struct {
	Name        string
	Zone        string // e.g. "us-central1-a"
	Status      string // "" means RUNNING
	MachineType string // short name, e.g. "e2-medium"; "" means e2-medium
	ID          uint64 // 0: derived from project, zone and name
	InternalIP  string // nic0 networkIP; "" means derived
	ExternalIP  string // ONE_TO_ONE_NAT natIP; "" means none
	Labels      map[string]string
	Metadata    []MetadataItem
	OS          OS
	// Image is the boot image family, e.g. "windows-server-2022-dc" or
	// "debian-12-bookworm"; "" picks one from OS. Its license goes on the
	// boot disk.
	Image string
	// Licenses and GuestOSFeatures override the boot disk's licenses
	// (full URLs or "project/license") and guestOsFeatures types when
	// non-nil, even if empty; nil means derived from OS and Image.
	Licenses        []string
	GuestOSFeatures []string
	// Agent says how the Windows guest agent answers; Windows VMs only.
	Agent AgentMode
}

// Request is one HTTP request the server received.
type Request struct {
	Method string
	Path   string // URL path, unescaped
	Query  map[string][]string
	Time   time.Time
}

// WindowsUser is a local account the emulated Windows agent created or
// reset.
type WindowsUser struct {
	Name     string
	Password string
	Admin    bool // added to Administrators
}

// String redacts the password so a printed WindowsUser leaks nothing.
func (u WindowsUser) String() string {
	return fmt.Sprintf("{%s admin=%v password=REDACTED}", u.Name, u.Admin)
}

// LogValue redacts the password in slog output.
func (u WindowsUser) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", u.Name), slog.Bool("admin", u.Admin), slog.String("password", "REDACTED"))
}

// stableID derives a deterministic 63-bit ID from parts.
func stableID(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	id := h.Sum64() & (1<<63 - 1)
	if id < 1e15 {
		id += 1e15 // look like real 16–19 digit IDs
	}
	return id
}
