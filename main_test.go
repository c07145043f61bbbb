package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"iapdesk/platform/systest"
	"iapdesk/tunnel/relaytest"
)

// The test binary doubles as the iapdesk command: with IAPDESK_TEST_MAIN=1
// it runs main() on its arguments, so end-to-end tests drive the real
// command line (flag parsing included) as ssh's ProxyCommand and as a
// process of its own. (internal/cli tests the commands in-process.)
func TestMain(m *testing.M) {
	if os.Getenv("IAPDESK_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// iapdesk returns a command running this binary as iapdesk.
func iapdesk(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "IAPDESK_TEST_MAIN=1")
	return cmd
}

// sshRelay starts a real sshd and a relay (ws or wss) routing vm-1:22 to it,
// and writes an access token file.
func sshRelay(t *testing.T, tls bool) (*systest.SSHD, *relaytest.Server, string) {
	t.Helper()
	sshd := systest.StartSSHD(t, systest.SSHDConfig{})
	cfg := relaytest.Config{CheckToken: func(tok string) bool { return tok == "e2e-token" }}
	var srv *relaytest.Server
	if tls {
		srv = relaytest.NewTLSServer(cfg)
	} else {
		srv = relaytest.NewServer(cfg)
	}
	t.Cleanup(srv.Close)
	srv.Route(relaytest.VM("e2e-project", "us-east1-b", "vm-1", 22), sshd.Addr)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("e2e-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return sshd, srv, tokenFile
}

// TestE2ESSHProxyCommand: OpenSSH's ssh with
// ProxyCommand="iapdesk tunnel … --listen-on-stdin", through the relay (plain
// and TLS with SSL_CERT_FILE), to a real sshd, runs a command.
func TestE2ESSHProxyCommand(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "ws", true: "wss"}[tls], func(t *testing.T) {
			sshd, srv, tokenFile := sshRelay(t, tls)
			env := []string{"IAPDESK_TEST_MAIN=1"}
			if tls {
				ca, err := srv.CA().WriteFile(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				env = append(env, "SSL_CERT_FILE="+ca)
			}
			proxy := fmt.Sprintf("env %s %s tunnel vm-1 22 --project e2e-project --zone us-east1-b --listen-on-stdin --iap-tunnel-url-override %s --access-token-file %s",
				strings.Join(env, " "), os.Args[0], srv.URL, tokenFile)
			args := append(sshd.SSHArgs(t, "compute.vm-1"), "-o", "ProxyCommand="+proxy,
				sshd.User+"@vm-1", "echo hello-through-iap; echo $((6*7))")
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, "ssh", args...).CombinedOutput()
			if err != nil {
				t.Fatalf("ssh: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "hello-through-iap\n42\n") {
				t.Errorf("ssh output = %q", out)
			}
			if got := srv.Handshakes(); len(got) != 1 || got[0].Token != "e2e-token" {
				t.Errorf("relay handshakes = %d (token %q), want 1 with the file's token", len(got), got[0].Token)
			}
		})
	}
}

// TestE2ETunnelListen: `iapdesk tunnel` prints gcloud's "Listening on port
// [N]." and forwards connections to that port; ssh and scp use it.
func TestE2ETunnelListen(t *testing.T) {
	sshd, srv, tokenFile := sshRelay(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := iapdesk(ctx, "tunnel", "vm-1", "22", "--project=e2e-project", "--zone=us-east1-b",
		"--local-host-port=localhost:0", "--iap-tunnel-url-override="+srv.URL, "--access-token-file="+tokenFile)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Errorf("iapdesk tunnel after SIGINT: %v", err)
		}
	}()
	sc := bufio.NewScanner(stderr)
	port := ""
	re := regexp.MustCompile(`^Listening on port \[(\d+)\]\.$`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			port = m[1]
			break
		}
	}
	if port == "" {
		t.Fatalf("no 'Listening on port [N].' line (scan error %v)", sc.Err())
	}
	go func() {
		for sc.Scan() {
			t.Log("iapdesk:", sc.Text())
		}
	}()
	args := append(sshd.SSHArgs(t, "compute.vm-1"), "-p", port, sshd.User+"@127.0.0.1", "echo via-local-port")
	out, err := exec.CommandContext(ctx, "ssh", args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "via-local-port") {
		t.Fatalf("ssh -p %s: %v\n%s", port, err, out)
	}
	// The connection check counts as one session, ssh as another.
	if n := len(srv.Sessions()); n != 2 {
		t.Errorf("%d relay sessions, want 2 (check + ssh)", n)
	}
}
