package tunnel

import (
	"errors"
	"fmt"
)

// Sentinel errors for conditions callers branch on. Errors returned by this
// package wrap one of them; test with errors.Is.
var (
	// ErrNotAuthorized reports that IAP refused access (close 4033): the
	// caller lacks roles/iap.tunnelResourceAccessor or fails an access level.
	ErrNotAuthorized = errors.New("IAP denied access")
	// ErrUpgradeForbidden reports HTTP 403 on the WebSocket upgrade: missing
	// permissions, or a proxy that blocks WebSockets.
	ErrUpgradeForbidden = errors.New("IAP refused the WebSocket upgrade")
	// ErrUnauthenticated reports that the relay rejected the access token
	// (HTTP 401) even after a fresh one was fetched.
	ErrUnauthenticated = errors.New("IAP rejected the credentials")
	// ErrInstanceNotFound reports that IAP could not find the target
	// (close 4047 or 4051): wrong project, zone, name or interface.
	ErrInstanceNotFound = errors.New("IAP could not find the instance")
	// ErrBackendUnreachable reports that IAP could not connect to the port on
	// the VM (close 4003): firewall, nothing listening, or the VM is down.
	ErrBackendUnreachable = errors.New("IAP could not connect to the instance")
	// ErrSessionLost reports that the tunnel dropped and could not be
	// resumed (close 4001, 4002, 4074, or the reconnect budget was spent).
	ErrSessionLost = errors.New("the IAP tunnel was interrupted and could not be resumed")
	// ErrRelay reports an unspecified relay failure (close 4000 after retries,
	// HTTP 5xx or 429 after the retry budget).
	ErrRelay = errors.New("the IAP relay failed")
	// ErrProtocol reports a relay v4 protocol violation by either side:
	// malformed frames, data before the session ID, an ACK for bytes never
	// sent, or a relay complaint about our frames (close 4005–4008, 4013).
	ErrProtocol = errors.New("relay protocol violation")
	// ErrNotRelay reports that the endpoint is not an IAP relay (HTTP 400 or
	// 404, or no relay subprotocol): usually a wrong --iap-tunnel-url-override.
	ErrNotRelay = errors.New("the endpoint is not an IAP relay")
	// ErrClosed is returned by operations on a Conn after Close.
	ErrClosed = errors.New("use of closed tunnel connection")
	// ErrUntrustedCertificate reports that the relay's TLS certificate failed
	// verification: typically a TLS-inspecting proxy whose CA is not trusted,
	// or an address that is not the relay. *CertificateError unwraps to it.
	ErrUntrustedCertificate = errors.New("the IAP relay's TLS certificate is not trusted")
	// ErrNoAnswer reports that the relay (or something in its place)
	// accepted the TCP connection but did not complete the handshake (TLS,
	// WebSocket upgrade, session ID) within Dialer.HandshakeTimeout.
	ErrNoAnswer = errors.New("the IAP relay accepted the connection but did not answer")
)

// CertificateError reports a relay certificate that failed verification. It
// unwraps to ErrUntrustedCertificate and to the verification error (a
// *tls.CertificateVerificationError wrapping the x509 error).
type CertificateError struct {
	Host string // the name the certificate was checked against
	Err  error
}

func (e *CertificateError) Error() string {
	return fmt.Sprintf("TLS certificate of %s is not trusted: %v", e.Host, e.Err)
}

// Unwrap returns ErrUntrustedCertificate and the verification error.
func (e *CertificateError) Unwrap() []error { return []error{ErrUntrustedCertificate, e.Err} }

// Relay close codes (relay-v4.md §4).
const (
	CodeNormal                 = 1000
	CodeAbnormal               = 1006
	CodeErrorUnknown           = 4000
	CodeSIDUnknown             = 4001
	CodeSIDInUse               = 4002
	CodeFailedToConnect        = 4003
	CodeReauthenticationNeeded = 4004
	CodeBadAck                 = 4005
	CodeInvalidAck             = 4006
	CodeInvalidOpcode          = 4007
	CodeInvalidTag             = 4008
	CodeDestinationWriteFailed = 4009
	CodeDestinationReadFailed  = 4010
	CodeInvalidData            = 4013
	CodeNotAuthorized          = 4033
	CodeLookupFailed           = 4047
	CodeLookupFailedReconnect  = 4051
	CodeFailedToRewind         = 4074
	code4080                   = 4080 // unnamed; iapproxy retries it with 4004
)

// closeAction is what a close code means for the session.
type closeAction int

const (
	actionEnd        closeAction = iota // clean end of stream (EOF)
	actionReconnect                     // resume with /v4/reconnect
	actionRetryLimit                    // resume, a bounded number of times
	actionFail                          // end with a CloseError
)

// closeActionFor classifies a close code (relay-v4.md §4, "iapdesk should").
func closeActionFor(code int) closeAction {
	switch code {
	case CodeNormal, CodeDestinationWriteFailed, CodeDestinationReadFailed:
		return actionEnd
	case CodeAbnormal, CodeReauthenticationNeeded:
		return actionReconnect
	case CodeErrorUnknown, code4080:
		return actionRetryLimit
	}
	return actionFail
}

