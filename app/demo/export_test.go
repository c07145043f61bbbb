package demo

import "golang.org/x/oauth2"

// Relay returns the demo relay's URL, the fake Compute API's base URL and
// the demo account's tokens (what the relay wants).
func (w *World) Relay() (relayURL, computeURL string, tokens oauth2.TokenSource) {
	return w.relay.URL, w.gce.URL + "/compute/v1/", w.Dialer.TokenSource
}

// Secrets returns what only the demo process may know: the fake APIs'
// bearer token and the fake OAuth client's ID and secret. Tests check that
// they show up on no command line, in no environment and in no answer to
// another user.
func (w *World) Secrets() []string {
	return []string{string(w.apiToken), w.oauth.ClientID, w.oauth.ClientSecret}
}
