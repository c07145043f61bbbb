package authtest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"
)

// authorize is the authorization endpoint. It checks the request as Google
// does (client, loopback redirect, PKCE S256) and, with no human to ask,
// approves at once (or denies, with SetDeny) by redirecting back.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bad := func(format string, args ...any) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "<!DOCTYPE html><title>Error 400: invalid_request</title><h1>Error 400: invalid_request</h1><p>%s</p>",
			html.EscapeString(fmt.Sprintf(format, args...)))
	}
	if q.Get("client_id") != s.ClientID {
		bad("The OAuth client was not found: %q", q.Get("client_id"))
		return
	}
	if q.Get("response_type") != "code" {
		bad("response_type must be code")
		return
	}
	target, err := redirectTarget(q.Get("redirect_uri"))
	if err != nil {
		bad("%v", err)
		return
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		bad("PKCE with code_challenge_method=S256 is required")
		return
	}
	if q.Get("scope") == "" {
		bad("Missing required parameter: scope")
		return
	}

	s.mu.Lock()
	state := q.Get("state")
	if s.wrongState {
		state = "not-" + state
	}
	back := target.Query()
	back.Set("state", state)
	if s.deny {
		back.Set("error", "access_denied")
	} else {
		email := s.email
		if h := q.Get("login_hint"); h != "" {
			email = h
		}
		scope := strings.Join(googleScopes(strings.Fields(q.Get("scope"))), " ")
		if s.granted != nil {
			scope = strings.Join(s.granted, " ")
		}
		code := s.newSecret("4/authtest-")
		s.codes[code] = &codeGrant{email: email, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), scope: scope}
		back.Set("code", code)
		back.Set("scope", scope)
	}
	s.mu.Unlock()
	target.RawQuery = back.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// token is the token endpoint: authorization_code and refresh_token grants.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, &oauthError{http.StatusBadRequest, "invalid_request", "Malformed form body."})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := r.PostForm.Get("code_verifier"); v != "" {
		s.secrets = append(s.secrets, v)
	}
	if s.tokenErr != nil {
		writeError(w, s.tokenErr)
		return
	}
	if id != s.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) != 1 {
		writeError(w, &oauthError{http.StatusUnauthorized, "invalid_client", "Unauthorized"})
		return
	}
	var g *grant
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		c, ok := s.codes[code]
		if !ok {
			writeError(w, &oauthError{http.StatusBadRequest, "invalid_grant", "Malformed auth code."})
			return
		}
		delete(s.codes, code) // codes are single use
		if r.PostForm.Get("redirect_uri") != c.redirectURI {
			writeError(w, &oauthError{http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request"})
			return
		}
		if pkceS256(r.PostForm.Get("code_verifier")) != c.challenge {
			writeError(w, &oauthError{http.StatusBadRequest, "invalid_grant", "Invalid code verifier."})
			return
		}
		g = &grant{email: c.email, scope: c.scope, refresh: s.newSecret("1//authtest-")}
		s.grants[g.refresh] = g
		s.exchanges++
	case "refresh_token":
		var ok bool
		g, ok = s.grants[r.PostForm.Get("refresh_token")]
		if !ok || g.revoked {
			writeError(w, &oauthError{http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked."})
			return
		}
		s.refreshes++
	default:
		writeError(w, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: " + r.PostForm.Get("grant_type")})
		return
	}

	at := s.newSecret("ya29.authtest-")
	s.access[at] = &accessToken{g: g, email: g.email, expiry: time.Now().Add(s.lifetime)}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.malformed {
		fmt.Fprintf(w, `{"access_token": "%s", "expires_in": `, at)
		return
	}
	resp := map[string]any{
		"access_token": at,
		"expires_in":   int(s.lifetime / time.Second),
		"scope":        g.scope,
		"token_type":   "Bearer",
	}
	if r.PostForm.Get("grant_type") == "authorization_code" {
		resp["refresh_token"] = g.refresh
	}
	if !s.omitIDToken && strings.Contains(" "+g.scope+" ", " openid ") {
		resp["id_token"] = s.idToken(g.email)
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// revoke is the revoke endpoint: token= in the form (or query). Revoking
// either token of a sign-in revokes the whole grant, as at Google.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, &oauthError{http.StatusBadRequest, "invalid_request", "Malformed form body."})
		return
	}
	tok := r.Form.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[tok]
	if !ok {
		if a, ok2 := s.access[tok]; ok2 && a.g != nil {
			g, ok = a.g, true
		}
	}
	if !ok || g.revoked {
		writeError(w, &oauthError{http.StatusBadRequest, "invalid_token", "Token expired or revoked"})
		return
	}
	g.revoked = true
	s.revocations++
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	fmt.Fprint(w, "{}")
}

// userinfo is OpenID Connect's userinfo endpoint.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	email, valid := s.checkAccessLocked(tok)
	s.mu.Unlock()
	if !ok || !valid {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		writeError(w, &oauthError{http.StatusUnauthorized, "invalid_request", "Invalid Credentials"})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"sub": subject(email), "email": email, "email_verified": true})
}

// metadata is the part of the GCE metadata server the google library uses
// for credentials.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	off := s.noMetadata
	s.mu.Unlock()
	if off {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Metadata-Flavor") != "Google" {
		http.Error(w, "Missing Metadata-Flavor: Google header", http.StatusForbidden)
		return
	}
	w.Header().Set("Metadata-Flavor", "Google")
	switch strings.TrimPrefix(r.URL.Path, MetadataPath) {
	case "instance/service-accounts/default/token":
		s.mu.Lock()
		at := s.newSecret("ya29.authtest-metadata-")
		s.access[at] = &accessToken{email: ServiceAccountEmail, expiry: time.Now().Add(s.lifetime)}
		lifetime := s.lifetime
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": at, "expires_in": int(lifetime / time.Second), "token_type": "Bearer"})
	case "instance/service-accounts/default/email":
		fmt.Fprint(w, ServiceAccountEmail)
	case "project/project-id":
		fmt.Fprint(w, ProjectID)
	default:
		http.NotFound(w, r)
	}
}

// writeError answers in Google's OAuth error shape.
func writeError(w http.ResponseWriter, e *oauthError) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": e.code, "error_description": e.description})
}
