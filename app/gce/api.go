package gce

import (
	"net/http"

	"golang.org/x/oauth2"
	"google.golang.org/api/option"
)

// API says how every client of this package reaches Google: with which
// credentials, at which endpoints. The zero value of an endpoint is
// Google's own.
type API struct {
	// TokenSource authorizes the calls. Ignored when HTTPClient is set.
	TokenSource oauth2.TokenSource
	// HTTPClient, if set, makes the calls as it is, authorizing them
	// itself: the demo and tests pass the fake API's client.
	HTTPClient *http.Client
	// ComputeURL, OSLoginURL and ResourceManagerURL are the base URLs of
	// Compute Engine v1 (…/compute/v1/), OS Login v1 and Resource Manager
	// v1; "" means Google's.
	ComputeURL         string
	OSLoginURL         string
	ResourceManagerURL string
	// UserAgent is sent with every call.
	UserAgent string
	// Transport, if set (and HTTPClient is not), carries the calls under
	// TokenSource's Authorization: the composition root's, with the proxy
	// setting and the device certificate. Nil: the client library's own.
	Transport http.RoundTripper
}

// options are the client options for the service at endpoint ("" for
// Google's).
func (a API) options(endpoint string) []option.ClientOption {
	var opts []option.ClientOption
	switch {
	case a.HTTPClient != nil:
		opts = append(opts, option.WithHTTPClient(a.HTTPClient))
	case a.Transport != nil && a.TokenSource != nil:
		opts = append(opts, option.WithHTTPClient(&http.Client{Transport: &oauth2.Transport{
			Source: a.TokenSource, Base: userAgent{base: a.Transport, ua: a.UserAgent}}}))
	case a.TokenSource != nil:
		opts = append(opts, option.WithTokenSource(a.TokenSource))
	}
	if endpoint != "" {
		opts = append(opts, option.WithEndpoint(endpoint))
	}
	if a.UserAgent != "" {
		opts = append(opts, option.WithUserAgent(a.UserAgent))
	}
	return opts
}

// userAgent sets the User-Agent of every request (the client library sets
// it only on its own transport).
type userAgent struct {
	base http.RoundTripper
	ua   string
}

// RoundTrip implements http.RoundTripper.
func (u userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	if u.ua != "" {
		r = r.Clone(r.Context())
		r.Header.Set("User-Agent", u.ua)
	}
	return u.base.RoundTrip(r)
}