// CloseError is a relay close code that ended (or, for retryable codes,
// interrupted) a tunnel. It unwraps to the sentinel for its code, so
// errors.Is(err, ErrNotAuthorized) works, and its message says what to do.
type CloseError struct {
	Code   int
	Reason string // the relay's close reason, shown to the user
	Target Target
}

func (e *CloseError) Error() string {
	t := e.Target
	reason := ""
	if e.Reason != "" {
		reason = ": " + e.Reason
	}
	switch e.Code {
	case CodeNotAuthorized:
		return fmt.Sprintf("IAP denied access to %s%s (close %d). Make sure you have roles/iap.tunnelResourceAccessor on the instance or project (gcloud projects add-iam-policy-binding %s --member=user:EMAIL --role=roles/iap.tunnelResourceAccessor) and meet any access-level policy",
			t, reason, e.Code, t.Project)
	case CodeFailedToConnect:
		return fmt.Sprintf("IAP could not reach port %d on %s%s (close %d). Check that a firewall rule allows ingress from 35.235.240.0/20 on TCP port %d (gcloud compute firewall-rules create allow-iap-%d --network=NETWORK --direction=INGRESS --allow=tcp:%d --source-ranges=35.235.240.0/20) and that the service is listening",
			t.Port, t.name(), reason, e.Code, t.Port, t.Port, t.Port)
	case CodeLookupFailed, CodeLookupFailedReconnect:
		return fmt.Sprintf("IAP could not find %s%s (close %d). Check the project, zone, instance name and network interface", t.describe(), reason, e.Code)
	case CodeSIDUnknown, CodeSIDInUse, CodeFailedToRewind:
		return fmt.Sprintf("the IAP tunnel to %s was interrupted and could not be resumed%s (close %d); the TCP connection was closed. Connect again", t, reason, e.Code)
	case CodeErrorUnknown:
		return fmt.Sprintf("the IAP relay failed%s (close %d) and kept failing on retry; try again later", reason, e.Code)
	case CodeBadAck, CodeInvalidAck, CodeInvalidOpcode, CodeInvalidTag, CodeInvalidData:
		return fmt.Sprintf("the IAP relay rejected this client's frames%s (close %d); this is a bug in iapdesk, please report it with a -v log", reason, e.Code)
	}
	return fmt.Sprintf("the IAP relay closed the tunnel to %s%s (close %d)", t, reason, e.Code)
}

// Unwrap returns the sentinel error for the close code, or nil.
func (e *CloseError) Unwrap() error {
	switch e.Code {
	case CodeNotAuthorized:
		return ErrNotAuthorized
	case CodeFailedToConnect:
		return ErrBackendUnreachable
	case CodeLookupFailed, CodeLookupFailedReconnect:
		return ErrInstanceNotFound
	case CodeSIDUnknown, CodeSIDInUse, CodeFailedToRewind:
		return ErrSessionLost
	case CodeErrorUnknown, code4080:
		return ErrRelay
	case CodeBadAck, CodeInvalidAck, CodeInvalidOpcode, CodeInvalidTag, CodeInvalidData:
		return ErrProtocol
	}
	return nil
}

// HandshakeError is an HTTP failure of the WebSocket upgrade (relay-v4.md §4.1).
type HandshakeError struct {
	StatusCode int
	Status     string
	URL        string // without the query, which names the target
	sentinel   error
}

func (e *HandshakeError) Error() string {
	switch e.StatusCode {
	case 401:
		return fmt.Sprintf("IAP rejected the access token (HTTP 401 from %s). Sign in again (iapdesk auth login), or check --access-token-file / Application Default Credentials (gcloud auth application-default login)", e.URL)
	case 403:
		return fmt.Sprintf("IAP refused the WebSocket upgrade (HTTP 403 from %s). This may be missing permissions (roles/iap.tunnelResourceAccessor) or a proxy blocking WebSockets", e.URL)
	case 400, 404:
		return fmt.Sprintf("%s answered HTTP %d to the WebSocket upgrade: it is not an IAP relay v4 endpoint. Check --iap-tunnel-url-override", e.URL, e.StatusCode)
	}
	return fmt.Sprintf("IAP relay at %s answered %s", e.URL, e.Status)
}

// Unwrap returns the sentinel for the status code.
func (e *HandshakeError) Unwrap() error { return e.sentinel }

// retryable reports whether the HTTP status is worth another try with backoff.
func (e *HandshakeError) retryable() bool {
	return e.StatusCode == 429 || e.StatusCode >= 500
}

func newHandshakeError(code int, status, url string) *HandshakeError {
	e := &HandshakeError{StatusCode: code, Status: status, URL: url}
	switch {
	case code == 401:
		e.sentinel = ErrUnauthenticated
	case code == 403:
		e.sentinel = ErrUpgradeForbidden
	case code == 400 || code == 404:
		e.sentinel = ErrNotRelay
	case code == 429 || code >= 500:
		e.sentinel = ErrRelay
	default:
		e.sentinel = ErrNotRelay
	}
	return e
}
