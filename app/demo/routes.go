package demo

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"iapdesk/app"
	"iapdesk/app/gcetest"
	"iapdesk/tunnel/relaytest"
)

// refused is an address no connection succeeds to: the relay answers 4003
// ("failed to connect to backend"), as IAP does for a VM without a
// firewall rule for the port, or one that is stopped.
const refused = "127.0.0.1:0"

// router decides where the relay sends each VM port.
type router struct {
	gce     *gcetest.Server
	vms     map[string]gcetest.OS      // key: project/zone/name
	ssh     map[app.InstanceRef]string // each Linux VM's port 22
	webAddr string
	rdp     *rdpShadow
}

func vmKey(project, zone, name string) string { return project + "/" + zone + "/" + name }

// resolve is relaytest's Resolve: Linux :22 → the SSH server, Linux :80 and
// :8080 → a small web server, Windows :3389 → freerdp-shadow-cli when it
// runs; other ports, and stopped VMs, are refused; unknown VMs are not
// found (4047).
func (r *router) resolve(t relaytest.Target) string {
	guest, ok := r.vms[vmKey(t.Project, t.Zone, t.Instance)]
	if !ok || t.Host != "" || t.Interface != "nic0" {
		return ""
	}
	if st, err := r.gce.InstanceStatus(t.Project, t.Zone, t.Instance); err != nil || st != "RUNNING" {
		return refused
	}
	switch {
	case guest == gcetest.Linux && t.Port == 22:
		if a := r.ssh[app.InstanceRef{Project: t.Project, Zone: t.Zone, Name: t.Instance}]; a != "" {
			return a
		}
	case guest == gcetest.Linux && (t.Port == 80 || t.Port == 8080):
		return r.webAddr
	case guest == gcetest.Windows && t.Port == 3389:
		if a := r.rdp.addr(); a != "" {
			return a
		}
	}
	return refused
}

// rdpShadow runs freerdp-shadow-cli, which serves an X display over RDP, on
// first use: every Windows VM's RDP port reaches it, so connecting shows a
// real RDP session (of the demo's own desktop).
type rdpShadow struct {
	display string // "" disables it
	home    string // its $HOME, for the TLS certificate it generates
	log     *slog.Logger
	ctx     context.Context // bounds the start; cancelled by close

	mu      sync.Mutex // guards tried, address, p
	tried   bool
	address string
	p       *proc
}

// addr starts the server the first time and returns its address, or ""
// when it cannot run (not installed, no display).
func (r *rdpShadow) addr() string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tried {
		return r.address
	}
	r.tried = true
	shadow, err := exec.LookPath("freerdp-shadow-cli")
	if err != nil || r.display == "" {
		r.log.Info("windows vms have no rdp server in the demo", slog.String("display", r.display), slog.Any("error", err))
		return ""
	}
	port, err := freePort()
	if err != nil {
		return ""
	}
	if err := os.MkdirAll(r.home, 0o700); err != nil {
		return ""
	}
	logf, err := os.OpenFile(filepath.Join(r.home, "shadow.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return ""
	}
	defer logf.Close()
	// -auth: any user name and password are accepted; the point is to show
	// the RDP flow, not Windows logins.
	cmd := exec.Command(shadow, "/port:"+strconv.Itoa(port), "/bind-address:127.0.0.1", "-auth")
	cmd.Env = append(os.Environ(), "DISPLAY="+r.display, "HOME="+r.home)
	cmd.Stdout, cmd.Stderr = logf, logf
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := startProc(r.ctx, cmd, addr)
	if err != nil {
		r.log.Warn("freerdp-shadow-cli did not start", slog.Any("error", err))
		return ""
	}
	r.p, r.address = p, addr
	return addr
}

func (r *rdpShadow) close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.p.stop()
	r.p, r.address = nil, ""
}

// webServer answers on the Linux VMs' HTTP ports, so "Connect to port… →
// Browser" shows a page that came through the tunnel.
type webServer struct {
	srv *http.Server
	ln  net.Listener
	wg  sync.WaitGroup // the serve loop
}

func startWebServer() (*webServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>iapdesk demo</title><h1>Hello through IAP</h1>"+
			"<p>This page came from a demo VM through an iapdesk tunnel on %s.</p>", html.EscapeString(r.Host))
	})
	s := &webServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	s.wg.Go(func() { _ = s.srv.Serve(ln) })
	return s, nil
}

func (s *webServer) Addr() string { return s.ln.Addr().String() }

func (s *webServer) close() {
	_ = s.srv.Close()
	s.wg.Wait()
}
