package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"iapdesk/app"
	"iapdesk/platform"
	"iapdesk/platform/systest"
	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// winVM and linuxVM are the connect targets; the relay routes their ports.
var (
	winVM   = app.Instance{InstanceRef: app.InstanceRef{Project: "proj", Zone: "europe-west4-a", Name: "win-1"}, ID: 4001, Status: "RUNNING", OS: app.OSWindows}
	linuxVM = app.Instance{InstanceRef: app.InstanceRef{Project: "proj", Zone: "europe-west4-a", Name: "lnx-1"}, ID: 4002, Status: "RUNNING", OS: app.OSLinux}
)

// echoBackend is a TCP echo server for the relay to route to.
func echoBackend(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// world is a relay, tunnels and a connector whose launcher finds programs
// only in bin.
type world struct {
	relay     *relaytest.Server
	tunnels   *app.Tunnels
	connector *app.Connector
	launcher  *platform.Launcher
	bin       string
	ended     chan *app.Session
}

func newWorld(t testing.TB, faults relaytest.Faults) *world {
	t.Helper()
	w := &world{bin: t.TempDir(), ended: make(chan *app.Session, 10)}
	w.relay = relaytest.NewServer(relaytest.Config{Faults: faults})
	t.Cleanup(w.relay.Close)
	backend := echoBackend(t)
	for _, vm := range []app.Instance{winVM, linuxVM} {
		for _, port := range []int{22, 3389, 8080} {
			w.relay.Route(relaytest.VM(vm.Project, vm.Zone, vm.Name, port), backend)
		}
	}
	log := slog.New(slog.DiscardHandler)
	d := &tunnel.Dialer{TokenSource: staticToken{}, URL: w.relay.URL, Logger: log,
		Retry: tunnel.Backoff{Initial: time.Millisecond, Budget: 2 * time.Second}, ConnectRetry: 100 * time.Millisecond}
	var err error
	w.tunnels, err = app.NewTunnels(app.TunnelsConfig{Dialer: d, AllowPeer: platform.PeerIsSameUser, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.tunnels.Shutdown)
	w.launcher, err = platform.New(platform.Config{
		Logger:    log,
		ConfigDir: t.TempDir(),
		LookPath: func(name string) (string, error) {
			p := filepath.Join(w.bin, name)
			if _, err := os.Stat(p); err != nil {
				return "", exec.ErrNotFound
			}
			return p, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.connector, err = app.NewConnector(app.ConnectorConfig{
		Tunnels: w.tunnels, Launcher: w.launcher, Logger: log,
		OnSessionEnd: func(s *app.Session) {
			select { // OnSessionEnd must not block
			case w.ended <- s:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.connector.Wait)
	return w
}

type staticToken struct{}

func (staticToken) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: "tok", TokenType: "Bearer"}, nil
}

// fakeRDPClient installs an xfreerdp that records its arguments and the
// password line from stdin, sends "ping" to the /v: address and records the
// echo, as a stand-in for FreeRDP (the real one is tested in platform).
func (w *world) fakeRDPClient(t testing.TB) (record string) {
	t.Helper()
	record = filepath.Join(t.TempDir(), "record")
	script := fmt.Sprintf(`#!/bin/bash
set -e
read -r password
addr=""
for a in "$@"; do case "$a" in /v:*) addr="${a#/v:}";; esac; done
exec 3<>"/dev/tcp/${addr%%:*}/${addr##*:}"
printf ping >&3
reply=$(head -c 4 <&3)
{ echo "argv=$*"; echo "password=$password"; echo "reply=$reply"; } > %q
`, record)
	if err := os.WriteFile(filepath.Join(w.bin, "xfreerdp"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return record
}

func TestConnectRDP(t *testing.T) {
	w := newWorld(t, relaytest.Faults{})
	record := w.fakeRDPClient(t)
	s, err := w.connector.Connect(context.Background(), app.Request{
		Instance: winVM,
		RDP:      app.RDPParams{Username: "alice", Domain: "CORP", Password: "S3cret pass'\"$"},
	}, nil)
	if err != nil {
		t.Fatalf("Connect = %v", err)
	}
	if s.Request.Protocol != app.ProtocolRDP || s.Request.Port != 3389 || s.Tunnel.LocalPort == 0 {
		t.Fatalf("session %+v: want RDP on 3389 through a local port", s.Request)
	}
	if argv := strings.Join(s.Process.Argv(), " "); strings.Contains(argv, "S3cret") {
		t.Fatalf("password on the command line: %s", argv)
	}
	<-s.Done()
	if s.Err() != nil {
		t.Fatalf("client exited with %v", s.Err())
	}
	got, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("/v:127.0.0.1:%d", s.Tunnel.LocalPort), "/u:alice", "/d:CORP", "/from-stdin:force",
		"password=S3cret pass'\"$\n", "reply=ping"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("client record lacks %q:\n%s", want, got)
		}
	}
	if ended := <-w.ended; ended != s {
		t.Error("OnSessionEnd got another session")
	}
	// The client exited: its tunnel is released and closed.
	waitTunnels(t, w.tunnels, 0)
}

func waitTunnels(t *testing.T, ts *app.Tunnels, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(ts.List()) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d tunnels open, want %d", len(ts.List()), n)
		}
		time.Sleep(10 * time.Millisecond) // polling the tunnel list
	}
}

// Connecting twice to the same instance and port reuses the tunnel.
func TestTunnelReuse(t *testing.T) {
	w := newWorld(t, relaytest.Faults{})
	key := app.TunnelKey{Ref: linuxVM.InstanceRef, Port: 8080}
	a, err := w.tunnels.Acquire(context.Background(), key, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.tunnels.Acquire(context.Background(), key, false)
	if err != nil {
		t.Fatal(err)
	}
	if a.LocalPort != b.LocalPort {
		t.Errorf("second Acquire got port %d, want the first tunnel's %d", b.LocalPort, a.LocalPort)
	}
	if l := w.tunnels.List(); len(l) != 1 || l[0].Clients != 2 {
		t.Fatalf("tunnels %+v, want one with 2 clients", l)
	}
	// One connection-check session so far: reuse opened no second tunnel.
	if n := len(w.relay.Sessions()); n != 1 {
		t.Errorf("%d relay sessions, want 1", n)
	}
	w.tunnels.Release(key)
	if len(w.tunnels.List()) != 1 {
		t.Fatal("tunnel closed while a client still uses it")
	}
	w.tunnels.Release(key)
	waitTunnels(t, w.tunnels, 0)
}

// A plain tunnel ("Connect to port…" without a client) stays until closed,
// and carries traffic to the VM's port.
func TestConnectTunnelOnly(t *testing.T) {
	w := newWorld(t, relaytest.Faults{})
	s, err := w.connector.Connect(context.Background(), app.Request{Instance: linuxVM, Protocol: app.ProtocolTunnel, Port: 8080}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Tunnel.LocalAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo through the tunnel = %q, %v", buf, err)
	}
	if l := w.tunnels.List(); len(l) != 1 || !l[0].KeepOpen {
		t.Fatalf("tunnels %+v, want one kept open", l)
	}
	w.tunnels.Close(s.Tunnel.Key)
	waitTunnels(t, w.tunnels, 0)
}

// Failures become UserErrors that say what to do.
func TestConnectErrors(t *testing.T) {
	stopped := linuxVM
	stopped.Status = "TERMINATED"
	tests := []struct {
		name    string
		faults  relaytest.Faults
		req     app.Request
		install bool // a fake RDP client on PATH
		is      error
		fix     string
	}{
		{"not authorized", relaytest.Faults{CloseOnConnect: 4033, CloseReason: "denied by policy"},
			app.Request{Instance: linuxVM, Protocol: app.ProtocolTunnel, Port: 22}, false, tunnel.ErrNotAuthorized, "roles/iap.tunnelResourceAccessor"},
		{"firewall", relaytest.Faults{CloseOnConnect: 4003},
			app.Request{Instance: linuxVM, Protocol: app.ProtocolTunnel, Port: 22}, false, tunnel.ErrBackendUnreachable, "35.235.240.0/20 on TCP port 22"},
		{"not found", relaytest.Faults{CloseOnConnect: 4047},
			app.Request{Instance: linuxVM, Protocol: app.ProtocolTunnel, Port: 22}, false, tunnel.ErrInstanceNotFound, "Refresh"},
		{"no rdp client", relaytest.Faults{},
			app.Request{Instance: winVM, RDP: app.RDPParams{Username: "u", Password: "p"}}, false, exec.ErrNotFound, "sudo apt install freerdp2-x11"},
		{"no credentials", relaytest.Faults{},
			app.Request{Instance: winVM}, true, app.ErrCredentialsRequired, "generate Windows credentials"},
		{"stopped", relaytest.Faults{},
			app.Request{Instance: stopped}, false, nil, "Start the VM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.faults)
			if tc.install {
				w.fakeRDPClient(t)
			}
			_, err := w.connector.Connect(context.Background(), tc.req, nil)
			var ue *app.UserError
			if !errors.As(err, &ue) {
				t.Fatalf("Connect = %v, want a *UserError", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("Connect = %v, want errors.Is %v", err, tc.is)
			}
			if !strings.Contains(ue.Fix, tc.fix) {
				t.Errorf("Fix = %q, want it to mention %q", ue.Fix, tc.fix)
			}
			if ue.What == "" || ue.Why == "" {
				t.Errorf("UserError %+v lacks What or Why", ue)
			}
			waitTunnels(t, w.tunnels, 0)
		})
	}
}

// TestE2ESSHThroughTunnel: real ssh through a tunnel to a real sshd runs a
// command (the `iapdesk ssh` orchestration), and scp copies 10 MiB through
// the same tunnel intact.
func TestE2ESSHThroughTunnel(t *testing.T) {
	sshd := systest.StartSSHD(t, systest.SSHDConfig{})
	scp := systest.Require(t, "scp")[0]
	w := newWorld(t, relaytest.Faults{})
	w.relay.Route(relaytest.VM(linuxVM.Project, linuxVM.Zone, linuxVM.Name, 22), sshd.Addr)
	sshPath, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(sshPath, filepath.Join(w.bin, "ssh")); err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	alias := fmt.Sprintf("compute.%d", linuxVM.ID)
	if err := os.WriteFile(kh, []byte(sshd.KnownHostsLine(alias)), 0o600); err != nil {
		t.Fatal(err)
	}
	params := app.SSHParams{Username: sshd.User, KeyFile: sshd.ClientKey, KnownHostsFile: kh, StrictHostKeyChecking: "yes",
		Options: []string{"BatchMode=yes"}, Command: []string{"echo", "ran-on-$(hostname)-as-$(id", "-un)"}}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	err = w.connector.RunSSH(ctx, app.Request{Instance: linuxVM, SSH: params}, app.Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if err != nil {
		t.Fatalf("RunSSH = %v\n%s", err, errOut.String())
	}
	if want := "-as-" + sshd.User; !strings.Contains(out.String(), "ran-on-") || !strings.Contains(out.String(), want) {
		t.Errorf("remote command output = %q", out.String())
	}

	// scp 10 MiB through one kept-open tunnel to the VM's port 22.
	key := app.TunnelKey{Ref: linuxVM.InstanceRef, Port: 22}
	info, err := w.tunnels.Acquire(ctx, key, true)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.bin"), filepath.Join(dir, "dst.bin")
	data := make([]byte, 10<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	scpArgs := []string{"-F", "/dev/null", "-i", sshd.ClientKey, "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + kh,
		"-o", "HostKeyAlias=" + alias, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-P", fmt.Sprint(info.LocalPort),
		src, sshd.User + "@127.0.0.1:" + dst}
	if out, err := exec.CommandContext(ctx, scp, scpArgs...).CombinedOutput(); err != nil {
		t.Fatalf("scp: %v\n%s", err, out)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("scp copy sha256 differs (%d bytes, want %d)", len(got), len(data))
	}
	// BytesUp counts payload the relay acknowledged (tunnel.Stats): a
	// connection that has ended keeps what was acknowledged by then, and
	// the relay acknowledges in steps, so the last step of scp's 10 MiB
	// (and ssh's few percent of framing) may not be in it. Most must be.
	if l := w.tunnels.List(); len(l) != 1 || l[0].BytesUp < 9<<20 {
		t.Errorf("tunnel stats %+v, want most of the 10 MiB up", l)
	}
}

// BenchmarkConnect measures a connect action until the tunnel listens (the
// connection check included) and the client process has started.
func BenchmarkConnect(b *testing.B) {
	w := newWorld(b, relaytest.Faults{})
	client := platform.App{Name: "true", Template: "true"}
	if err := os.Symlink("/bin/true", filepath.Join(w.bin, "true")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		s, err := w.connector.Connect(context.Background(), app.Request{Instance: linuxVM, Protocol: app.ProtocolApp, Port: 8080, App: client}, nil)
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		<-s.Done()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/connect")
}

// A preferred local port is used when free, and a taken one falls back to a
// free port rather than failing the connection.
func TestPreferredLocalPort(t *testing.T) {
	w := newWorld(t, relaytest.Faults{})
	port := systest.FreePort(t)
	s, err := w.connector.Connect(context.Background(), app.Request{Instance: linuxVM, Protocol: app.ProtocolTunnel, Port: 8080, LocalPort: port}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Tunnel.LocalPort != port {
		t.Errorf("tunnel on port %d, want the preferred %d", s.Tunnel.LocalPort, port)
	}
	// Port now taken by the first tunnel: a second instance gets a free one.
	s2, err := w.connector.Connect(context.Background(), app.Request{Instance: winVM, Protocol: app.ProtocolTunnel, Port: 8080, LocalPort: port}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Tunnel.LocalPort == port || s2.Tunnel.LocalPort == 0 {
		t.Errorf("second tunnel on port %d, want a free one other than %d", s2.Tunnel.LocalPort, port)
	}
}
