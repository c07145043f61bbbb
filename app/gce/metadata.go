package gce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"iapdesk/app"
)

// ErrMetadataConflict reports that metadata kept changing between our read
// and write (HTTP 412 on every attempt).
var ErrMetadataConflict = errors.New("metadata changed concurrently")

// Metadata write retries, as IAP Desktop does: up to 6 attempts, 100 ms
// apart, on a fingerprint mismatch (412) only.
const (
	metadataAttempts   = 6
	metadataRetryDelay = 100 * time.Millisecond
)

// metadataEditor does fingerprinted read-modify-writes of instance and
// project metadata. The whole item list is written back (setMetadata
// replaces all items), with the fingerprint that was read; a 412 means
// someone wrote in between, so the cycle starts again from a fresh read.
type metadataEditor struct {
	svc        *compute.Service
	retryDelay time.Duration
}

// editFunc changes items (all of them, in order) and reports whether there
// is anything to write.
type editFunc func(items []*compute.MetadataItems) ([]*compute.MetadataItems, bool, error)

// editInstance edits a VM's metadata and waits until the write is DONE.
func (m *metadataEditor) editInstance(ctx context.Context, ref app.InstanceRef, edit editFunc) error {
	return m.retry(ctx, func() (bool, error) {
		in, err := m.svc.Instances.Get(ref.Project, ref.Zone, ref.Name).Fields("metadata").Context(ctx).Do()
		if err != nil {
			return false, err
		}
		md := in.Metadata
		if md == nil {
			md = &compute.Metadata{}
		}
		items, changed, err := edit(md.Items)
		if err != nil || !changed {
			return false, err
		}
		op, err := m.svc.Instances.SetMetadata(ref.Project, ref.Zone, ref.Name,
			&compute.Metadata{Fingerprint: md.Fingerprint, Items: items}).Context(ctx).Do()
		if err != nil {
			return isPrecondition(err), err
		}
		return false, waitOperation(ctx, m.svc, ref.Project, ref.Zone, op)
	})
}

// editProject edits a project's common instance metadata and waits until
// the write is DONE.
func (m *metadataEditor) editProject(ctx context.Context, project string, edit editFunc) error {
	return m.retry(ctx, func() (bool, error) {
		p, err := m.svc.Projects.Get(project).Fields("commonInstanceMetadata").Context(ctx).Do()
		if err != nil {
			return false, err
		}
		md := p.CommonInstanceMetadata
		if md == nil {
			md = &compute.Metadata{}
		}
		items, changed, err := edit(md.Items)
		if err != nil || !changed {
			return false, err
		}
		op, err := m.svc.Projects.SetCommonInstanceMetadata(project,
			&compute.Metadata{Fingerprint: md.Fingerprint, Items: items}).Context(ctx).Do()
		if err != nil {
			return isPrecondition(err), err
		}
		return false, waitOperation(ctx, m.svc, project, "", op)
	})
}

// retry runs attempt until it succeeds, fails without asking to retry, or
// has failed metadataAttempts times.
func (m *metadataEditor) retry(ctx context.Context, attempt func() (retry bool, err error)) error {
	delay := m.retryDelay
	if delay <= 0 {
		delay = metadataRetryDelay
	}
	var last error
	for i := 0; i < metadataAttempts; i++ {
		if i > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		again, err := attempt()
		if !again {
			return err
		}
		last = err
	}
	return fmt.Errorf("%w after %d attempts: %w", ErrMetadataConflict, metadataAttempts, last)
}

func isPrecondition(err error) bool {
	var gerr *googleapi.Error
	return errors.As(err, &gerr) && gerr.Code == http.StatusPreconditionFailed
}

// metadataGet returns the value of key in items.
func metadataGet(items []*compute.MetadataItems, key string) (string, bool) {
	for _, it := range items {
		if it != nil && it.Key == key && it.Value != nil {
			return *it.Value, true
		}
	}
	return "", false
}

// metadataPut returns items with key set to value (replaced in place, or
// appended), keeping every other item and the order.
func metadataPut(items []*compute.MetadataItems, key, value string) []*compute.MetadataItems {
	out := make([]*compute.MetadataItems, 0, len(items)+1)
	found := false
	for _, it := range items {
		if it == nil {
			continue
		}
		if it.Key == key {
			if found {
				continue
			}
			found = true
			v := value
			out = append(out, &compute.MetadataItems{Key: key, Value: &v})
			continue
		}
		out = append(out, it)
	}
	if !found {
		v := value
		out = append(out, &compute.MetadataItems{Key: key, Value: &v})
	}
	return out
}

// metadataBool reads a boolean flag as IAP Desktop does: true|1|y|yes and
// false|0|n|no, case-insensitive; set reports whether the value is one of
// those.
func metadataBool(items []*compute.MetadataItems, key string) (value, set bool) {
	v, ok := metadataGet(items, key)
	if !ok {
		return false, false
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "y", "yes":
		return true, true
	case "false", "0", "n", "no":
		return false, true
	}
	return false, false
}

// flagOf resolves a boolean flag: the instance value wins whenever it is
// set (even to false), else the project's, else false.
func flagOf(instance, project []*compute.MetadataItems, key string) bool {
	if v, ok := metadataBool(instance, key); ok {
		return v
	}
	v, _ := metadataBool(project, key)
	return v
}

// metadataWriteError explains a failed metadata write the way IAP Desktop
// does (403 → Compute Instance Admin + Service Account User; 400 "BAD
// REQUEST" → Service Account User for actAs; 404 → no such VM; 412 on
// every attempt → concurrent changes).
func metadataWriteError(what string, ref app.InstanceRef, err error) *app.UserError {
	var ue *app.UserError
	if errors.As(err, &ue) {
		return ue
	}
	err = apiError(err)
	var aerr *app.APIError
	status, msg := 0, ""
	if errors.As(err, &aerr) {
		status, msg = aerr.Status, aerr.Message
	}
	switch {
	case errors.Is(err, ErrMetadataConflict):
		return &app.UserError{What: what, Why: "the VM's metadata kept changing while iapdesk was updating it",
			Fix: "Try again in a moment.", Err: err}
	case status == http.StatusForbidden:
		return &app.UserError{What: what,
			Why: fmt.Sprintf("you lack permission to change the metadata of VM %s in project %s", ref.Name, ref.Project),
			Fix: "Ask a project owner for roles/compute.instanceAdmin.v1 (Compute Instance Admin (v1)) and roles/iam.serviceAccountUser (Service Account User).",
			Err: fmt.Errorf("%w: %w", app.ErrPermissionDenied, err)}
	case status == http.StatusBadRequest && strings.EqualFold(msg, "BAD REQUEST"):
		return &app.UserError{What: what,
			Why: "the VM runs as a service account you may not act as",
			Fix: "Ask a project owner for roles/iam.serviceAccountUser (Service Account User) on the VM's service account.",
			Err: fmt.Errorf("%w: %w", app.ErrPermissionDenied, err)}
	case status == http.StatusNotFound:
		return &app.UserError{What: what,
			Why: fmt.Sprintf("VM %s does not exist in zone %s of project %s", ref.Name, ref.Zone, ref.Project),
			Fix: "Refresh the project: the VM may have been deleted or renamed.",
			Err: fmt.Errorf("%w: %w", app.ErrInstanceNotFound, err)}
	}
	ue = app.AsUserError(err)
	return &app.UserError{What: what, Why: ue.Why, Fix: ue.Fix, Err: ue.Err}
}
