package authtest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"iapdesk/auth"
)

// Workforce fakes a workforce identity pool's sign-in for tests: the
// authorization endpoint (auth.cloud.google, which hands over to the
// external IdP and back; here it approves at once), and the Security Token
// Service's token endpoint (/v1/oauthtoken: authorization_code and
// refresh_token grants) and introspection endpoint (/v1/introspect), with
// STS's JSON answers and errors. It runs a real loopback HTTP server.
type Workforce struct {
	// URL is the base URL, http://127.0.0.1:port.
	URL string
	// Pool and Provider are the pool and provider IDs the login config
	// names.
	Pool, Provider string
	// ClientID and ClientSecret are the OAuth client STS accepts.
	ClientID, ClientSecret string

	hs *httptest.Server

	mu        sync.Mutex // guards every field below
	subject   string
	deny      bool
	codes     map[string]*codeGrant
	grants    map[string]*grant       // by refresh token
	access    map[string]*accessToken // by access token
	refreshes int
	secrets   []string
}

// Paths of the Workforce server.
const (
	WorkforceAuthPath      = "/authorize"
	WorkforceTokenPath     = "/v1/oauthtoken"
	WorkforceTokenInfoPath = "/v1/introspect"
)

// DefaultSubject is the IdP subject the fake signs in.
const DefaultSubject = "alice@corp.example"

// NewWorkforce starts a fake pool "corp-pool" with provider "entra" that
// accepts the default client (DefaultClientID, DefaultClientSecret).
func NewWorkforce() *Workforce {
	w := &Workforce{Pool: "corp-pool", Provider: "entra", ClientID: DefaultClientID, ClientSecret: DefaultClientSecret,
		subject: DefaultSubject, codes: map[string]*codeGrant{}, grants: map[string]*grant{}, access: map[string]*accessToken{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+WorkforceAuthPath, w.authorize)
	mux.HandleFunc("POST "+WorkforceTokenPath, w.token)
	mux.HandleFunc("POST "+WorkforceTokenInfoPath, w.introspect)
	w.hs = httptest.NewServer(mux)
	w.URL = w.hs.URL
	return w
}

// Close shuts the server down.
func (w *Workforce) Close() { w.hs.Close() }

// LoginConfig is the pool's login config, as `gcloud iam workforce-pools
// create-login-config` writes it, pointing at this server.
func (w *Workforce) LoginConfig() auth.LoginConfig {
	return auth.LoginConfig{Type: auth.LoginConfigType,
		Audience:     "//iam.googleapis.com/locations/global/workforcePools/" + w.Pool + "/providers/" + w.Provider,
		AuthURL:      w.URL + WorkforceAuthPath,
		TokenURL:     w.URL + WorkforceTokenPath,
		TokenInfoURL: w.URL + WorkforceTokenInfoPath, UniverseDomain: "googleapis.com"}
}

// LoginConfigJSON is LoginConfig as the file's JSON.
func (w *Workforce) LoginConfigJSON() []byte {
	b, _ := json.MarshalIndent(w.LoginConfig(), "", "  ")
	return b
}

// Principal is the principal of subject in this pool.
func (w *Workforce) Principal(subject string) string {
	return "principal://iam.googleapis.com/locations/global/workforcePools/" + w.Pool + "/subject/" + subject
}

// SetSubject sets who signs in at the IdP (default DefaultSubject).
func (w *Workforce) SetSubject(s string) { w.mu.Lock(); w.subject = s; w.mu.Unlock() }

// SetDeny makes the sign-in end in error=access_denied.
func (w *Workforce) SetDeny(d bool) { w.mu.Lock(); w.deny = d; w.mu.Unlock() }

// RevokeAll ends every sign-in: the next refresh gets invalid_grant.
func (w *Workforce) RevokeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, g := range w.grants {
		g.revoked = true
	}
}

// Refreshes counts refresh_token grants answered with a token.
func (w *Workforce) Refreshes() int { w.mu.Lock(); defer w.mu.Unlock(); return w.refreshes }

// CheckAccessToken reports the principal an access token belongs to and
// whether it is valid, for fakes that check Authorization headers.
func (w *Workforce) CheckAccessToken(token string) (principal string, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	a, ok := w.access[token]
	if !ok || time.Now().After(a.expiry) || (a.g != nil && a.g.revoked) {
		return "", false
	}
	return a.email, true
}

// Secrets returns every secret issued or received, for log checks.
func (w *Workforce) Secrets() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string{w.ClientSecret}, w.secrets...)
}

// newSecret returns prefix + 128 random bits and records it. Callers hold
// mu.
func (w *Workforce) newSecret(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	s := prefix + base64.RawURLEncoding.EncodeToString(b)
	w.secrets = append(w.secrets, s)
	return s
}

