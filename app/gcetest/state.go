package gcetest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

// urlBase is the host and prefix of every resource URL the real API
// returns, whatever endpoint the client called.
const urlBase = "https://www.googleapis.com/compute/v1/"

func projectURL(p string) string        { return urlBase + "projects/" + p }
func zoneURL(p, z string) string        { return projectURL(p) + "/zones/" + z }
func instanceURL(p, z, n string) string { return zoneURL(p, z) + "/instances/" + n }

// regionOf returns the region of a zone name ("us-central1-a" → "us-central1").
func regionOf(zone string) string {
	if i := strings.LastIndexByte(zone, '-'); i > 0 {
		return zone[:i]
	}
	return zone
}

type projectState struct {
	id, name, state, parent string
	number                  int64
	labels                  map[string]string
	meta                    *compute.Metadata // commonInstanceMetadata, with fingerprint
	zones                   map[string]bool   // zones the project reports
	instances               map[string]*instanceState
	order                   []*instanceState // sorted by zone, name; nil when stale
	failure                 Failure
	denied                  map[string]bool
	unreachable             map[string]bool
}

type instanceState struct {
	project  string
	zone     string
	inst     *compute.Instance // the API view; mutated only under Server.mu, followed by touch
	raw      []byte            // cached JSON of inst; nil when stale
	pruned   map[string][]byte // cached partial JSON of inst by field mask; nil when stale
	os       OS
	agent    AgentMode
	serial   [5]*ring        // ports 1..4; index 0 unused
	seenKeys map[string]bool // windows-keys entries the agent has handled
	winUsers map[string]WindowsUser
}

func instanceKey(zone, name string) string { return zone + "/" + name }

// touch drops the cached JSON after inst changed.
func (is *instanceState) touch() { is.raw, is.pruned = nil, nil }

// json returns inst as JSON, cached: marshalling the generated types is the
// fake's main cost when it serves thousands of VMs.
func (is *instanceState) json() ([]byte, error) {
	if is.raw == nil {
		b, err := json.Marshal(is.inst)
		if err != nil {
			return nil, fmt.Errorf("marshal instance %s: %w", is.inst.Name, err)
		}
		is.raw = b
	}
	return is.raw, nil
}

// maskedJSON is an instance's JSON for one mask: the cached pruned bytes
// when there are some, else the full JSON to prune outside the lock.
type maskedJSON struct {
	is     *instanceState
	raw    []byte // full JSON, the generation the prune was made from
	pruned []byte // nil until pruned
}

// jsonMasked returns inst's JSON for mask m (nil or all: the whole
// instance). The pruned form comes from the cache when present; otherwise
// pruned is nil and the caller prunes raw without holding Server.mu, then
// stores the result with storePruned. The caller holds Server.mu.
func (is *instanceState) jsonMasked(m *fieldMask, key string) (maskedJSON, error) {
	raw, err := is.json()
	if err != nil {
		return maskedJSON{}, err
	}
	if m == nil || m.all {
		return maskedJSON{is: is, raw: raw, pruned: raw}, nil
	}
	return maskedJSON{is: is, raw: raw, pruned: is.pruned[key]}, nil
}

// storePruned caches a pruned form unless inst changed meanwhile. The
// caller holds Server.mu.
func (mj maskedJSON) storePruned(key string) {
	is := mj.is
	if len(is.raw) == 0 || len(mj.raw) == 0 || &is.raw[0] != &mj.raw[0] {
		return // stale: inst changed since raw was taken
	}
	if is.pruned == nil {
		is.pruned = make(map[string][]byte)
	}
	is.pruned[key] = mj.pruned
}

// sorted returns the project's instances ordered by zone then name, the
// order pages are cut in.
func (ps *projectState) sorted() []*instanceState {
	if ps.order == nil {
		ps.order = slices.SortedFunc(maps.Values(ps.instances), func(a, b *instanceState) int {
			if c := strings.Compare(a.zone, b.zone); c != 0 {
				return c
			}
			return strings.Compare(a.inst.Name, b.inst.Name)
		})
	}
	return ps.order
}

