package demo

// Secrets returns what only the demo process may know: the fake APIs'
// bearer token and the fake OAuth client's ID and secret. Tests check that
// they show up on no command line, in no environment and in no answer to
// another user.
func (w *World) Secrets() []string {
	return []string{string(w.apiToken), w.oauth.ClientID, w.oauth.ClientSecret}
}
