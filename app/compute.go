package app

import "context"

// What the use cases ask of Compute Engine. *gce.Compute implements every
// interface here; tests use the fake API (app/gcetest) behind it, or small
// fakes of their own.

// Listing is what one project's instance list returned.
type Listing struct {
	Instances []Instance
	// Unreachable zones ("zones/x") Google could not list.
	Unreachable []string
}

// InstanceLister lists the VMs of one project, across all zones.
type InstanceLister interface {
	ListInstances(ctx context.Context, project string) (Listing, error)
}

// InstanceGetter reads one VM.
type InstanceGetter interface {
	GetInstance(ctx context.Context, ref InstanceRef) (*Instance, error)
}

// PowerController starts, stops and resets VMs, returning once the
// operation is done.
type PowerController interface {
	Start(ctx context.Context, ref InstanceRef) error
	Stop(ctx context.Context, ref InstanceRef) error
	Reset(ctx context.Context, ref InstanceRef) error
}

// SerialReader reads a VM's serial port output.
type SerialReader interface {
	SerialOutput(ctx context.Context, ref InstanceRef, port int, start int64) (SerialOutput, error)
}

// SerialOutput is a chunk of serial port output. Contents starts at offset
// Start (which may be past the start asked for, when older output was
// discarded); ask for Next to continue.
type SerialOutput struct {
	Contents string
	Start    int64
	Next     int64
}