func (s *Server) buildInstance(ps *projectState, in Instance) *compute.Instance {
	p, z, n := ps.id, in.Zone, in.Name
	status := in.Status
	if status == "" {
		status = "RUNNING"
	}
	mt := in.MachineType
	if mt == "" {
		mt = "e2-medium"
	}
	id := in.ID
	if id == 0 {
		id = stableID(p, z, n)
	}
	ip := in.InternalIP
	if ip == "" {
		ip = fmt.Sprintf("10.%d.%d.%d", 128+id%64, (id>>8)%256, 2+(id>>16)%250)
	}
	image := in.Image
	if image == "" {
		image = "debian-12-bookworm"
		if in.OS == Windows {
			image = "windows-server-2022-dc"
		}
	}
	licenses := in.Licenses
	if licenses == nil {
		proj := "debian-cloud"
		switch {
		case in.OS == Windows:
			proj = "windows-cloud"
		case strings.HasPrefix(image, "ubuntu"):
			proj = "ubuntu-os-cloud"
		case strings.HasPrefix(image, "rhel"):
			proj = "rhel-cloud"
		}
		licenses = []string{proj + "/" + image}
	}
	var lic []string
	for _, l := range licenses {
		if !strings.HasPrefix(l, "https://") {
			proj, name, _ := strings.Cut(l, "/")
			l = projectURL(proj) + "/global/licenses/" + name
		}
		lic = append(lic, l)
	}
	features := in.GuestOSFeatures
	if features == nil {
		features = []string{"UEFI_COMPATIBLE", "VIRTIO_SCSI_MULTIQUEUE", "GVNIC"}
		if in.OS == Windows {
			features = []string{"MULTI_IP_SUBNET", "UEFI_COMPATIBLE", "VIRTIO_SCSI_MULTIQUEUE", "WINDOWS", "GVNIC"}
		}
	}
	var gof []*compute.GuestOsFeature
	for _, f := range features {
		gof = append(gof, &compute.GuestOsFeature{Type: f})
	}
	nic := &compute.NetworkInterface{
		Kind:        "compute#networkInterface",
		Name:        "nic0",
		Network:     projectURL(p) + "/global/networks/default",
		Subnetwork:  projectURL(p) + "/regions/" + regionOf(z) + "/subnetworks/default",
		NetworkIP:   ip,
		StackType:   "IPV4_ONLY",
		Fingerprint: fingerprintOf(p, z, n, "nic0"),
	}
	if in.ExternalIP != "" {
		nic.AccessConfigs = []*compute.AccessConfig{{Kind: "compute#accessConfig", Type: "ONE_TO_ONE_NAT",
			Name: "External NAT", NatIP: in.ExternalIP, NetworkTier: "PREMIUM"}}
	}
	return &compute.Instance{
		Kind:              "compute#instance",
		Id:                id,
		CreationTimestamp: "2024-01-15T08:30:00.000-08:00",
		Name:              n,
		Zone:              zoneURL(p, z),
		Status:            status,
		MachineType:       zoneURL(p, z) + "/machineTypes/" + mt,
		CpuPlatform:       "Intel Broadwell",
		Hostname:          fmt.Sprintf("%s.%s.c.%s.internal", n, z, p),
		Labels:            maps.Clone(in.Labels),
		LabelFingerprint:  fingerprintOf(fmt.Sprint(in.Labels)),
		Fingerprint:       fingerprintOf(p, z, n),
		NetworkInterfaces: []*compute.NetworkInterface{nic},
		Disks: []*compute.AttachedDisk{{
			Kind: "compute#attachedDisk", Type: "PERSISTENT", Mode: "READ_WRITE", Boot: true, AutoDelete: true,
			DeviceName: n, Index: 0, Interface: "SCSI", DiskSizeGb: 50, Architecture: "X86_64",
			Source:          zoneURL(p, z) + "/disks/" + n,
			Licenses:        lic,
			GuestOsFeatures: gof,
		}},
		Metadata: newMetadata(in.Metadata),
		ServiceAccounts: []*compute.ServiceAccount{{
			Email:  fmt.Sprintf("%d-compute@developer.gserviceaccount.com", ps.number),
			Scopes: []string{"https://www.googleapis.com/auth/cloud-platform"},
		}},
		Scheduling: &compute.Scheduling{OnHostMaintenance: "MIGRATE", ProvisioningModel: "STANDARD",
			AutomaticRestart: ptr(true)},
		SelfLink:           instanceURL(p, z, n),
		StartRestricted:    false,
		DeletionProtection: false,
	}
}

// newMetadata builds a Metadata object with its fingerprint.
func newMetadata(items []MetadataItem) *compute.Metadata {
	m := &compute.Metadata{Kind: "compute#metadata"}
	for _, it := range items {
		m.Items = append(m.Items, &compute.MetadataItems{Key: it.Key, Value: ptr(it.Value)})
	}
	m.Fingerprint = metadataFingerprint(m.Items)
	return m
}

// metadataFingerprint is an opaque hash of the items: it changes whenever
// the items do, like the real one.
func metadataFingerprint(items []*compute.MetadataItems) string {
	b, _ := json.Marshal(items) // strings only: cannot fail
	return fingerprintOf(string(b))
}

func fingerprintOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)[:8])
}

// metadataValue returns the value of key in m.
func metadataValue(m *compute.Metadata, key string) (string, bool) {
	if m == nil {
		return "", false
	}
	for _, it := range m.Items {
		if it.Key == key && it.Value != nil {
			return *it.Value, true
		}
	}
	return "", false
}

// checkProject applies the project's simulated failure and denied
// permissions to a Compute call that needs permission. It returns the
// project, or the error to send.
func (s *Server) checkProject(id, permission string) (*projectState, *apiError) {
	ps, ok := s.projects[id]
	if !ok {
		return nil, errNotFound("projects/" + id)
	}
	switch ps.failure {
	case FailureForbidden:
		return nil, errForbidden(permission, "projects/"+id)
	case FailureServiceDisabled:
		return nil, errServiceDisabled("compute.googleapis.com", "Compute Engine API", ps.number)
	case FailureNotFound:
		return nil, errNotFound("projects/" + id)
	}
	if ps.denied[permission] {
		return nil, errForbidden(permission, "projects/"+id)
	}
	return ps, nil
}

// checkInstance is checkProject plus the instance lookup.
func (s *Server) checkInstance(r *http.Request, permission string) (*projectState, *instanceState, *apiError) {
	p, z, n := r.PathValue("project"), r.PathValue("zone"), r.PathValue("instance")
	ps, aerr := s.checkProject(p, permission)
	if aerr != nil {
		return nil, nil, aerr
	}
	is, ok := ps.instances[instanceKey(z, n)]
	if !ok {
		return nil, nil, errNotFound(fmt.Sprintf("projects/%s/zones/%s/instances/%s", p, z, n))
	}
	return ps, is, nil
}

func ptr[T any](v T) *T { return &v }
