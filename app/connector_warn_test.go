package app_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"iapdesk/app"
	"iapdesk/platform"
	"iapdesk/platform/systest"
	"iapdesk/tunnel"
)

// osLoginOnly publishes every key through OS Login for user: the account's
// POSIX user, whatever user was asked for.
type osLoginOnly struct{ user string }

func (p osLoginOnly) Publish(_ context.Context, req app.PublishRequest) (app.PublishedKey, error) {
	return app.PublishedKey{Username: p.user, KeyFile: req.Key.PrivateKeyFile, Method: app.PublishOSLogin}, nil
}

// TestConnectorSaysOSLoginUser: a user asked for (iapdesk ssh --user, the
// ssh.username setting) that OS Login overrides is not dropped silently:
// the connector warns that it logs in as OS Login's user instead, as
// gcloud does; a user OS Login agrees with, or none, draws no warning.
func TestConnectorSaysOSLoginUser(t *testing.T) {
	tests := []struct {
		asked string
		warn  bool
	}{{"admin", true}, {"alice_example_com", false}, {"", false}}
	for _, tc := range tests {
		t.Run(tc.asked, func(t *testing.T) {
			var log systest.Buffer
			tunnels, err := app.NewTunnels(app.TunnelsConfig{Dialer: &tunnel.Dialer{TokenSource: staticToken{}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(tunnels.Shutdown)
			launcher, err := platform.New(platform.Config{ConfigDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			keys, err := app.NewSSHKeys(app.SSHKeysConfig{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			c, err := app.NewConnector(app.ConnectorConfig{Tunnels: tunnels, Launcher: launcher, SSHKeys: keys,
				Publisher: osLoginOnly{"alice_example_com"}, Account: "alice@example.com",
				Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			if err != nil {
				t.Fatal(err)
			}
			req, err := c.Prepare(context.Background(), app.Request{Instance: linuxVM, Protocol: app.ProtocolSSH,
				SSH: app.SSHParams{Username: tc.asked}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if req.SSH.Username != "alice_example_com" {
				t.Errorf("logs in as %q, want OS Login's alice_example_com", req.SSH.Username)
			}
			warned := strings.Contains(log.String(), "using the os login user instead of the requested one")
			if warned != tc.warn || tc.warn && !strings.Contains(log.String(), "requested="+tc.asked) {
				t.Errorf("asked for %q: log %q, want a warning %v", tc.asked, log.String(), tc.warn)
			}
		})
	}
}

// TestConnectorLogsFailures: a connect that fails is logged at info with
// its cause (the window's and the command line's log), not only shown.
func TestConnectorLogsFailures(t *testing.T) {
	var log systest.Buffer
	tunnels, err := app.NewTunnels(app.TunnelsConfig{Dialer: &tunnel.Dialer{TokenSource: staticToken{}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tunnels.Shutdown)
	launcher, err := platform.New(platform.Config{ConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	stopped := app.InstanceRef{Project: "p", Zone: "z", Name: "stopped-vm"}
	c, err := app.NewConnector(app.ConnectorConfig{Tunnels: tunnels, Launcher: launcher,
		Instances: instanceTable{stopped: {InstanceRef: stopped, Status: "TERMINATED", OS: app.OSLinux}},
		Logger:    slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connect(context.Background(), app.Request{Instance: app.Instance{InstanceRef: stopped}, Port: 5432,
		Protocol: app.ProtocolTunnel}, nil); !errors.Is(err, app.ErrInstanceNotRunning) {
		t.Fatalf("Connect(stopped VM) = %v, want ErrInstanceNotRunning", err)
	}
	got := log.String()
	for _, want := range []string{"level=INFO", `msg="connect failed"`, "instance=stopped-vm", "port=5432", "the VM is TERMINATED"} {
		if !strings.Contains(got, want) {
			t.Errorf("log %q, want %q in it", got, want)
		}
	}
}
