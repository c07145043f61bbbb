package tunnel

import (
	"errors"
	"fmt"
)

// Sentinel errors for conditions callers branch on. Errors returned by this
// package wrap one of them; test with errors.Is. Like io's and net's, their
// messages state the condition only: what the user should do about it is
// the caller's to say (in iapdesk, app.UserError).
var (
	// ErrNotAuthorized reports that IAP refused access (close 4033): the
	// caller lacks roles/iap.tunnelResourceAccessor or fails an access level.
	ErrNotAuthorized = errors.New("not authorized by IAP")
	// ErrUpgradeForbidden reports HTTP 403 on the WebSocket upgrade: missing
	// permissions, or a proxy that blocks WebSockets.
	ErrUpgradeForbidden = errors.New("websocket upgrade forbidden")
	// ErrUnauthenticated reports that the relay rejected the access token
	// (HTTP 401) even after a fresh one was fetched.
	ErrUnauthenticated = errors.New("access token rejected")
	// ErrInstanceNotFound reports that IAP could not find the target
	// (close 4047 or 4051): wrong project, zone, name or interface.
	ErrInstanceNotFound = errors.New("target not found")
	// ErrBackendUnreachable reports that IAP could not connect to the port on
	// the VM (close 4003): firewall, nothing listening, or the VM is down.
	ErrBackendUnreachable = errors.New("target port unreachable from the relay")
	// ErrSessionLost reports that the tunnel dropped and could not be
	// resumed (close 4001, 4002, 4074, or the reconnect budget was spent).
	ErrSessionLost = errors.New("tunnel session could not be resumed")
	// ErrRelay reports an unspecified relay failure (close 4000 after retries,
	// HTTP 5xx or 429 after the retry budget).
	ErrRelay = errors.New("relay error")
	// ErrProtocol reports a relay v4 protocol violation by either side:
	// malformed frames, data before the session ID, an ACK for bytes never
	// sent, or a relay complaint about our frames (close 4005–4008, 4013).
	ErrProtocol = errors.New("relay protocol violation")
	// ErrNotRelay reports that the endpoint is not an IAP relay (HTTP 400 or
	// 404, or no relay subprotocol): usually a wrong relay URL override.
	ErrNotRelay = errors.New("not an IAP relay")
	// ErrClosed is returned by operations on a Conn after Close.
	ErrClosed = errors.New("use of closed tunnel connection")
	// ErrUntrustedCertificate reports that the relay's TLS certificate failed
	// verification: typically a TLS-inspecting proxy whose CA is not trusted,
	// or an address that is not the relay. *CertificateError unwraps to it.
	ErrUntrustedCertificate = errors.New("untrusted relay certificate")
	// ErrNoAnswer reports that the relay (or something in its place)
	// accepted the TCP connection but did not complete the handshake (TLS,
	// WebSocket upgrade, session ID) within Dialer.HandshakeTimeout.
	ErrNoAnswer = errors.New("no answer from the relay")
)

// CertificateError reports a relay certificate that failed verification. It
// unwraps to ErrUntrustedCertificate and to the verification error (a
// *tls.CertificateVerificationError wrapping the x509 error).
type CertificateError struct {
	Host string // the name the certificate was checked against
	Err  error
}

// Error names the host and the verification error.
func (e *CertificateError) Error() string {
	return fmt.Sprintf("untrusted certificate for %s: %v", e.Host, e.Err)
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
// errors.Is(err, ErrNotAuthorized) works. Its message states the code, its
// name and the relay's reason; what to do about it is the caller's to say.
type CloseError struct {
	Code   int
	Reason string // the relay's close reason, as sent
	Target Target
}

// Error names the target, the code and the relay's reason, e.g. "relay
// closed the tunnel to p/z/vm:22 with code 4033 (NOT_AUTHORIZED): denied".
func (e *CloseError) Error() string {
	msg := fmt.Sprintf("relay closed the tunnel to %s with code %d", e.Target, e.Code)
	if name := CloseCodeName(e.Code); name != "" {
		msg += " (" + name + ")"
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// CloseCodeName is the name of a relay close code (relay-v4.md §4), e.g.
// "NOT_AUTHORIZED" for 4033, or "" for a code without one.
func CloseCodeName(code int) string {
	return closeCodeNames[code]
}

var closeCodeNames = map[int]string{
	CodeNormal:                 "NORMAL",
	CodeAbnormal:               "ABNORMAL_CLOSURE",
	CodeErrorUnknown:           "ERROR_UNKNOWN",
	CodeSIDUnknown:             "SID_UNKNOWN",
	CodeSIDInUse:               "SID_IN_USE",
	CodeFailedToConnect:        "FAILED_TO_CONNECT_TO_BACKEND",
	CodeReauthenticationNeeded: "REAUTHENTICATION_REQUIRED",
	CodeBadAck:                 "BAD_ACK",
	CodeInvalidAck:             "INVALID_ACK",
	CodeInvalidOpcode:          "INVALID_WEBSOCKET_OPCODE",
	CodeInvalidTag:             "INVALID_TAG",
	CodeDestinationWriteFailed: "DESTINATION_WRITE_FAILED",
	CodeDestinationReadFailed:  "DESTINATION_READ_FAILED",
	CodeInvalidData:            "INVALID_DATA",
	CodeNotAuthorized:          "NOT_AUTHORIZED",
	CodeLookupFailed:           "LOOKUP_FAILED",
	CodeLookupFailedReconnect:  "LOOKUP_FAILED_RECONNECT",
	CodeFailedToRewind:         "FAILED_TO_REWIND",
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

// HandshakeError is an HTTP failure of the WebSocket upgrade (relay-v4.md
// §4.1). It unwraps to ErrUnauthenticated (401), ErrUpgradeForbidden (403),
// ErrRelay (429, 5xx) or ErrNotRelay (anything else).
type HandshakeError struct {
	StatusCode int
	Status     string // e.g. "403 Forbidden"
	URL        string // without the query, which names the target
	sentinel   error
}

// Error names the URL and the HTTP status.
func (e *HandshakeError) Error() string {
	status := e.Status
	if status == "" {
		status = fmt.Sprint(e.StatusCode)
	}
	return fmt.Sprintf("websocket upgrade at %s: HTTP %s", e.URL, status)
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
