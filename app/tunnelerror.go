package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"iapdesk/platform"
	"iapdesk/tunnel"
)

// tunnelPlace is what a tunnel failure is about, for its wording.
type tunnelPlace struct {
	project string
	name    string // the VM's name, or the on-premises host
	port    int
	host    bool // an on-premises host reached through a destination group
}

// what is the thing IAP connects to, e.g. "VM vm-1" or "host 10.0.0.5".
func (p tunnelPlace) what() string {
	if p.host {
		return "host " + p.name
	}
	return "VM " + p.name
}

// TunnelError explains a failure of `iapdesk tunnel` to the person at the
// terminal: a tunnel that could not be opened, or a session that ended in
// an error. Fixes name flags and commands (iapdesk auth login). It returns
// nil for a nil err.
func TunnelError(t tunnel.Target, err error) *UserError {
	if err == nil {
		return nil
	}
	p := tunnelPlace{project: t.Project, name: t.Instance, port: t.Port}
	if t.Host != "" {
		p.name, p.host = t.Host, true
	}
	return explainTunnel(fmt.Sprintf("Cannot open a tunnel to %s (port %d)", p.name, p.port), p, err, onCommandLine)
}

// ConnectError turns a tunnel or launch failure of a connection from the
// window into a UserError that says which IAM role, firewall rule or
// package is missing. Failures it cannot place still name the VM and port.
// It returns nil for a nil err.
func ConnectError(ref InstanceRef, port int, err error) *UserError {
	return connectError(ref, port, err, inWindow)
}

// connectError is ConnectError for the surface s (`iapdesk ssh` reads it
// on the command line).
func connectError(ref InstanceRef, port int, err error, s surface) *UserError {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf("Cannot connect to %s (port %d)", ref.Name, port)
	p := tunnelPlace{project: ref.Project, name: ref.Name, port: port}
	var nf *platform.NotFoundError
	switch {
	case errors.As(err, &nf):
		fix := fmt.Sprintf("Install %s.", nf.Program)
		if nf.Package != "" {
			fix = fmt.Sprintf("Install %s (on Debian/Ubuntu: sudo apt install %s).", nf.Package, nf.Package)
		}
		return &UserError{What: what, Why: fmt.Sprintf("%s is not installed", nf.Program), Fix: fix, Err: err}
	case errors.Is(err, platform.ErrPasswordRequired):
		return &UserError{What: what, Why: "no password was given", Fix: "Enter the Windows password, or generate Windows credentials.",
			Err: errors.Join(ErrCredentialsRequired, err)}
	}
	return explainTunnel(what, p, err, s)
}

