package gcetest_test

import (
	"io"
	"strings"
	"testing"

	"iapdesk/app/gcetest"
)

func TestSerialPortOutput(t *testing.T) {
	srv := newServer(t, gcetest.Config{SerialBufferSize: 64,
		Projects: []gcetest.Project{{ID: "serial-project", Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a", Status: "TERMINATED"}}}}})
	svc := computeClient(t, srv)
	const p, z, n = "serial-project", "us-central1-a", "vm-1"
	if err := srv.AppendSerial(p, z, n, 2, "0123456789"); err != nil {
		t.Fatal(err)
	}
	out, err := svc.Instances.GetSerialPortOutput(p, z, n).Port(2).Do()
	if err != nil {
		t.Fatalf("GetSerialPortOutput: %v", err)
	}
	if out.Contents != "0123456789" || out.Start != 0 || out.Next != 10 {
		t.Errorf("read from 0 = %q start %d next %d, want all 10 bytes, next 10", out.Contents, out.Start, out.Next)
	}
	// Nothing new: empty contents and next == start.
	out, err = svc.Instances.GetSerialPortOutput(p, z, n).Port(2).Start(10).Do()
	if err != nil || out.Contents != "" || out.Start != 10 || out.Next != 10 {
		t.Errorf("read at the end = %+v, %v; want empty with start = next = 10", out, err)
	}
	// Overflow the 64-byte ring: old output is gone and start says where
	// the returned data really begins.
	if err := srv.AppendSerial(p, z, n, 2, strings.Repeat("abcdefghij", 10)); err != nil {
		t.Fatal(err)
	}
	out, err = svc.Instances.GetSerialPortOutput(p, z, n).Port(2).Start(5).Do()
	if err != nil {
		t.Fatal(err)
	}
	if out.Next != 110 || out.Start != 110-64 || len(out.Contents) != 64 {
		t.Errorf("read from a discarded offset = %d bytes start %d next %d, want 64 bytes from 46 to 110", len(out.Contents), out.Start, out.Next)
	}
	out, err = svc.Instances.GetSerialPortOutput(p, z, n).Port(2).Start(-4).Do()
	if err != nil || out.Contents != "ghij" || out.Start != 106 {
		t.Errorf("read last 4 bytes = %+v, %v; want ghij from 106", out, err)
	}
	// The wire form sends start and next as strings, even when zero.
	resp, err := srv.HTTPClient().Get(srv.URL + "/compute/v1/projects/serial-project/zones/us-central1-a/instances/vm-1/serialPort?port=3")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"start":"0"`) || !strings.Contains(string(body), `"next":"0"`) {
		t.Errorf("empty port body = %s, want start and next as the string \"0\"", body)
	}
	if _, err := svc.Instances.GetSerialPortOutput(p, z, n).Port(5).Do(); err == nil {
		t.Errorf("port 5: want an error")
	}
}
