package demo_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"iapdesk/app/demo"
	"iapdesk/platform/systest"
	"iapdesk/tunnel"
)

// TestRelayBackends: with the demo account's token, the relay reaches each
// VM port's in-process server (no TCP port behind it), refuses ports
// nothing serves with 4003 and unknown VMs with 4047.
func TestRelayBackends(t *testing.T) {
	for _, kind := range []string{demo.SSHSystem, demo.SSHBuiltin} {
		t.Run(kind, func(t *testing.T) {
			if kind == demo.SSHSystem {
				systest.Require(t, "/usr/sbin/sshd")
			}
			w := start(t, demo.Config{SSHServer: kind, NoRDP: true})
			relayURL, _, tokens := w.Relay()
			d := &tunnel.Dialer{TokenSource: tokens, URL: relayURL}
			vm := func(name string, port int) tunnel.Target {
				return tunnel.Target{Project: demo.LinuxVM.Project, Zone: demo.LinuxVM.Zone, Instance: name, Port: port}
			}
			tests := []struct {
				target  tunnel.Target
				send    string
				want    string // prefix of the answer
				wantErr error
			}{
				{vm(demo.LinuxVM.Name, 22), "", "SSH-2.0-", nil},
				{vm(demo.LinuxVM.Name, 80), "GET / HTTP/1.0\r\nHost: vm\r\n\r\n", "HTTP/1.0 200 OK", nil},
				{vm(demo.LinuxVM.Name, 5432), "\x00\x00\x00\x08\x04\xd2\x16\x2f", "N", nil}, // SSLRequest: no TLS
				{vm(demo.LinuxVM.Name, 5433), "", "", tunnel.ErrBackendUnreachable},
				{vm(demo.WindowsVM.Name, 3389), "", "", tunnel.ErrBackendUnreachable}, // NoRDP
				{vm("no-such-vm", 22), "", "", tunnel.ErrInstanceNotFound},
			}
			for _, tc := range tests {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				got, err := exchange(ctx, d, tc.target, tc.send, len(tc.want))
				cancel()
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Errorf("Dial(%s:%d) = %v, want %v", tc.target.Instance, tc.target.Port, err, tc.wantErr)
					}
					continue
				}
				if err != nil || got != tc.want {
					t.Errorf("Dial(%s:%d) answered %q, %v; want %q", tc.target.Instance, tc.target.Port, got, err, tc.want)
				}
			}
		})
	}
}

// exchange dials target, sends send and reads n bytes of the answer.
func exchange(ctx context.Context, d *tunnel.Dialer, target tunnel.Target, send string, n int) (string, error) {
	c, err := d.Dial(ctx, target)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(deadline)
	}
	if _, err := io.WriteString(c, send); err != nil {
		return "", err
	}
	buf := make([]byte, n)
	_, err = io.ReadFull(c, buf)
	return string(buf), err
}

// TestPostgresSample: the "Warehouse Postgres (tunnel)" sample works: its
// VM's port 5432 answers a PostgreSQL client's startup and a simple query
// through the relay.
func TestPostgresSample(t *testing.T) {
	w := start(t, demo.Config{SSHServer: demo.SSHBuiltin, NoRDP: true})
	relayURL, _, tokens := w.Relay()
	d := &tunnel.Dialer{TokenSource: tokens, URL: relayURL}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, tunnel.Target{Project: demo.PostgresVM.Project, Zone: demo.PostgresVM.Zone, Instance: demo.PostgresVM.Name, Port: 5432})
	if err != nil {
		t.Fatalf("Dial(%s:5432) = %v", demo.PostgresVM.Name, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	params := "user\x00demo\x00database\x00demo\x00\x00"
	startup := binary.BigEndian.AppendUint32(nil, uint32(8+len(params)))
	startup = binary.BigEndian.AppendUint32(startup, 196608) // protocol 3.0
	startup = append(startup, params...)
	query := "select 1\x00"
	msg := append([]byte{'Q'}, binary.BigEndian.AppendUint32(nil, uint32(4+len(query)))...)
	if _, err := c.Write(append(append(startup, msg...), query...)); err != nil {
		t.Fatal(err)
	}
	// Read messages up to the second ReadyForQuery (after the query).
	var got []byte
	for ready := 0; ready < 2; {
		var hdr [5]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			t.Fatalf("read after %q: %v", got, err)
		}
		body := make([]byte, binary.BigEndian.Uint32(hdr[1:])-4)
		if _, err := io.ReadFull(c, body); err != nil {
			t.Fatal(err)
		}
		got = append(got, body...)
		if hdr[0] == 'Z' {
			ready++
		}
		if hdr[0] == 'E' {
			t.Fatalf("the stub answered an error: %q", body)
		}
	}
	if !bytes.Contains(got, []byte("iapdesk demo: the tunnel works")) {
		t.Errorf("the query's answer %q does not say it is the demo", got)
	}
}