// explainTunnel explains err under what: a relay failure, an auth failure
// (the tunnel's token source), a UserError already made, or else the
// generic explanation, always under what so the VM and port stay named.
func explainTunnel(what string, p tunnelPlace, err error, s surface) *UserError {
	if u := networkFailure(what, err, s); u != nil {
		return u
	}
	if u := tunnelFailure(what, p, err, s); u != nil {
		return u
	}
	if u := authFailure(what, err, s); u != nil {
		return u
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	g := AsUserError(err)
	return &UserError{What: what, Why: g.Why, Fix: g.Fix, Err: g.Err}
}

// tunnelFailure explains the errors of package tunnel (close codes, HTTP
// statuses of the upgrade, the relay's certificate or silence, a lost
// session) under what; it is the only place their wording lives. It returns
// nil for other errors.
func tunnelFailure(what string, p tunnelPlace, err error, s surface) *UserError {
	reason := ""
	var ce *tunnel.CloseError
	if errors.As(err, &ce) && ce.Reason != "" {
		reason = ": " + ce.Reason
	}
	// Only the command line can point the relay elsewhere (a PSC
	// endpoint, a URL override); the window always uses Google's.
	cli := s == onCommandLine
	var cert *tunnel.CertificateError
	u := &UserError{What: what, Err: err}
	switch {
	case errors.As(err, &cert):
		u.Why = fmt.Sprintf("the TLS certificate of the IAP relay (%s) is not trusted: %s", cert.Host, x509Reason(cert.Err))
		u.Fix = "If a proxy inspects TLS traffic (HTTPS_PROXY, or your network's), set the SSL_CERT_FILE environment variable to a PEM file holding its CA certificate."
		if f := os.Getenv("SSL_CERT_FILE"); f != "" {
			u.Fix = fmt.Sprintf("SSL_CERT_FILE is %s: add the CA certificate of the proxy that inspects TLS traffic (HTTPS_PROXY, or your network's) to it.", f)
		}
		if cli {
			u.Fix += " With a Private Service Connect endpoint (--psc-endpoint), check that it is the endpoint for IAP (tunnel.cloudproxy.app)."
		}
	case errors.Is(err, tunnel.ErrNoAnswer):
		u.Why = "the IAP relay accepted the connection but never answered"
		psc := ""
		if cli {
			psc = ", the Private Service Connect endpoint (--psc-endpoint)"
		}
		u.Fix = "Something between this computer and tunnel.cloudproxy.app is holding the connection: check the proxy settings " +
			"(HTTPS_PROXY; the proxy must allow WebSockets)" + psc + " and any firewall, then retry."
	case errors.Is(err, tunnel.ErrSessionLost):
		u.What = fmt.Sprintf("The tunnel to %s (port %d) was interrupted", p.name, p.port)
		u.Why = "the session could not be resumed: IAP no longer knows it (the relay restarted, or the connection was down too long), " +
			"and the local connection was reset so the program using it sees the failure"
		u.Fix = "Connect again. If it keeps happening, check the network path to tunnel.cloudproxy.app (Wi-Fi, VPN, proxy)."
	case errors.Is(err, tunnel.ErrNotAuthorized):
		on := "the VM"
		if p.host {
			on = "the destination group"
		}
		u.Why = "IAP denied access" + reason
		u.Fix = fmt.Sprintf("Ask a project owner to grant you roles/iap.tunnelResourceAccessor (IAP-secured Tunnel User) on project %s or on %s, "+
			"and check any access-level policy.", p.project, on)
	case errors.Is(err, tunnel.ErrUpgradeForbidden):
		u.Why = "IAP refused the WebSocket upgrade (HTTP 403): missing permissions, or a proxy that blocks WebSockets"
		u.Fix = fmt.Sprintf("Check that you have roles/iap.tunnelResourceAccessor on project %s; behind a proxy (HTTPS_PROXY), "+
			"ask for WebSockets to tunnel.cloudproxy.app to be allowed.", p.project)
	case errors.Is(err, tunnel.ErrBackendUnreachable):
		u.Why = fmt.Sprintf("IAP could not reach port %d on %s%s", p.port, p.what(), reason)
		u.Fix = fmt.Sprintf("Allow ingress from 35.235.240.0/20 on TCP port %d in the VPC firewall "+
			"(gcloud compute firewall-rules create allow-iap-%d --project=%s --network=NETWORK --direction=INGRESS --allow=tcp:%d --source-ranges=35.235.240.0/20), "+
			"and check that the service is listening.", p.port, p.port, p.project, p.port)
	case errors.Is(err, tunnel.ErrInstanceNotFound):
		u.Why = fmt.Sprintf("IAP could not find %s%s", p.what(), reason)
		u.Fix = "Check --project, --zone, the instance name and --network-interface (or --region, --network and --dest-group for a host)."
		if s == inWindow {
			u.Fix = "Refresh the project (F5): the VM may have been renamed, moved or deleted."
		}
	case errors.Is(err, tunnel.ErrUnauthenticated):
		u.Why = "IAP rejected the access token (HTTP 401)"
		u.Fix = signInFix(s)
		if cli {
			u.Fix = "Sign in again (iapdesk auth login), or check --access-token-file or your Application Default Credentials."
		}
	case errors.Is(err, tunnel.ErrNotRelay):
		u.Why = "the relay address does not answer as an IAP relay"
		u.Fix = "Check the proxy settings (HTTPS_PROXY): something other than the IAP relay answered."
		if cli {
			u.Fix = "Check --iap-tunnel-url-override and --psc-endpoint."
		}
	case errors.Is(err, tunnel.ErrRelay):
		u.Why = "the IAP relay failed and kept failing on retry"
		u.Fix = "Try again later."
	case errors.Is(err, tunnel.ErrProtocol):
		u.Why = "the IAP relay and iapdesk disagree on the protocol"
		u.Fix = "This is a bug in iapdesk: please report it with a log from iapdesk -v."
	default:
		return nil
	}
	return u
}

// x509Reason is the verification error without the layers of wrapping.
func x509Reason(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "x509: "); i >= 0 {
		return s[i+len("x509: "):]
	}
	return s
}

// writeUserError prints ue for the terminal (UserError.Terminal).
func writeUserError(w io.Writer, ue *UserError) {
	fmt.Fprintln(w, "ERROR: "+ue.Terminal())
}
