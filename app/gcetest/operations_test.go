package gcetest_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/api/googleapi"

	"iapdesk/app/gcetest"
)

func TestStartStopReset(t *testing.T) {
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{{ID: "power-project",
		Instances: []gcetest.Instance{{Name: "vm-1", Zone: "europe-west1-b"}}}}})
	svc := computeClient(t, srv)
	ctx := context.Background()
	const p, z, n = "power-project", "europe-west1-b", "vm-1"
	status := func() string {
		t.Helper()
		s, err := srv.InstanceStatus(p, z, n)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	op, err := svc.Instances.Stop(p, z, n).Do()
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if got := status(); got != "STOPPING" {
		t.Errorf("status while the stop operation is pending = %s, want STOPPING", got)
	}
	if op.OperationType != "stop" || !strings.HasSuffix(op.TargetLink, "/instances/vm-1") {
		t.Errorf("Stop operation = %s target %s", op.OperationType, op.TargetLink)
	}
	if done, err := svc.ZoneOperations.Wait(p, z, op.Name).Context(ctx).Do(); err != nil || done.Status != "DONE" {
		t.Fatalf("Wait(stop) = %+v, %v", done, err)
	}
	if got := status(); got != "TERMINATED" {
		t.Errorf("status after stop = %s, want TERMINATED", got)
	}

	_, err = svc.Instances.Reset(p, z, n).Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusBadRequest || gerr.Errors[0].Reason != "resourceNotReady" {
		t.Errorf("Reset of a stopped VM error = %v, want 400 resourceNotReady", err)
	}

	op, err = svc.Instances.Start(p, z, n).Do()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if got := status(); got != "STAGING" {
		t.Errorf("status while starting = %s, want STAGING", got)
	}
	if _, err := svc.ZoneOperations.Wait(p, z, op.Name).Do(); err != nil {
		t.Fatalf("Wait(start): %v", err)
	}
	if got := status(); got != "RUNNING" {
		t.Errorf("status after start = %s, want RUNNING", got)
	}

	before, err := svc.Instances.GetSerialPortOutput(p, z, n).Do()
	if err != nil {
		t.Fatal(err)
	}
	op, err = svc.Instances.Reset(p, z, n).Do()
	if err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if _, err := svc.ZoneOperations.Wait(p, z, op.Name).Do(); err != nil {
		t.Fatalf("Wait(reset): %v", err)
	}
	after, err := svc.Instances.GetSerialPortOutput(p, z, n).Start(before.Next).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(after.Contents, "Linux version") {
		t.Errorf("serial output after reset = %q, want a new boot log", after.Contents)
	}

	if _, err := svc.ZoneOperations.Get(p, z, "operation-nope").Do(); !errors.As(err, &gerr) || gerr.Code != 404 {
		t.Errorf("Get(unknown operation) error = %v, want 404", err)
	}
}

// TestCloseEndsWait checks that Close releases a blocked operations/wait
// and returns only once the server's goroutines are gone (goleak checks
// the rest in TestMain).
func TestCloseEndsWait(t *testing.T) {
	srv, err := gcetest.NewServer(gcetest.Config{OperationDelay: 1 << 40, // never completes on its own
		Projects: []gcetest.Project{{ID: "slow-project", Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	svc := computeClient(t, srv)
	op, err := svc.Instances.Stop("slow-project", "us-central1-a", "vm-1").Do()
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := svc.ZoneOperations.Wait("slow-project", "us-central1-a", op.Name).Do()
		waited <- err
	}()
	// Wait until the server has the request before closing.
	for {
		n := 0
		for _, r := range srv.Requests() {
			if strings.HasSuffix(r.Path, "/wait") {
				n++
			}
		}
		if n > 0 {
			break
		}
		runtime.Gosched()
	}
	srv.Close()
	<-waited // either an answer with the op still PENDING or a closed connection
}
