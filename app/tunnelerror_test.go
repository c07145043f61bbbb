package app_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"iapdesk/app"
	"iapdesk/auth"
	"iapdesk/tunnel"
)

var (
	tunnelTarget = tunnel.Target{Project: "proj", Zone: "europe-west4-a", Instance: "vm-1", Port: 22}
	tunnelRef    = app.InstanceRef{Project: "proj", Zone: "europe-west4-a", Name: "vm-1"}
)

// closed is a relay close on tunnelTarget, as a Dial returns it.
func closed(code int, reason string) error {
	return &tunnel.CloseError{Code: code, Reason: reason, Target: tunnelTarget}
}

// TestTunnelFailureWording: every failure of package tunnel (each close
// code class, each HTTP status class of the upgrade, the certificate, the
// relay's silence, a lost session) and of the tunnel's token source reads
// the same on the command line (TunnelError) and in the window
// (ConnectError): one Why, a Fix in the surface's terms, the target named,
// the sentinel kept.
func TestTunnelFailureWording(t *testing.T) {
	certErr := fmt.Errorf("connect to IAP relay wss://tunnel.cloudproxy.app/v4/connect: %w",
		&tunnel.CertificateError{Host: "tunnel.cloudproxy.app", Err: x509.UnknownAuthorityError{}})
	noAnswer := fmt.Errorf("%w: no session ID (CONNECT_SUCCESS_SID) from wss://tunnel.cloudproxy.app/v4/connect within 1m0s", tunnel.ErrNoAnswer)
	lost := fmt.Errorf("%w: gave up reconnecting to proj/europe-west4-a/vm-1:22 after 15m0s", tunnel.ErrSessionLost)
	upgrade := func(status int, sentinel error) error {
		return fmt.Errorf("%w: %w", sentinel, &tunnel.HandshakeError{StatusCode: status, Status: fmt.Sprintf("%d x", status), URL: "wss://tunnel.cloudproxy.app/v4/connect"})
	}
	tests := []struct {
		name           string
		err            error
		is             error
		why            []string // substrings of Why (the same on both surfaces)
		cliFix, winFix []string // substrings of each surface's Fix
	}{
		{"4033", closed(4033, "denied by policy"), tunnel.ErrNotAuthorized, []string{"IAP denied access: denied by policy"},
			[]string{"roles/iap.tunnelResourceAccessor", "project proj"}, []string{"roles/iap.tunnelResourceAccessor", "project proj"}},
		{"4003", closed(4003, ""), tunnel.ErrBackendUnreachable, []string{"port 22 on VM vm-1"},
			[]string{"35.235.240.0/20 on TCP port 22", "firewall-rules create allow-iap-22 --project=proj"},
			[]string{"35.235.240.0/20 on TCP port 22", "firewall-rules create allow-iap-22 --project=proj"}},
		{"4047", closed(4047, "no such backend"), tunnel.ErrInstanceNotFound, []string{"could not find VM vm-1: no such backend"},
			[]string{"--zone", "--network-interface"}, []string{"Refresh"}},
		{"4051", closed(4051, ""), tunnel.ErrInstanceNotFound, []string{"could not find VM vm-1"}, []string{"--zone"}, []string{"Refresh"}},
		{"4001", closed(4001, ""), tunnel.ErrSessionLost, []string{"could not be resumed"}, []string{"Connect again"}, []string{"Connect again"}},
		{"4002", closed(4002, ""), tunnel.ErrSessionLost, []string{"could not be resumed"}, []string{"Connect again"}, []string{"Connect again"}},
		{"4074", closed(4074, ""), tunnel.ErrSessionLost, []string{"could not be resumed"}, []string{"Connect again"}, []string{"Connect again"}},
		{"reconnect budget spent", lost, tunnel.ErrSessionLost, []string{"could not be resumed"}, []string{"Connect again"}, []string{"Connect again"}},
		{"4000", closed(4000, "backend error"), tunnel.ErrRelay, []string{"kept failing"}, []string{"later"}, []string{"later"}},
		{"4005", closed(4005, ""), tunnel.ErrProtocol, []string{"protocol"}, []string{"bug in iapdesk"}, []string{"bug in iapdesk"}},
		{"4013", closed(4013, ""), tunnel.ErrProtocol, []string{"protocol"}, []string{"bug in iapdesk"}, []string{"bug in iapdesk"}},
		{"HTTP 401", upgrade(401, tunnel.ErrUnauthenticated), tunnel.ErrUnauthenticated, []string{"HTTP 401"},
			[]string{"iapdesk auth login", "--access-token-file"}, []string{"Sign in with Google"}},
		{"HTTP 403", upgrade(403, tunnel.ErrUpgradeForbidden), tunnel.ErrUpgradeForbidden, []string{"HTTP 403", "proxy", "permissions"},
			[]string{"roles/iap.tunnelResourceAccessor", "WebSockets"}, []string{"roles/iap.tunnelResourceAccessor", "WebSockets"}},
		{"HTTP 404", upgrade(404, tunnel.ErrNotRelay), tunnel.ErrNotRelay, []string{"not answer as an IAP relay"},
			[]string{"--iap-tunnel-url-override"}, []string{"HTTPS_PROXY"}},
		{"HTTP 503", upgrade(503, tunnel.ErrRelay), tunnel.ErrRelay, []string{"kept failing"}, []string{"later"}, []string{"later"}},
		{"untrusted certificate", certErr, tunnel.ErrUntrustedCertificate, []string{"not trusted", "tunnel.cloudproxy.app", "unknown authority"},
			[]string{"SSL_CERT_FILE", "--psc-endpoint", "HTTPS_PROXY"}, []string{"SSL_CERT_FILE", "HTTPS_PROXY"}},
		{"relay never answers", noAnswer, tunnel.ErrNoAnswer, []string{"never answered"},
			[]string{"HTTPS_PROXY", "--psc-endpoint"}, []string{"HTTPS_PROXY"}},
		{"token source: sign-in expired", fmt.Errorf("get access token: account a@example.com: %w", auth.ErrSignInRequired),
			auth.ErrSignInRequired, []string{"expired or was revoked"}, []string{"iapdesk auth login"}, []string{"Sign in with Google"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cli := app.TunnelError(tunnelTarget, tc.err)
			win := app.ConnectError(tunnelRef, 22, tc.err)
			for _, s := range []struct {
				name string
				ue   *app.UserError
				fix  []string
			}{{"TunnelError", cli, tc.cliFix}, {"ConnectError", win, tc.winFix}} {
				if !errors.Is(s.ue, tc.is) || !errors.Is(s.ue, tc.err) {
					t.Errorf("%s(%q) = %v, want it to wrap the error and %v", s.name, tc.err, s.ue, tc.is)
				}
				if !strings.Contains(s.ue.What, "vm-1") || !strings.Contains(s.ue.What, "22") {
					t.Errorf("%s(%q).What = %q, want the VM and port named", s.name, tc.err, s.ue.What)
				}
				for _, w := range tc.why {
					if !strings.Contains(s.ue.Why, w) {
						t.Errorf("%s(%q).Why = %q, want %q in it", s.name, tc.err, s.ue.Why, w)
					}
				}
				for _, w := range s.fix {
					if !strings.Contains(s.ue.Fix, w) {
						t.Errorf("%s(%q).Fix = %q, want %q in it", s.name, tc.err, s.ue.Fix, w)
					}
				}
				if d := s.ue.Details(); strings.Contains(d, s.ue.Fix) || (s.ue.Why != "" && strings.Contains(d, s.ue.Why)) {
					t.Errorf("%s(%q).Details() = %q, repeats Why or Fix", s.name, tc.err, d)
				}
			}
			if cli.Why != win.Why {
				t.Errorf("Why differs between the command line (%q) and the window (%q); want one wording", cli.Why, win.Why)
			}
		})
	}
	if got := app.TunnelError(tunnelTarget, closed(4033, "")); strings.Contains(got.Why, "access:") {
		t.Errorf("TunnelError(4033 without a reason).Why = %q, want no empty reason", got.Why)
	}
	host := tunnel.Target{Project: "proj", Region: "r", Network: "n", Host: "10.0.0.5", Port: 3389}
	if got := app.TunnelError(host, closed(4003, "")); !strings.Contains(got.What, "10.0.0.5") || !strings.Contains(got.Why, "host 10.0.0.5") {
		t.Errorf("TunnelError(host, 4003) = %q: %q, want the host named", got.What, got.Why)
	}
	if app.TunnelError(tunnelTarget, nil) != nil || app.ConnectError(tunnelRef, 22, nil) != nil {
		t.Errorf("TunnelError(nil) or ConnectError(nil) != nil")
	}
}

// TestConnectErrorNamesTheVM: a failure ConnectError cannot classify still
// says which VM and port could not be connected to (it used to read
// "Something went wrong"), and keeps the generic cause and fix.
func TestConnectErrorNamesTheVM(t *testing.T) {
	tests := []struct {
		name string
		err  error
		why  string
	}{
		{"unclassified", errors.New("boom"), "boom"},
		{"timeout", fmt.Errorf("acquire: %w", context.DeadlineExceeded), "did not answer in time"},
		{"network", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := app.ConnectError(tunnelRef, 3389, tc.err)
			if want := "Cannot connect to vm-1 (port 3389)"; got.What != want {
				t.Errorf("ConnectError(%q).What = %q, want %q", tc.err, got.What, want)
			}
			if !strings.Contains(got.Why, tc.why) || got.Fix == "" || !errors.Is(got, tc.err) {
				t.Errorf("ConnectError(%q) = %+v, want Why with %q, a Fix and the error", tc.err, got, tc.why)
			}
			if cli := app.TunnelError(tunnelTarget, tc.err); cli.What != "Cannot open a tunnel to vm-1 (port 22)" {
				t.Errorf("TunnelError(%q).What = %q, want the VM and port named", tc.err, cli.What)
			}
		})
	}
}
