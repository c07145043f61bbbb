package desk

import (
	"cmp"
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"iapdesk/app"
	"iapdesk/auth"
	"iapdesk/platform/proxy"
)

// Google's hosts for certificate-based access: with a device certificate
// the relay and the APIs are reached at their mTLS hosts, which ask for
// the certificate in the TLS handshake.
const (
	MTLSRelayURL           = "wss://mtls.tunnel.cloudproxy.app/v4"
	MTLSComputeURL         = "https://compute.mtls.googleapis.com/compute/v1/"
	MTLSOSLoginURL         = "https://oslogin.mtls.googleapis.com/"
	MTLSResourceManagerURL = "https://cloudresourcemanager.mtls.googleapis.com/"
)

// network is the one decision about how iapdesk reaches Google: the device
// certificate (and with it the mTLS hosts) and the proxy, for the relay
// and the APIs alike.
type network struct {
	cert  *auth.DeviceCertificate // nil: none presented
	proxy *proxy.Resolver

	relayURL                          string
	computeURL, osLoginURL, crmURL    string
	apiTransport                      http.RoundTripper // nil with Options.HTTPClient
	certificateDesc, proxyDescription string
}

// network decides how to reach Google from the options and the user's
// preferences (Settings → Access, Settings → Network): it looks for the
// device certificate, builds the proxy resolver (fetching a PAC file), and
// switches the relay and the APIs to their mTLS hosts when a certificate
// is used, unless an override (--iap-tunnel-url-override, a PSC endpoint,
// an API URL) names the host. The certificate is presented wherever it is
// asked for, overrides included.
func (d *Desk) network(ctx context.Context) (*network, error) {
	o := d.opts
	prefs, err := app.LoadPreferences(d.dir)
	if err != nil {
		return nil, err
	}
	certCfg := o.DeviceCertificate
	if certCfg.Mode == auth.CertificateAuto {
		certCfg.Mode = prefs.DeviceCertificate
	}
	n := &network{relayURL: o.RelayURL, computeURL: o.ComputeURL, osLoginURL: o.OSLoginURL, crmURL: o.ResourceManagerURL}
	if n.cert, err = auth.FindDeviceCertificate(ctx, certCfg); err != nil {
		return nil, err
	}
	if n.cert != nil {
		n.certificateDesc = n.cert.String()
		if n.relayURL == "" && o.PSCEndpoint == "" {
			n.relayURL = MTLSRelayURL
		}
		if o.HTTPClient == nil {
			n.computeURL = cmp.Or(n.computeURL, MTLSComputeURL)
			n.osLoginURL = cmp.Or(n.osLoginURL, MTLSOSLoginURL)
			n.crmURL = cmp.Or(n.crmURL, MTLSResourceManagerURL)
		}
	}
	ps, err := d.proxySettings(ctx, prefs)
	if err != nil {
		return nil, err
	}
	if n.proxy, err = proxy.New(ctx, ps, proxy.Options{}); err != nil {
		return nil, err
	}
	n.proxyDescription = n.proxy.String()
	if o.HTTPClient == nil {
		n.apiTransport = n.transport()
	}
	d.log.Info("network", slog.String("proxy", n.proxyDescription), slog.String("device_certificate", n.certificateDesc),
		slog.String("relay", cmp.Or(n.relayURL, "default")))
	return n, nil
}

// proxySettings are Options.Proxy, else the preferences; a user name
// without a password takes the password kept in the keyring.
func (d *Desk) proxySettings(ctx context.Context, prefs app.Preferences) (proxy.Settings, error) {
	p := prefs.Proxy
	s := proxy.Settings{Mode: p.Mode, Address: p.Address, PACURL: p.PACURL, NoProxy: p.NoProxy, Username: p.Username}
	if d.opts.Proxy != nil {
		s = *d.opts.Proxy
	}
	if s.Username != "" && s.Password == "" {
		creds, err := app.NewCredentials(d.secrets)
		if err != nil {
			return proxy.Settings{}, err
		}
		pw, _, err := creds.ProxyPassword(ctx, s.Username)
		if err != nil {
			return proxy.Settings{}, err
		}
		s.Password = pw
	}
	return s, nil
}

// transport carries the API calls: the proxy and the device certificate,
// like the relay's connections.
func (n *network) transport() http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = n.proxy.Proxy
	tr.OnProxyConnectResponse = func(_ context.Context, proxyURL *url.URL, _ *http.Request, res *http.Response) error {
		return proxy.CheckConnectResponse(proxyURL, res)
	}
	if n.cert != nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetClientCertificate: n.cert.GetClientCertificate}
	}
	tr.TLSHandshakeTimeout = 30 * time.Second
	return tr
}

// close releases the device certificate (the ECP signer). Its error is
// of no use: the helper process is gone either way.
func (n *network) close() {
	if n != nil && n.cert != nil {
		_ = n.cert.Close()
	}
}

// Preferences is Settings → Access and Settings → Network: the app-wide
// preferences in the config directory and the proxy password in the
// keyring. The services opened after a Save use them.
func (d *Desk) Preferences() (*app.PreferencesStore, error) {
	return app.NewPreferencesStore(d.dir, d.secrets)
}
