package app

import (
	"errors"
	"fmt"

	"iapdesk/auth"
	"iapdesk/platform/proxy"
	"iapdesk/tunnel"
)

// networkFailure explains how iapdesk reaches Google failing: the device
// certificate (certificate-based access) and the proxy, for the relay and
// the APIs alike. It is the only place their wording lives; it returns nil
// for other errors.
func networkFailure(what string, err error, s surface) *UserError {
	u := &UserError{What: what, Err: err}
	window := s == inWindow
	turnOn := "Set GOOGLE_API_USE_CLIENT_CERTIFICATE=true, and GOOGLE_API_CERTIFICATE_CONFIG to the certificate_config.json " +
		"your administrator handed out (or enrol this device with Endpoint Verification, which writes " +
		"~/.secureConnect/context_aware_metadata.json)."
	if window {
		turnOn = "Set Settings → Access → \"Use my device certificate\" to On or Automatic, and check that this device is enrolled " +
			"(the certificate_config.json your administrator handed out, or Endpoint Verification)."
	}
	proxyFix := "Check the proxy user name and password: CLOUDSDK_PROXY_USERNAME and CLOUDSDK_PROXY_PASSWORD " +
		"(or --proxy-username with the password on stdin)."
	if window {
		proxyFix = "Check the proxy user name and password in Settings → Network."
	}
	var cce *tunnel.ClientCertificateError
	var tpe *tunnel.ProxyError
	var ppe *proxy.ConnectError
	var dce *auth.DeviceCertificateError
	var pac *proxy.PACError
	switch {
	case errors.Is(err, tunnel.ErrClientCertificateRequired):
		host := "the IAP relay"
		if errors.As(err, &cce) {
			host += " (" + cce.Host + ")"
		}
		u.Why = fmt.Sprintf("this organisation requires a device certificate (certificate-based access), "+
			"and iapdesk has no device certificate to present: %s refused the connection without one", host)
		u.Fix = turnOn
	case errors.Is(err, tunnel.ErrClientCertificateRejected):
		u.Why = "the IAP relay refused this device's certificate: it has expired, or was not issued for your organisation"
		u.Fix = "Renew the device certificate (re-enrol the device, or ask your administrator for a new certificate_config.json and certificate)."
	case errors.Is(err, auth.ErrNoDeviceCertificate):
		u.Why = "iapdesk is set to use a device certificate, but this device has none configured"
		u.Fix = "Ask your administrator for the certificate_config.json of this device (or enrol it with Endpoint Verification)."
		if window {
			u.Fix += " Or set Settings → Access → \"Use my device certificate\" to Automatic."
		} else {
			u.Fix += " Or unset GOOGLE_API_USE_CLIENT_CERTIFICATE."
		}
	case errors.As(err, &dce):
		u.Why = fmt.Sprintf("the device certificate configured in %s cannot be used: %v", dce.Path, dce.Err)
		u.Fix = "Fix or replace that file (ask your administrator), or turn the device certificate off."
	case errors.As(err, &tpe) && errors.Is(err, tunnel.ErrProxyAuth):
		u.Why = proxyAuthWhy(tpe.Proxy, tpe.Credentials)
		u.Fix = proxyFix
	case errors.As(err, &ppe) && errors.Is(err, proxy.ErrProxyAuth):
		u.Why = proxyAuthWhy(ppe.Proxy, ppe.Credentials)
		u.Fix = proxyFix
	case errors.As(err, &tpe):
		u.Why = fmt.Sprintf("the proxy %s refused the connection to the IAP relay (%s)", tpe.Proxy, tpe.Status)
		u.Fix = "Ask for WebSockets (CONNECT on port 443) to tunnel.cloudproxy.app to be allowed through the proxy."
	case errors.As(err, &ppe):
		u.Why = fmt.Sprintf("the proxy %s refused the connection to Google (%s)", ppe.Proxy, ppe.Status)
		u.Fix = "Ask for *.googleapis.com to be allowed through the proxy."
	case errors.As(err, &pac):
		u.Why = fmt.Sprintf("the proxy auto-config (PAC) file %s cannot be used: %v", pac.URL, pac.Err)
		u.Fix = "Check the PAC file's address (Settings → Network, or the system's proxy settings) and ask its owner to fix it."
	case errors.Is(err, proxy.ErrUnsupportedProxy):
		u.Why = "the proxy is not an HTTP proxy: IAP tunnels go through HTTP CONNECT proxies only (not SOCKS)"
		u.Fix = "Use your organisation's HTTP proxy."
	default:
		return nil
	}
	return u
}

// proxyAuthWhy says that proxy wants (other) credentials.
func proxyAuthWhy(proxyHost string, sent bool) string {
	if sent {
		return fmt.Sprintf("the proxy %s refused the user name and password (HTTP 407)", proxyHost)
	}
	return fmt.Sprintf("the proxy %s requires a user name and password (HTTP 407), and none is set", proxyHost)
}
