package gce

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"iapdesk/app"
	"iapdesk/internal/gcename"
)

// ComputeConfig configures a Compute client.
type ComputeConfig struct {
	// API is where Compute Engine is and the credentials to call it with.
	API API
	// PageSize is maxResults per aggregatedList page; 0 means 500, the
	// API's maximum.
	PageSize int64
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Compute talks to the Compute Engine API (compute/v1) for the explorer:
// inventory, power actions, serial output.
type Compute struct {
	svc      *compute.Service
	pageSize int64
	log      *slog.Logger
}

var (
	_ app.InstanceLister  = (*Compute)(nil)
	_ app.InstanceGetter  = (*Compute)(nil)
	_ app.PowerController = (*Compute)(nil)
	_ app.SerialReader    = (*Compute)(nil)
)

// NewCompute builds a Compute client. ctx is used only while the
// underlying client looks for credentials.
func NewCompute(ctx context.Context, cfg ComputeConfig) (*Compute, error) {
	svc, err := compute.NewService(ctx, cfg.API.options(cfg.API.ComputeURL)...)
	if err != nil {
		return nil, fmt.Errorf("create compute client: %w", err)
	}
	c := &Compute{svc: svc, pageSize: cfg.PageSize, log: cfg.Logger}
	if c.pageSize <= 0 || c.pageSize > 500 {
		c.pageSize = 500
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// instanceFields is the partial response the explorer needs: listing 10 000
// VMs moves a fraction of the full JSON.
const instanceFields = "nextPageToken,unreachables," +
	"items/*/instances(id,name,zone,status,machineType,hostname,labels," +
	"networkInterfaces(name,networkIP,accessConfigs(type,natIP))," +
	"disks(guestOsFeatures,licenses),metadata/items)"

// ListInstances lists every VM of project with instances.aggregatedList
// (all pages, returnPartialSuccess so that an unreachable zone does not fail
// the list) and reads the project metadata for the OS Login default.
func (c *Compute) ListInstances(ctx context.Context, project string) (app.Listing, error) {
	// The project metadata (for the OS Login default) is read while the
	// list runs; wg owns that goroutine and every path waits for it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var projMeta *compute.Metadata
	var projErr error
	wg.Go(func() {
		p, err := c.svc.Projects.Get(project).Fields("commonInstanceMetadata/items").Context(ctx).Do()
		if err != nil {
			projErr = err
			return
		}
		projMeta = p.CommonInstanceMetadata
	})

	var raw []*compute.Instance
	var out app.Listing
	// This client version has no ReturnPartialSuccess setter; the API
	// takes the parameter, so it goes in as a raw query parameter.
	partial := googleapi.QueryParameter("returnPartialSuccess", "true")
	call := c.svc.Instances.AggregatedList(project).
		MaxResults(c.pageSize).
		Fields(googleapi.Field(instanceFields)).
		Context(ctx)
	var err error
	for {
		var page *compute.InstanceAggregatedList
		page, err = call.Do(partial)
		if err != nil {
			break
		}
		for _, scoped := range page.Items {
			raw = append(raw, scoped.Instances...)
		}
		out.Unreachable = append(out.Unreachable, page.Unreachables...)
		if page.NextPageToken == "" {
			break
		}
		call.PageToken(page.NextPageToken)
	}
	if err != nil {
		cancel()
		wg.Wait()
		return app.Listing{}, fmt.Errorf("list instances in project %s: %w", project, apiError(err))
	}
	wg.Wait()
	if projErr != nil {
		// The list worked, so the user can see the VMs; without the
		// project metadata only the OS Login default is unknown.
		c.log.Debug("read project metadata", slog.String("project", project), slog.Any("error", projErr))
	}
	out.Instances = make([]app.Instance, 0, len(raw))
	for _, in := range raw {
		out.Instances = append(out.Instances, convertInstance(project, in, projMeta))
	}
	return out, nil
}

// convertInstance maps the API's instance to the explorer's. projectMeta
// may be nil.
func convertInstance(project string, in *compute.Instance, projectMeta *compute.Metadata) app.Instance {
	out := app.Instance{
		InstanceRef: app.InstanceRef{Project: project, Zone: gcename.LastSegment(in.Zone), Name: in.Name},
		ID:          in.Id,
		Status:      in.Status,
		MachineType: gcename.LastSegment(in.MachineType),
		Hostname:    in.Hostname,
		Labels:      in.Labels,
		OS:          app.OSLinux,
	}
	if r, err := gcename.ParseURL(in.Zone); err == nil && r.Zone != "" {
		out.Project, out.Zone = r.Project, r.Zone
	}
	var nic0 *compute.NetworkInterface
	for _, n := range in.NetworkInterfaces {
		if n.Name == "nic0" {
			nic0 = n
			break
		}
	}
	if nic0 == nil && len(in.NetworkInterfaces) > 0 {
		nic0 = in.NetworkInterfaces[0]
	}
	if nic0 != nil {
		out.InternalIP = nic0.NetworkIP
		for _, ac := range nic0.AccessConfigs {
			if ac.Type == "ONE_TO_ONE_NAT" && ac.NatIP != "" {
				out.ExternalIP = ac.NatIP
				break
			}
		}
	}
	if isWindows(in) {
		out.OS = app.OSWindows
	}
	out.OSLogin = metadataFlag(in.Metadata, projectMeta, "enable-oslogin")
	out.OSLogin2FA = out.OSLogin && metadataFlag(in.Metadata, projectMeta, "enable-oslogin-2fa")
	return out
}

// isWindows follows IAP Desktop: a VM is Windows when any disk has the
// WINDOWS guest OS feature or a license from the windows-cloud project.
func isWindows(in *compute.Instance) bool {
	for _, d := range in.Disks {
		for _, f := range d.GuestOsFeatures {
			if f != nil && f.Type == "WINDOWS" {
				return true
			}
		}
		for _, l := range d.Licenses {
			if r, err := gcename.ParseURL(l); err == nil && r.Project == "windows-cloud" {
				return true
			}
		}
	}
	return false
}

// metadataFlag resolves a boolean metadata flag: the instance value wins
// whenever it is set (even to false), else the project's, else false.
// Values are read as IAP Desktop does: true|1|y|yes and false|0|n|no,
// case-insensitive; anything else counts as unset.
func metadataFlag(inst, project *compute.Metadata, key string) bool {
	for _, m := range []*compute.Metadata{inst, project} {
		if m == nil {
			continue
		}
		for _, it := range m.Items {
			if it == nil || it.Key != key || it.Value == nil {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(*it.Value)) {
			case "true", "1", "y", "yes":
				return true
			case "false", "0", "n", "no":
				return false
			}
		}
	}
	return false
}

// Start starts a stopped VM and waits until the operation is done.
func (c *Compute) Start(ctx context.Context, ref app.InstanceRef) error {
	op, err := c.svc.Instances.Start(ref.Project, ref.Zone, ref.Name).Context(ctx).Do()
	return c.finish(ctx, "start", ref, op, err)
}

// Stop stops a VM and waits until the operation is done.
func (c *Compute) Stop(ctx context.Context, ref app.InstanceRef) error {
	op, err := c.svc.Instances.Stop(ref.Project, ref.Zone, ref.Name).Context(ctx).Do()
	return c.finish(ctx, "stop", ref, op, err)
}

// Reset hard-resets a running VM and waits until the operation is done.
func (c *Compute) Reset(ctx context.Context, ref app.InstanceRef) error {
	op, err := c.svc.Instances.Reset(ref.Project, ref.Zone, ref.Name).Context(ctx).Do()
	return c.finish(ctx, "reset", ref, op, err)
}

func (c *Compute) finish(ctx context.Context, action string, ref app.InstanceRef, op *compute.Operation, err error) error {
	err = apiError(err)
	if err == nil {
		err = waitOperation(ctx, c.svc, ref.Project, ref.Zone, op)
	}
	if err != nil {
		return app.ActionError(action, ref, err)
	}
	return nil
}

// waitOperation waits for a zonal (zone != "") or global operation to be
// DONE and returns its error, if any. operations.wait answers when the
// operation is done or after about two minutes, so it loops until DONE or
// ctx ends.
func waitOperation(ctx context.Context, svc *compute.Service, project, zone string, op *compute.Operation) error {
	for op.Status != "DONE" {
		var err error
		if zone != "" {
			op, err = svc.ZoneOperations.Wait(project, zone, op.Name).Context(ctx).Do()
		} else {
			op, err = svc.GlobalOperations.Wait(project, op.Name).Context(ctx).Do()
		}
		if err != nil {
			return fmt.Errorf("wait for operation: %w", apiError(err))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if op.Error != nil && len(op.Error.Errors) > 0 {
		oe := &app.OperationError{Operation: op.Name}
		for _, it := range op.Error.Errors {
			oe.Failures = append(oe.Failures, fmt.Sprintf("%s: %s", it.Code, it.Message))
		}
		return oe
	}
	return nil
}

// SerialOutput reads serial port output from offset start (0 for the
// oldest kept, negative for the last -start bytes).
func (c *Compute) SerialOutput(ctx context.Context, ref app.InstanceRef, port int, start int64) (app.SerialOutput, error) {
	out, err := c.svc.Instances.GetSerialPortOutput(ref.Project, ref.Zone, ref.Name).
		Port(int64(port)).Start(start).Context(ctx).Do()
	if err != nil {
		return app.SerialOutput{}, app.ActionError("read serial port output of", ref, apiError(err))
	}
	return app.SerialOutput{Contents: out.Contents, Start: out.Start, Next: out.Next}, nil
}

// GetInstance reads one VM (and the project metadata, for the OS Login
// default), for the headless commands that connect by name.
func (c *Compute) GetInstance(ctx context.Context, ref app.InstanceRef) (*app.Instance, error) {
	in, err := c.svc.Instances.Get(ref.Project, ref.Zone, ref.Name).Context(ctx).Do()
	if err != nil {
		return nil, app.ActionError("read", ref, apiError(err))
	}
	var meta *compute.Metadata
	if p, err := c.svc.Projects.Get(ref.Project).Fields("commonInstanceMetadata/items").Context(ctx).Do(); err == nil {
		meta = p.CommonInstanceMetadata
	}
	inst := convertInstance(ref.Project, in, meta)
	return &inst, nil
}
