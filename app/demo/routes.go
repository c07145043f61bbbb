package demo

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"iapdesk/app"
	"iapdesk/app/gcetest"
	"iapdesk/tunnel/relaytest"
)

// errRefused is what the relay's backend dial returns for a port nothing
// answers on: the relay closes with 4003 ("failed to connect to backend"),
// as IAP does for a VM without a firewall rule for the port, or one that is
// stopped.
var errRefused = errors.New("demo: connection refused")

// router decides what the relay connects each VM port to. Every backend is
// reached in-process (a pipe, a process's standard streams, a Unix socket
// in the demo's private directory), never a TCP port: the relay, which
// checks the demo account's token, is the only way in.
type router struct {
	gce *gcetest.Server
	vms map[string]gcetest.OS // key: project/zone/name
	ssh func(context.Context, app.InstanceRef) (net.Conn, error)
	web *webServer
	pg  *postgresServer
	rdp *rdpShadow
}

func vmKey(project, zone, name string) string { return project + "/" + zone + "/" + name }

// dial is relaytest's Dial: Linux :22 → the SSH server, Linux :80 and :8080
// → a small web server, Linux :5432 → a PostgreSQL stub, Windows :3389 →
// freerdp-shadow-cli when it runs;
// other ports, and stopped VMs, are refused; unknown VMs are not found
// (4047).
func (r *router) dial(ctx context.Context, t relaytest.Target) (net.Conn, error) {
	guest, ok := r.vms[vmKey(t.Project, t.Zone, t.Instance)]
	if !ok || t.Host != "" || t.Interface != "nic0" {
		return nil, fmt.Errorf("demo: %s: %w", t.Key(), relaytest.ErrUnknownTarget)
	}
	if st, err := r.gce.InstanceStatus(t.Project, t.Zone, t.Instance); err != nil || st != "RUNNING" {
		return nil, fmt.Errorf("%s (%s): %w", t.Key(), st, errRefused)
	}
	switch {
	case guest == gcetest.Linux && t.Port == 22 && r.ssh != nil:
		return r.ssh(ctx, app.InstanceRef{Project: t.Project, Zone: t.Zone, Name: t.Instance})
	case guest == gcetest.Linux && (t.Port == 80 || t.Port == 8080):
		return r.web.ln.dial(ctx)
	case guest == gcetest.Linux && t.Port == 5432 && r.pg != nil:
		return r.pg.ln.dial(ctx)
	case guest == gcetest.Windows && t.Port == 3389:
		return r.rdp.dial(ctx)
	}
	return nil, fmt.Errorf("%s: %w", t.Key(), errRefused)
}

// rdpShadow runs freerdp-shadow-cli, which serves an X display over RDP, on
// first use: every Windows VM's RDP port reaches it, so connecting shows a
// real RDP session (of the demo's own desktop). It listens on a Unix socket
// in its 0700 home, in the demo's 0700 directory: no other user can
// connect to it.
type rdpShadow struct {
	display string // "" disables it
	home    string // its $HOME, for the TLS certificate it generates, and its socket
	log     *slog.Logger
	ctx     context.Context // bounds the start; cancelled by close

	mu     sync.Mutex // guards tried, socket, p
	tried  bool
	socket string // "" when it does not run
	p      *proc
}

// start starts the server the first time and returns its socket, or ""
// when it cannot run (not installed, no display).
func (r *rdpShadow) start() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tried {
		return r.socket
	}
	r.tried = true
	shadow, err := exec.LookPath("freerdp-shadow-cli")
	if err != nil || r.display == "" {
		r.log.Info("windows vms have no rdp server in the demo", slog.String("display", r.display), slog.Any("error", err))
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
	socket := filepath.Join(r.home, "rdp.sock")
	// -auth: any user name and password are accepted; the point is to show
	// the RDP flow, not Windows logins. Only this process can reach the
	// socket, so only the demo's tunnels, which only the demo's user can
	// use, get there.
	cmd := exec.Command(shadow, "/ipc-socket:"+socket, "-auth")
	cmd.Env = append(os.Environ(), "DISPLAY="+r.display, "HOME="+r.home)
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := startProc(r.ctx, cmd, socket)
	if err != nil {
		r.log.Warn("freerdp-shadow-cli did not start", slog.Any("error", err))
		return ""
	}
	r.p, r.socket = p, socket
	return socket
}

// dial connects to the server, starting it on first use.
func (r *rdpShadow) dial(ctx context.Context) (net.Conn, error) {
	if r == nil {
		return nil, fmt.Errorf("rdp: %w", errRefused)
	}
	socket := r.start()
	if socket == "" {
		return nil, fmt.Errorf("rdp: %w", errRefused)
	}
	return (&net.Dialer{}).DialContext(ctx, "unix", socket)
}

func (r *rdpShadow) close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.p.stop()
	r.p, r.socket = nil, ""
}

// webServer answers on the Linux VMs' HTTP ports, so "Connect to port… →
// Browser" shows a page that came through the tunnel. It serves
// connections the router makes over in-memory pipes.
type webServer struct {
	srv *http.Server
	ln  *pipeListener
	wg  sync.WaitGroup // the serve loop
}

func startWebServer() *webServer {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>iapdesk demo</title><h1>Hello through IAP</h1>"+
			"<p>This page came from a demo VM through an iapdesk tunnel on %s.</p>", html.EscapeString(r.Host))
	})
	s := &webServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: newPipeListener("demo web server")}
	s.wg.Go(func() { _ = s.srv.Serve(s.ln) })
	return s
}

func (s *webServer) close() {
	_ = s.srv.Close()
	s.wg.Wait()
}
