package tunnel_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// advice is wording that belongs to app.UserError, not to this package:
// commands, IAM roles, flags, firewall ranges, instructions.
var advice = []string{
	"gcloud", "roles/", "firewall", "35.235.240.0/20", "sign in", "iapdesk auth", "--",
	"check ", "make sure", "ask ", "please", "try again", "connect again", "report", "unset it", "should",
}

// checkNoAdvice fails if msg holds any of advice.
func checkNoAdvice(t *testing.T, what, msg string) {
	t.Helper()
	low := strings.ToLower(msg)
	for _, a := range advice {
		if strings.Contains(low, a) {
			t.Errorf("%s = %q: holds advice %q; tunnel states facts, app says what to do", what, msg, a)
		}
	}
}

// allCodes is every relay close code with a name, and one without.
var allCodes = []int{
	tunnel.CodeNormal, tunnel.CodeAbnormal, tunnel.CodeErrorUnknown, tunnel.CodeSIDUnknown,
	tunnel.CodeSIDInUse, tunnel.CodeFailedToConnect, tunnel.CodeReauthenticationNeeded, tunnel.CodeBadAck,
	tunnel.CodeInvalidAck, tunnel.CodeInvalidOpcode, tunnel.CodeInvalidTag, tunnel.CodeDestinationWriteFailed,
	tunnel.CodeDestinationReadFailed, tunnel.CodeInvalidData, tunnel.CodeNotAuthorized, tunnel.CodeLookupFailed,
	tunnel.CodeLookupFailedReconnect, tunnel.CodeFailedToRewind, 4080, 4999,
}

// Every error message of the package states facts only: the sentinels, a
// CloseError for every code, a HandshakeError for every status class and a
// CertificateError.
func TestErrorMessagesGiveNoAdvice(t *testing.T) {
	for _, err := range []error{
		tunnel.ErrNotAuthorized, tunnel.ErrUpgradeForbidden, tunnel.ErrUnauthenticated, tunnel.ErrInstanceNotFound,
		tunnel.ErrBackendUnreachable, tunnel.ErrSessionLost, tunnel.ErrRelay, tunnel.ErrProtocol, tunnel.ErrNotRelay,
		tunnel.ErrClosed, tunnel.ErrUntrustedCertificate, tunnel.ErrNoAnswer,
	} {
		checkNoAdvice(t, "sentinel", err.Error())
	}
	for _, code := range allCodes {
		checkNoAdvice(t, fmt.Sprintf("CloseError{%d}.Error()", code), (&tunnel.CloseError{Code: code, Target: vm}).Error())
	}
	for _, status := range []int{400, 401, 403, 404, 429, 500, 503} {
		he := &tunnel.HandshakeError{StatusCode: status, URL: "wss://tunnel.cloudproxy.app/v4/connect"}
		checkNoAdvice(t, fmt.Sprintf("HandshakeError{%d}.Error()", status), he.Error())
	}
	ce := &tunnel.CertificateError{Host: "tunnel.cloudproxy.app", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	checkNoAdvice(t, "CertificateError.Error()", ce.Error())
}

// A CloseError carries what app needs to explain it (the code, the relay's
// reason, the target) and says all three in its message, with the code's
// name when it has one.
func TestCloseErrorMessage(t *testing.T) {
	host := tunnel.Target{Project: "p", Region: "r", Network: "n", Host: "10.0.0.5", Port: 3389}
	tests := []struct {
		err  *tunnel.CloseError
		want string
	}{
		{&tunnel.CloseError{Code: 4033, Reason: "permission denied", Target: vm},
			"relay closed the tunnel to proj-1/europe-west1-b/vm-1:22 with code 4033 (NOT_AUTHORIZED): permission denied"},
		{&tunnel.CloseError{Code: 4003, Target: vm},
			"relay closed the tunnel to proj-1/europe-west1-b/vm-1:22 with code 4003 (FAILED_TO_CONNECT_TO_BACKEND)"},
		{&tunnel.CloseError{Code: 4047, Reason: "no such instance", Target: host},
			"relay closed the tunnel to p/r/n/10.0.0.5:3389 with code 4047 (LOOKUP_FAILED): no such instance"},
		{&tunnel.CloseError{Code: 4999, Reason: "new", Target: vm},
			"relay closed the tunnel to proj-1/europe-west1-b/vm-1:22 with code 4999: new"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("CloseError{%d, %q}.Error() = %q, want %q", tc.err.Code, tc.err.Reason, got, tc.want)
		}
	}
	for _, code := range allCodes[:len(allCodes)-2] {
		if tunnel.CloseCodeName(code) == "" {
			t.Errorf("CloseCodeName(%d) = \"\", want its name from relay-v4.md", code)
		}
	}
}

// The errors a real dial ends in (the fake relay's close codes and HTTP
// statuses, an unreadable SSL_CERT_FILE, an untrusted certificate) hold no
// advice either, and keep their sentinel.
func TestDialErrorsGiveNoAdvice(t *testing.T) {
	tests := []struct {
		name   string
		faults relaytest.Faults
		is     error
	}{
		{"4033", relaytest.Faults{CloseOnConnect: 4033, CloseReason: "denied"}, tunnel.ErrNotAuthorized},
		{"4003", relaytest.Faults{CloseOnConnect: 4003}, tunnel.ErrBackendUnreachable},
		{"4047", relaytest.Faults{CloseOnConnect: 4047}, tunnel.ErrInstanceNotFound},
		{"4005", relaytest.Faults{CloseOnConnect: 4005}, tunnel.ErrProtocol},
		{"401 twice", relaytest.Faults{HTTPStatus: []int{401, 401}}, tunnel.ErrUnauthenticated},
		{"403", relaytest.Faults{HTTPStatus: []int{403}}, tunnel.ErrUpgradeForbidden},
		{"404", relaytest.Faults{HTTPStatus: []int{404}}, tunnel.ErrNotRelay},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRelay(t, false, startBackend(t, echo), relaytest.Config{Faults: tc.faults})
			_, err := newDialer(t, srv).Dial(context.Background(), vm)
			if !errors.Is(err, tc.is) {
				t.Fatalf("Dial = %v, want %v", err, tc.is)
			}
			checkNoAdvice(t, "Dial error", err.Error())
		})
	}
	t.Run("certificates", func(t *testing.T) {
		srv := startRelay(t, true, startBackend(t, echo), relaytest.Config{})
		d := newDialer(t, srv)
		d.TLSConfig = nil
		t.Setenv("SSL_CERT_FILE", filepath.Join(t.TempDir(), "missing.pem"))
		_, err := d.Dial(context.Background(), vm)
		if err == nil || !strings.Contains(err.Error(), "SSL_CERT_FILE") {
			t.Fatalf("Dial with a missing SSL_CERT_FILE = %v, want an error naming it", err)
		}
		checkNoAdvice(t, "Dial error", err.Error())

		d = newDialer(t, srv)
		d.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool()}
		_, err = d.Dial(context.Background(), vm)
		if !errors.Is(err, tunnel.ErrUntrustedCertificate) {
			t.Fatalf("Dial with no trusted CA = %v, want ErrUntrustedCertificate", err)
		}
		checkNoAdvice(t, "Dial error", err.Error())
	})
}
