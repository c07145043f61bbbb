package demo_test

import (
	"context"
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
				{vm(demo.LinuxVM.Name, 5432), "", "", tunnel.ErrBackendUnreachable},
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