// authorize stands for auth.cloud.google and the IdP behind it: it checks
// the request (client, loopback redirect, PKCE S256, the provider) and
// approves the configured subject by redirecting back.
func (w *Workforce) authorize(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bad := func(format string, args ...any) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(rw, "<!DOCTYPE html><title>Error 400</title><p>%s</p>", html.EscapeString(fmt.Sprintf(format, args...)))
	}
	want := "locations/global/workforcePools/" + w.Pool + "/providers/" + w.Provider
	switch {
	case q.Get("client_id") != w.ClientID:
		bad("unknown client %q", q.Get("client_id"))
		return
	case q.Get("provider_name") != want:
		bad("provider_name %q, want %q", q.Get("provider_name"), want)
		return
	case q.Get("response_type") != "code":
		bad("response_type must be code")
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		bad("PKCE with S256 is required")
		return
	}
	target, err := redirectTarget(q.Get("redirect_uri"))
	if err != nil {
		bad("%v", err)
		return
	}
	w.mu.Lock()
	back := target.Query()
	back.Set("state", q.Get("state"))
	if w.deny {
		back.Set("error", "access_denied")
	} else {
		code := w.newSecret("wf-code-")
		w.codes[code] = &codeGrant{email: w.Principal(w.subject), redirectURI: q.Get("redirect_uri"),
			challenge: q.Get("code_challenge"), scope: q.Get("scope")}
		back.Set("code", code)
	}
	w.mu.Unlock()
	target.RawQuery = back.Encode()
	http.Redirect(rw, r, target.String(), http.StatusFound)
}

// clientOK checks STS's client authentication (Basic, as the Go and Python
// libraries send it).
func (w *Workforce) clientOK(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	return id == w.ClientID && subtle.ConstantTimeCompare([]byte(secret), []byte(w.ClientSecret)) == 1
}

// token is STS's oauthtoken endpoint.
func (w *Workforce) token(rw http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(rw, &oauthError{http.StatusBadRequest, "invalid_request", "Malformed request."})
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.clientOK(r) {
		writeError(rw, &oauthError{http.StatusUnauthorized, "invalid_client", "The client is not authorized."})
		return
	}
	var g *grant
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		c, ok := w.codes[r.PostForm.Get("code")]
		delete(w.codes, r.PostForm.Get("code"))
		switch {
		case !ok:
			writeError(rw, &oauthError{http.StatusBadRequest, "invalid_grant", "The authorization code is invalid."})
			return
		case r.PostForm.Get("redirect_uri") != c.redirectURI || pkceS256(r.PostForm.Get("code_verifier")) != c.challenge:
			writeError(rw, &oauthError{http.StatusBadRequest, "invalid_grant", "The code verifier or redirect URI does not match."})
			return
		}
		g = &grant{email: c.email, scope: c.scope, refresh: w.newSecret("wf-refresh-")}
		w.grants[g.refresh] = g
	case "refresh_token":
		var ok bool
		g, ok = w.grants[r.PostForm.Get("refresh_token")]
		if !ok || g.revoked {
			writeError(rw, &oauthError{http.StatusBadRequest, "invalid_grant", "The refresh token is invalid or has expired."})
			return
		}
		w.refreshes++
	default:
		writeError(rw, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant_type."})
		return
	}
	at := w.newSecret("ya29.wf-")
	w.access[at] = &accessToken{g: g, email: g.email, expiry: time.Now().Add(time.Hour)}
	resp := map[string]any{"access_token": at, "expires_in": 3599, "token_type": "Bearer",
		"issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}
	if r.PostForm.Get("grant_type") == "authorization_code" {
		resp["refresh_token"] = g.refresh
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(rw).Encode(resp)
}

// introspect is STS's token introspection endpoint (RFC 7662).
func (w *Workforce) introspect(rw http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(rw, &oauthError{http.StatusBadRequest, "invalid_request", "Malformed request."})
		return
	}
	w.mu.Lock()
	ok := w.clientOK(r)
	w.mu.Unlock()
	if !ok {
		writeError(rw, &oauthError{http.StatusUnauthorized, "invalid_client", "The client is not authorized."})
		return
	}
	principal, valid := w.CheckAccessToken(r.PostForm.Get("token"))
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	if !valid {
		_ = json.NewEncoder(rw).Encode(map[string]any{"active": false})
		return
	}
	_ = json.NewEncoder(rw).Encode(map[string]any{"active": true, "client_id": w.ClientID, "username": principal,
		"sub": strings.TrimPrefix(principal, "principal://iam.googleapis.com/"), "token_type": "Bearer",
		"iss": "https://sts.googleapis.com/", "scope": auth.ScopeCloudPlatform,
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()})
}
