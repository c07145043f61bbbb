package app_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"iapdesk/app"
	"iapdesk/platform"
	"iapdesk/platform/systest"
	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// staticInventory is a LoadedInstances of fixed VMs.
type staticInventory struct{ inv *app.Inventory }

func (s staticInventory) Unfiltered() *app.Inventory { return s.inv }

func inventoryOf(insts ...app.Instance) *app.Inventory {
	byProject := map[string]*app.Project{}
	var order []string
	for _, in := range insts {
		p := byProject[in.Project]
		if p == nil {
			p = &app.Project{ProjectInfo: app.ProjectInfo{ID: in.Project}}
			byProject[in.Project] = p
			order = append(order, in.Project)
		}
		p.Zones = append(p.Zones, app.Zone{Name: in.Zone, Instances: []app.Instance{in}})
	}
	var ps []app.Project
	for _, id := range order {
		ps = append(ps, *byProject[id])
	}
	return app.NewInventory(ps, time.Now())
}

func vmAt(project, zone, name, ip string) app.Instance {
	return app.Instance{InstanceRef: app.InstanceRef{Project: project, Zone: zone, Name: name}, InternalIP: ip, Status: "RUNNING"}
}

// gatewayWorld is a relay, the shared tunnels and a gateway serving on a
// loopback port; logs holds the gateway's log.
type gatewayWorld struct {
	relay   *relaytest.Server
	tunnels *app.Tunnels
	gw      *app.Gateway
	addr    string
	logs    *systest.Buffer
	changed chan struct{}
}

func newGatewayWorld(t testing.TB, cfg app.GatewayConfig, faults relaytest.Faults) *gatewayWorld {
	t.Helper()
	w := &gatewayWorld{logs: &systest.Buffer{}, changed: make(chan struct{}, 1)}
	w.relay = relaytest.NewServer(relaytest.Config{Faults: faults})
	t.Cleanup(w.relay.Close)
	log := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var err error
	if w.tunnels, err = app.NewTunnels(app.TunnelsConfig{
		Dialer: &tunnel.Dialer{TokenSource: staticToken{}, URL: w.relay.URL, Logger: log}, Logger: log,
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.tunnels.Shutdown)
	cfg.Tunnels, cfg.Logger, cfg.AllowPeer = w.tunnels, log, platform.PeerIsSameUser
	cfg.OnChange = func() {
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
	if w.gw, err = app.NewGateway(cfg); err != nil {
		t.Fatal(err)
	}
	ln, err := app.ListenGateway(context.Background(), "127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	w.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.gw.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Gateway.Serve() = %v after ctx ended, want nil", err)
		}
	})
	return w
}

// route routes a VM port of the relay to a new echo backend that first
// says who it is.
func (w *gatewayWorld) route(t testing.TB, ref app.InstanceRef, port int) {
	t.Helper()
	name := fmt.Sprintf("%s:%d", ref.Name, port)
	w.relay.Route(relaytest.VM(ref.Project, ref.Zone, ref.Name, port), helloEcho(t, name))
}

