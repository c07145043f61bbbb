package app_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"

	"iapdesk/app"
	"iapdesk/tunnel"
)

func TestTunnelError(t *testing.T) {
	target := tunnel.Target{Project: "proj", Zone: "europe-west4-a", Instance: "vm-1", Port: 22}
	ref := app.InstanceRef{Project: "proj", Zone: "europe-west4-a", Name: "vm-1"}
	certErr := fmt.Errorf("connect to IAP relay wss://tunnel.cloudproxy.app/v4/connect: %w",
		&tunnel.CertificateError{Host: "tunnel.cloudproxy.app", Err: x509.UnknownAuthorityError{}})
	noAnswer := fmt.Errorf("%w: no session ID (CONNECT_SUCCESS_SID) from wss://tunnel.cloudproxy.app/v4/connect within 1m0s", tunnel.ErrNoAnswer)
	lost := fmt.Errorf("%w: gave up reconnecting to proj/europe-west4-a/vm-1:22 after 15m0s", tunnel.ErrSessionLost)
	tests := []struct {
		name     string
		err      error
		why, fix []string // substrings
	}{
		{"untrusted certificate", certErr, []string{"not trusted", "tunnel.cloudproxy.app"}, []string{"SSL_CERT_FILE", "--psc-endpoint", "HTTPS_PROXY"}},
		{"relay never answers", noAnswer, []string{"never answered"}, []string{"HTTPS_PROXY", "--psc-endpoint"}},
		{"session lost", lost, []string{"no longer knows the session"}, []string{"Connect again"}},
		{"not authorized", &tunnel.CloseError{Code: tunnel.CodeNotAuthorized, Reason: "denied", Target: target}, []string{"denied"}, []string{"roles/iap.tunnelResourceAccessor", "proj"}},
		{"firewall", &tunnel.CloseError{Code: tunnel.CodeFailedToConnect, Target: target}, []string{"port 22"}, []string{"35.235.240.0/20"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := app.TunnelError(target, tc.err)
			if !errors.Is(got, tc.err) {
				t.Errorf("TunnelError(%q) lost the error", tc.err)
			}
			for _, w := range tc.why {
				if !strings.Contains(got.What+": "+got.Why, w) {
					t.Errorf("TunnelError(%q) = %q: %q, want %q in it", tc.err, got.What, got.Why, w)
				}
			}
			for _, w := range tc.fix {
				if !strings.Contains(got.Fix, w) {
					t.Errorf("TunnelError(%q).Fix = %q, want %q in it", tc.err, got.Fix, w)
				}
			}
		})
	}
	// The window says the same about the relay connection itself.
	if got := app.ConnectError(ref, 22, certErr); !strings.Contains(got.Fix, "SSL_CERT_FILE") || !errors.Is(got, tunnel.ErrUntrustedCertificate) {
		t.Errorf("ConnectError(%q) = %+v, want the SSL_CERT_FILE fix", certErr, got)
	}
	if got := app.ConnectError(ref, 22, noAnswer); !strings.Contains(got.Why, "never answered") {
		t.Errorf("ConnectError(%q) = %+v, want the relay's silence explained", noAnswer, got)
	}
	if app.TunnelError(target, nil) != nil {
		t.Errorf("TunnelError(nil) != nil")
	}
}
