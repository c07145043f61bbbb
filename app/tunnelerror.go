package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"iapdesk/tunnel"
)

// TunnelError explains a failure of `iapdesk tunnel` to the person at the
// terminal: a tunnel that could not be opened, or a session that ended in
// an error. The fix is in command-line terms (flags, iapdesk auth login).
// It returns nil for a nil err.
func TunnelError(t tunnel.Target, err error) *UserError {
	if err == nil {
		return nil
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	name := t.Instance
	if name == "" {
		name = t.Host
	}
	what := fmt.Sprintf("Cannot open a tunnel to %s (port %d)", name, t.Port)
	if u := relayError(what, name, t.Port, err); u != nil {
		return u
	}
	var ce *tunnel.CloseError
	reason := ""
	if errors.As(err, &ce) && ce.Reason != "" {
		reason = ": " + ce.Reason
	}
	switch {
	case errors.Is(err, tunnel.ErrNotAuthorized):
		return &UserError{What: what, Why: "IAP denied access" + reason, Err: err,
			Fix: fmt.Sprintf("Ask a project owner to grant you roles/iap.tunnelResourceAccessor (IAP-secured Tunnel User) on project %s or on the instance, and check any access-level policy.", t.Project)}
	case errors.Is(err, tunnel.ErrUpgradeForbidden):
		return &UserError{What: what, Why: "IAP refused the WebSocket upgrade (HTTP 403)", Err: err,
			Fix: fmt.Sprintf("Check that you have roles/iap.tunnelResourceAccessor on project %s; behind a proxy (HTTPS_PROXY), ask for WebSockets to tunnel.cloudproxy.app to be allowed.", t.Project)}
	case errors.Is(err, tunnel.ErrBackendUnreachable):
		return &UserError{What: what, Why: fmt.Sprintf("IAP could not reach port %d on the instance%s", t.Port, reason), Err: err,
			Fix: fmt.Sprintf("Allow ingress from 35.235.240.0/20 on TCP port %d in the instance's VPC firewall, and check that the service is listening.", t.Port)}
	case errors.Is(err, tunnel.ErrInstanceNotFound):
		return &UserError{What: what, Why: "IAP could not find the instance" + reason, Err: err,
			Fix: "Check --project, --zone, the instance name and --network-interface (or --region, --network and --dest-group for a host)."}
	case errors.Is(err, tunnel.ErrUnauthenticated):
		return &UserError{What: what, Why: "IAP rejected the access token (HTTP 401)", Err: err,
			Fix: "Sign in again (iapdesk auth login), or check --access-token-file or your Application Default Credentials."}
	case errors.Is(err, tunnel.ErrNotRelay):
		return &UserError{What: what, Why: "the relay address does not answer as an IAP relay", Err: err,
			Fix: "Check --iap-tunnel-url-override and --psc-endpoint."}
	case errors.Is(err, tunnel.ErrRelay):
		return &UserError{What: what, Why: "the IAP relay failed and kept failing on retry", Err: err,
			Fix: "Try again later."}
	case errors.Is(err, tunnel.ErrProtocol):
		return &UserError{What: what, Why: "the IAP relay and iapdesk disagree on the protocol", Err: err,
			Fix: "This is a bug in iapdesk: please report it with the output of -v."}
	}
	u := AsUserError(err)
	u.What = what
	return u
}

// relayError explains the failures that read the same in the window and on
// the command line: the relay's certificate is not trusted, the relay does
// not answer, a session lost for good. It returns nil for other errors.
func relayError(what, name string, port int, err error) *UserError {
	var ce *tunnel.CertificateError
	switch {
	case errors.As(err, &ce):
		fix := "If a proxy inspects TLS traffic (HTTPS_PROXY, or your network's), set the SSL_CERT_FILE environment variable to a PEM file holding its CA certificate."
		if f := os.Getenv("SSL_CERT_FILE"); f != "" {
			fix = fmt.Sprintf("SSL_CERT_FILE is %s: add the CA certificate of the proxy that inspects TLS traffic (HTTPS_PROXY, or your network's) to it.", f)
		}
		fix += " With a Private Service Connect endpoint (--psc-endpoint), check that it is the endpoint for IAP (tunnel.cloudproxy.app)."
		return &UserError{What: what, Why: fmt.Sprintf("the TLS certificate of the IAP relay (%s) is not trusted: %s", ce.Host, x509Reason(ce.Err)),
			Fix: fix, Err: err}
	case errors.Is(err, tunnel.ErrNoAnswer):
		return &UserError{What: what, Why: "the IAP relay accepted the connection but never answered", Err: err,
			Fix: "Something between this computer and tunnel.cloudproxy.app is holding the connection: check the proxy settings (HTTPS_PROXY; the proxy must allow WebSockets), the Private Service Connect endpoint (--psc-endpoint) and any firewall, then retry."}
	case errors.Is(err, tunnel.ErrSessionLost):
		return &UserError{What: fmt.Sprintf("The tunnel to %s (port %d) was interrupted and could not be resumed", name, port),
			Why: "IAP no longer knows the session (the relay restarted, or the connection was down too long); the local connection was reset so the program using it sees the failure",
			Fix: "Connect again. If it keeps happening, check the network path to tunnel.cloudproxy.app (Wi-Fi, VPN, proxy).", Err: err}
	}
	return nil
}

// x509Reason is the verification error without the layers of wrapping.
func x509Reason(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "x509: "); i >= 0 {
		return s[i+len("x509: "):]
	}
	return s
}

// writeUserError prints ue for the terminal: what and why, the fix, and the
// raw error.
func writeUserError(w io.Writer, ue *UserError) {
	msg := "ERROR: " + ue.What
	if ue.Why != "" {
		msg += ": " + ue.Why
	}
	if ue.Fix != "" {
		msg += "\n  fix: " + ue.Fix
	}
	if ue.Err != nil {
		msg += "\n  details: " + ue.Err.Error()
	}
	fmt.Fprintln(w, msg)
}