// helloEcho is a backend that writes "hello NAME\n" and then echoes.
func helloEcho(t testing.TB, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				fmt.Fprintf(c, "hello %s\n", name)
				_, _ = io.Copy(c, c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close() // a session the relay keeps for a reconnect
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// socks5Dial connects to host:port through the gateway with SOCKS5.
func (w *gatewayWorld) socks5Dial(host string, port int) (net.Conn, error) {
	d, err := proxy.SOCKS5("tcp", w.addr, nil, proxy.Direct)
	if err != nil {
		return nil, err
	}
	return d.Dial("tcp", fmt.Sprintf("%s:%d", host, port))
}

// connectDial connects to host:port through the gateway with HTTP CONNECT
// and returns the connection and the gateway's status line.
func (w *gatewayWorld) connectDial(t testing.TB, host string, port int) (net.Conn, *http.Response) {
	t.Helper()
	c, err := net.Dial("tcp", w.addr)
	if err != nil {
		t.Fatal(err)
	}
	target := fmt.Sprintf("%s:%d", host, port)
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		c.Close()
		t.Fatalf("CONNECT %s: %v", target, err)
	}
	return &bufConn{Conn: c, r: br}, resp
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// greet reads the backend's hello and echoes msg.
func greet(t testing.TB, c net.Conn, want, msg string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || line != "hello "+want+"\n" {
		t.Errorf("backend greeting = %q, %v; want %q", line, err, "hello "+want)
		return
	}
	if _, err := io.WriteString(c, msg); err != nil {
		t.Error(err)
		return
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(br, got); err != nil || string(got) != msg {
		t.Errorf("echo = %q, %v; want %q", got, err, msg)
	}
}

var (
	gwWeb = app.InstanceRef{Project: "my-proj", Zone: "us-central1-a", Name: "web-1"}
	gwDB  = app.InstanceRef{Project: "my-proj", Zone: "us-central1-b", Name: "db-1"}
	gwDup = app.InstanceRef{Project: "other-proj", Zone: "europe-west1-b", Name: "web-1"}
)

// TestGatewayRoutes: a client names a VM by INSTANCE.ZONE.PROJECT (no
// inventory needed), by its name when unique among the loaded VMs, or by
// its internal IP, through SOCKS5 (names and addresses) and HTTP CONNECT.
func TestGatewayRoutes(t *testing.T) {
	inv := inventoryOf(vmAt(gwWeb.Project, gwWeb.Zone, gwWeb.Name, "10.128.0.7"), vmAt(gwDB.Project, gwDB.Zone, gwDB.Name, "10.128.0.9"),
		vmAt(gwDup.Project, gwDup.Zone, gwDup.Name, "10.132.0.2"))
	w := newGatewayWorld(t, app.GatewayConfig{Instances: staticInventory{inv}}, relaytest.Faults{})
	w.route(t, gwWeb, 80)
	w.route(t, gwDB, 5432)
	w.route(t, gwDup, 80)
	tests := []struct {
		host string
		port int
		want string // the backend's name
	}{
		{"web-1.us-central1-a.my-proj", 80, "web-1:80"},
		{"WEB-1.us-central1-a.my-proj.", 80, "web-1:80"},
		{"web-1.europe-west1-b.other-proj", 80, "web-1:80"},
		{"db-1", 5432, "db-1:5432"},
		{"10.128.0.9", 5432, "db-1:5432"},
		{"10.132.0.2", 80, "web-1:80"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("socks5 %s:%d", tc.host, tc.port), func(t *testing.T) {
			c, err := w.socks5Dial(tc.host, tc.port)
			if err != nil {
				t.Fatalf("SOCKS5 dial %s:%d: %v", tc.host, tc.port, err)
			}
			defer c.Close()
			greet(t, c, tc.want, "through socks5")
		})
		t.Run(fmt.Sprintf("connect %s:%d", tc.host, tc.port), func(t *testing.T) {
			c, resp := w.connectDial(t, tc.host, tc.port)
			defer c.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("CONNECT %s:%d = %s, want 200", tc.host, tc.port, resp.Status)
			}
			greet(t, c, tc.want, "through connect")
		})
	}
}

// TestGatewayNoRoute: a host that names no VM, or several, gets SOCKS5's
// "host unreachable" and HTTP 404, with the reason in the log (and in
// the HTTP body).
func TestGatewayNoRoute(t *testing.T) {
	inv := inventoryOf(vmAt(gwWeb.Project, gwWeb.Zone, gwWeb.Name, "10.128.0.7"), vmAt(gwDup.Project, gwDup.Zone, gwDup.Name, "10.132.0.2"))
	w := newGatewayWorld(t, app.GatewayConfig{Instances: staticInventory{inv}}, relaytest.Faults{})
	for _, tc := range []struct{ host, reason string }{
		{"nosuch-vm", "names no VM"},
		{"web-1", "names several VMs"},
		{"10.9.9.9", "names no VM"},
	} {
		if _, err := w.socks5Dial(tc.host, 80); err == nil || !strings.Contains(err.Error(), "host unreachable") {
			t.Errorf("SOCKS5 dial %s:80 = %v, want host unreachable", tc.host, err)
		}
		c, resp := w.connectDial(t, tc.host, 80)
		body, _ := io.ReadAll(resp.Body)
		c.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), tc.reason) {
			t.Errorf("CONNECT %s:80 = %s %q, want 404 saying %q", tc.host, resp.Status, body, tc.reason)
		}
	}
	if logs := w.logs.String(); !strings.Contains(logs, "gateway has no route") || !strings.Contains(logs, "nosuch-vm") {
		t.Errorf("gateway log does not give the reason:\n%s", logs)
	}
}

// TestGatewayRefusedRoute: a route IAP refuses (close 4033, not
// authorized) answers SOCKS5 "connection not allowed" and HTTP 403, and
// the reason goes to the log.
func TestGatewayRefusedRoute(t *testing.T) {
	w := newGatewayWorld(t, app.GatewayConfig{}, relaytest.Faults{CloseOnConnect: tunnel.CodeNotAuthorized, CloseReason: "no access"})
	w.route(t, gwWeb, 80)
	host := "web-1.us-central1-a.my-proj"
	if _, err := w.socks5Dial(host, 80); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("SOCKS5 dial to a refused route = %v, want connection not allowed", err)
	}
	c, resp := w.connectDial(t, host, 80)
	body, _ := io.ReadAll(resp.Body)
	c.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("CONNECT to a refused route = %s %q, want 403", resp.Status, body)
	}
	logs := w.logs.String()
	if !strings.Contains(logs, "gateway route refused") || !strings.Contains(logs, "4033") {
		t.Errorf("gateway log does not say why the route was refused:\n%s", logs)
	}
	if len(w.tunnels.List()) != 0 {
		t.Errorf("a refused route left tunnels open: %v", w.tunnels.List())
	}
}

