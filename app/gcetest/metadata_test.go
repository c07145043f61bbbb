package gcetest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"iapdesk/app/gcetest"
)

func metaProject() gcetest.Project {
	return gcetest.Project{ID: "meta-project",
		Metadata:  []gcetest.MetadataItem{{Key: "enable-oslogin", Value: "FALSE"}},
		Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a", Metadata: []gcetest.MetadataItem{{Key: "foo", Value: "bar"}}}},
	}
}

func TestSetMetadataFingerprint(t *testing.T) {
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{metaProject()}})
	svc := computeClient(t, srv)
	ctx := context.Background()
	in, err := svc.Instances.Get("meta-project", "us-central1-a", "vm-1").Do()
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	old := in.Metadata.Fingerprint
	v := "baz"
	md := &compute.Metadata{Fingerprint: old, Items: []*compute.MetadataItems{{Key: "foo", Value: &v}, {Key: "new-key", Value: &v}}}
	op, err := svc.Instances.SetMetadata("meta-project", "us-central1-a", "vm-1", md).Do()
	if err != nil {
		t.Fatalf("SetMetadata with the current fingerprint: %v", err)
	}
	if op.Status != "PENDING" || op.OperationType != "setMetadata" || !strings.HasSuffix(op.Zone, "/zones/us-central1-a") {
		t.Errorf("SetMetadata operation = %s %s zone %s, want a PENDING zonal setMetadata", op.Status, op.OperationType, op.Zone)
	}
	done, err := svc.ZoneOperations.Wait("meta-project", "us-central1-a", op.Name).Context(ctx).Do()
	if err != nil || done.Status != "DONE" || done.Progress != 100 {
		t.Fatalf("ZoneOperations.Wait = %+v, %v; want DONE", done, err)
	}
	got, err := svc.ZoneOperations.Get("meta-project", "us-central1-a", op.Name).Do()
	if err != nil || got.Status != "DONE" || got.EndTime == "" {
		t.Errorf("ZoneOperations.Get after wait = %+v, %v; want DONE with an end time", got, err)
	}
	items, fp, err := srv.Metadata("meta-project", "us-central1-a", "vm-1")
	if err != nil {
		t.Fatal(err)
	}
	if fp == old || len(items) != 2 || items[0].Value != "baz" || items[1].Key != "new-key" {
		t.Errorf("metadata after write = %v fingerprint %q (old %q), want both items replaced and a new fingerprint", items, fp, old)
	}

	// Writing again with the stale fingerprint fails with Google's 412.
	_, err = svc.Instances.SetMetadata("meta-project", "us-central1-a", "vm-1", md).Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusPreconditionFailed {
		t.Fatalf("SetMetadata with a stale fingerprint error = %v, want 412", err)
	}
	if len(gerr.Errors) != 1 || gerr.Errors[0].Reason != "conditionNotMet" ||
		gerr.Message != "Supplied fingerprint does not match current metadata fingerprint." {
		t.Errorf("412 body = message %q errors %+v, want conditionNotMet", gerr.Message, gerr.Errors)
	}
}

func TestSetMetadataInvalid(t *testing.T) {
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{metaProject()}})
	svc := computeClient(t, srv)
	_, fp, err := srv.Metadata("meta-project", "us-central1-a", "vm-1")
	if err != nil {
		t.Fatal(err)
	}
	v := "x"
	big := strings.Repeat("x", 256<<10+1)
	tests := []struct {
		name  string
		items []*compute.MetadataItems
	}{
		{"bad key", []*compute.MetadataItems{{Key: "no spaces", Value: &v}}},
		{"duplicate key", []*compute.MetadataItems{{Key: "a", Value: &v}, {Key: "a", Value: &v}}},
		{"value too large", []*compute.MetadataItems{{Key: "a", Value: &big}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Instances.SetMetadata("meta-project", "us-central1-a", "vm-1",
				&compute.Metadata{Fingerprint: fp, Items: tc.items}).Do()
			var gerr *googleapi.Error
			if !errors.As(err, &gerr) || gerr.Code != http.StatusBadRequest {
				t.Errorf("SetMetadata(%s) error = %v, want 400", tc.name, err)
			}
		})
	}
}

func TestSetCommonInstanceMetadata(t *testing.T) {
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{metaProject()}})
	svc := computeClient(t, srv)
	p, err := svc.Projects.Get("meta-project").Do()
	if err != nil {
		t.Fatalf("Projects.Get: %v", err)
	}
	if p.Name != "meta-project" || p.Id == 0 || p.CommonInstanceMetadata == nil || len(p.CommonInstanceMetadata.Items) != 1 {
		t.Fatalf("Projects.Get = name %q id %d metadata %+v, want the project's metadata", p.Name, p.Id, p.CommonInstanceMetadata)
	}
	v := "TRUE"
	md := &compute.Metadata{Fingerprint: p.CommonInstanceMetadata.Fingerprint, Items: []*compute.MetadataItems{{Key: "enable-oslogin", Value: &v}}}
	op, err := svc.Projects.SetCommonInstanceMetadata("meta-project", md).Do()
	if err != nil {
		t.Fatalf("SetCommonInstanceMetadata: %v", err)
	}
	if op.Zone != "" || !strings.Contains(op.SelfLink, "/global/operations/") {
		t.Errorf("operation zone %q selfLink %q, want a global operation", op.Zone, op.SelfLink)
	}
	done, err := svc.GlobalOperations.Wait("meta-project", op.Name).Do()
	if err != nil || done.Status != "DONE" {
		t.Fatalf("GlobalOperations.Wait = %+v, %v; want DONE", done, err)
	}
	items, _, _ := srv.ProjectMetadata("meta-project")
	if len(items) != 1 || items[0].Value != "TRUE" {
		t.Errorf("project metadata = %v, want enable-oslogin=TRUE", items)
	}
	_, err = svc.Projects.SetCommonInstanceMetadata("meta-project", md).Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusPreconditionFailed {
		t.Errorf("second write with the same fingerprint error = %v, want 412", err)
	}
}

func TestSetMetadataDenied(t *testing.T) {
	p := metaProject()
	p.Denied = []string{"compute.instances.setMetadata"}
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{p}})
	svc := computeClient(t, srv)
	in, err := svc.Instances.Get("meta-project", "us-central1-a", "vm-1").Do()
	if err != nil {
		t.Fatalf("Get (allowed): %v", err)
	}
	_, err = svc.Instances.SetMetadata("meta-project", "us-central1-a", "vm-1", in.Metadata).Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusForbidden || !strings.Contains(gerr.Message, "compute.instances.setMetadata") {
		t.Errorf("SetMetadata without permission error = %v, want 403 naming compute.instances.setMetadata", err)
	}
}
