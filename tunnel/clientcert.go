package tunnel

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
)

// ErrClientCertificateRequired reports that the relay asked for a TLS
// client certificate (certificate-based access: the organisation requires
// a device certificate) and the Dialer had none to present.
var ErrClientCertificateRequired = errors.New("relay requires a client certificate")

// ErrClientCertificateRejected reports that the relay refused the client
// certificate the Dialer presented (wrong CA, expired, revoked).
var ErrClientCertificateRejected = errors.New("relay rejected the client certificate")

// ClientCertificateError is a TLS handshake with the relay that failed over
// the client certificate. It unwraps to ErrClientCertificateRequired (none
// presented) or ErrClientCertificateRejected (one presented), and to the
// TLS error.
type ClientCertificateError struct {
	Host      string // the relay host
	Presented bool   // a certificate was presented
	Err       error
}

// Error names the host and what happened to the certificate.
func (e *ClientCertificateError) Error() string {
	if e.Presented {
		return fmt.Sprintf("%s rejected the client certificate: %v", e.Host, e.Err)
	}
	return fmt.Sprintf("%s requires a client certificate and none was presented: %v", e.Host, e.Err)
}

// Unwrap returns the sentinel and the TLS error.
func (e *ClientCertificateError) Unwrap() []error {
	if e.Presented {
		return []error{ErrClientCertificateRejected, e.Err}
	}
	return []error{ErrClientCertificateRequired, e.Err}
}

// ErrProxyAuth reports that the HTTP proxy refused the CONNECT request for
// lack of (or wrong) credentials: HTTP 407.
var ErrProxyAuth = errors.New("proxy authentication failed")

// ErrProxyRefused reports that the HTTP proxy answered the CONNECT request
// with a status other than 200 and 407.
var ErrProxyRefused = errors.New("proxy refused the connection")

// ProxyError is a CONNECT request the HTTP proxy did not grant. It unwraps
// to ErrProxyAuth (407) or ErrProxyRefused.
type ProxyError struct {
	Proxy      string // the proxy, host:port (never its credentials)
	StatusCode int
	Status     string // e.g. "407 Proxy Authentication Required"
	// Credentials reports whether credentials were sent.
	Credentials bool
}

// Error names the proxy and its answer.
func (e *ProxyError) Error() string {
	return fmt.Sprintf("proxy %s answered CONNECT with %s", e.Proxy, e.Status)
}

// Unwrap returns the sentinel for the status.
func (e *ProxyError) Unwrap() error {
	if e.StatusCode == http.StatusProxyAuthRequired {
		return ErrProxyAuth
	}
	return ErrProxyRefused
}

// proxyConnectResponse is the Transport's OnProxyConnectResponse: a CONNECT
// that was not granted becomes a *ProxyError naming the proxy.
func proxyConnectResponse(proxyURL *url.URL, res *http.Response) error {
	if res.StatusCode == http.StatusOK {
		return nil
	}
	return &ProxyError{Proxy: proxyURL.Host, StatusCode: res.StatusCode, Status: res.Status, Credentials: proxyURL.User != nil}
}

// certRecorder wraps the client certificate callback of one dial and
// records whether the relay asked for a certificate and whether one was
// presented, so a failed handshake can be told apart from other TLS
// failures without reading alert texts.
type certRecorder struct {
	get       func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	requested atomic.Bool
	presented atomic.Bool
}

// config returns cfg with the recorder as its client certificate callback.
// A cfg with static Certificates and no callback is left as it is (the
// TLS stack picks among them); the recorder then records nothing.
func (r *certRecorder) config(cfg *tls.Config) *tls.Config {
	if cfg.GetClientCertificate == nil && len(cfg.Certificates) > 0 {
		return cfg
	}
	r.get = cfg.GetClientCertificate
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		r.requested.Store(true)
		if r.get == nil {
			return &tls.Certificate{}, nil
		}
		c, err := r.get(cri)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return &tls.Certificate{}, nil
		}
		if len(c.Certificate) > 0 {
			r.presented.Store(true)
		}
		return c, nil
	}
	return cfg
}

// classify turns err of a dial into a *ClientCertificateError when the
// relay asked for a certificate and then ended the handshake with a TLS
// alert (TLS 1.2 in the handshake, TLS 1.3 on the first read after it).
// Which alert it sent is not needed: that it asked, and what was presented,
// says what went wrong.
func (r *certRecorder) classify(err error, host string) error {
	if err == nil || !r.requested.Load() {
		return err
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" {
		return err
	}
	return &ClientCertificateError{Host: host, Presented: r.presented.Load(), Err: oe}
}

// ClientCertificateUsed reports whether the last relay connection this
// Dialer opened presented a client certificate (the device certificate),
// for a status display.
func (d *Dialer) ClientCertificateUsed() bool { return d.certUsed.Load() }