// TestGatewaySharesTunnels: 20 clients at once, to 3 VM ports, share 3
// tunnels (one per VM and port, as the window's); each client connection
// is its own relay session, as with `iapdesk tunnel`.
func TestGatewaySharesTunnels(t *testing.T) {
	w := newGatewayWorld(t, app.GatewayConfig{IdleTimeout: time.Hour}, relaytest.Faults{})
	routes := []struct {
		ref  app.InstanceRef
		port int
	}{{gwWeb, 80}, {gwWeb, 443}, {gwDB, 5432}}
	for _, r := range routes {
		w.route(t, r.ref, r.port)
	}
	const clients = 20
	var wg sync.WaitGroup
	for i := range clients {
		r := routes[i%len(routes)]
		wg.Go(func() {
			host := r.ref.Name + "." + r.ref.Zone + "." + r.ref.Project
			var c net.Conn
			if i%2 == 0 {
				var err error
				if c, err = w.socks5Dial(host, r.port); err != nil {
					t.Errorf("client %d: %v", i, err)
					return
				}
			} else {
				var resp *http.Response
				if c, resp = w.connectDial(t, host, r.port); resp.StatusCode != http.StatusOK {
					t.Errorf("client %d: CONNECT = %s", i, resp.Status)
					c.Close()
					return
				}
			}
			defer c.Close()
			greet(t, c, fmt.Sprintf("%s:%d", r.ref.Name, r.port), fmt.Sprintf("client %d", i))
		})
	}
	wg.Wait()
	list := w.tunnels.List()
	if len(list) != len(routes) {
		t.Fatalf("%d clients opened %d tunnels, want %d (one per VM port): %v", clients, len(list), len(routes), list)
	}
	if got := w.gw.Routes(); len(got) != len(routes) {
		t.Errorf("Gateway.Routes() = %v, want %d routes", got, len(routes))
	}
	sessions := 0
	for _, s := range w.relay.Sessions() {
		if s.BytesFromClient > 0 {
			sessions++
		}
	}
	if sessions != clients {
		t.Errorf("the relay carried %d sessions with data, want one per client (%d)", sessions, clients)
	}
}

// TestGatewayIdleClose: a route's tunnel closes IdleTimeout after its last
// connection, and opens again on the next.
func TestGatewayIdleClose(t *testing.T) {
	w := newGatewayWorld(t, app.GatewayConfig{IdleTimeout: 50 * time.Millisecond}, relaytest.Faults{})
	w.route(t, gwWeb, 80)
	for round := range 2 {
		c, err := w.socks5Dial("web-1.us-central1-a.my-proj", 80)
		if err != nil {
			t.Fatal(err)
		}
		greet(t, c, "web-1:80", "hi")
		if n := len(w.tunnels.List()); n != 1 {
			t.Fatalf("round %d: %d tunnels while a client is connected, want 1", round, n)
		}
		c.Close()
		deadline := time.After(10 * time.Second)
		for len(w.tunnels.List()) != 0 || len(w.gw.Routes()) != 0 {
			select {
			case <-w.changed:
			case <-deadline:
				t.Fatalf("round %d: tunnels %v, routes %v 10 s after the last client left; want none", round, w.tunnels.List(), w.gw.Routes())
			}
		}
	}
}

// TestGatewayRefusesOtherUsers is the same-user check: the gateway asks
// AllowPeer about each client.
func TestGatewayRefusesOtherUsers(t *testing.T) {
	w := newGatewayWorld(t, app.GatewayConfig{}, relaytest.Faults{})
	// Rebuild with a peer check that refuses everyone.
	refused := errors.New("another user")
	gw, err := app.NewGateway(app.GatewayConfig{Tunnels: w.tunnels, AllowPeer: func(net.Conn) error { return refused },
		Logger: slog.New(slog.NewTextHandler(w.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	d, _ := proxy.SOCKS5("tcp", ln.Addr().String(), nil, proxy.Direct)
	if c, err := d.Dial("tcp", "web-1.us-central1-a.my-proj:80"); err == nil {
		c.Close()
		t.Fatal("a client the peer check refuses got through")
	}
	if !strings.Contains(w.logs.String(), "gateway refused a client") {
		t.Errorf("the refusal is not logged:\n%s", w.logs.String())
	}
}

// TestGatewayReopensClosedRoute: a route's tunnel closed in the tunnels
// panel (Tunnels.Close) is opened again by the next client, not left
// answering errors until it idles out.
func TestGatewayReopensClosedRoute(t *testing.T) {
	w := newGatewayWorld(t, app.GatewayConfig{IdleTimeout: time.Hour}, relaytest.Faults{})
	w.route(t, gwWeb, 80)
	host := "web-1.us-central1-a.my-proj"
	c, err := w.socks5Dial(host, 80)
	if err != nil {
		t.Fatal(err)
	}
	greet(t, c, "web-1:80", "first")
	c.Close()
	w.tunnels.Close(app.TunnelKey{Ref: gwWeb, Port: 80})
	c, err = w.socks5Dial(host, 80)
	if err != nil {
		t.Fatalf("SOCKS5 dial after the route's tunnel was closed: %v", err)
	}
	defer c.Close()
	greet(t, c, "web-1:80", "again")
	if n := len(w.tunnels.List()); n != 1 {
		t.Errorf("%d tunnels after the route reopened, want 1", n)
	}
}
