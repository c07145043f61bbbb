package authtest_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/oauth2"

	"iapdesk/auth/authtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// authorize runs the authorization endpoint for redirect and returns the
// redirect it answers with (not followed).
func authorize(t *testing.T, s *authtest.Server, q url.Values) (*http.Response, url.Values) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()
	resp, err := c.Get(s.URL + authtest.AuthPath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil {
		return resp, nil
	}
	return resp, loc.Query()
}

func authQuery(s *authtest.Server, verifier string) url.Values {
	return url.Values{
		"client_id":             {s.ClientID},
		"response_type":         {"code"},
		"redirect_uri":          {"http://127.0.0.1:9/"},
		"scope":                 {"openid email https://www.googleapis.com/auth/cloud-platform"},
		"state":                 {"st"},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"},
	}
}

// postToken posts a token request and decodes Google's JSON answer.
func postToken(t *testing.T, s *authtest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().PostForm(s.URL+authtest.TokenPath, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("token endpoint answer is not JSON: %v", err)
	}
	return resp.StatusCode, body
}

func TestTokenEndpoint(t *testing.T) {
	s := authtest.NewServer()
	defer s.Close()
	verifier := oauth2.GenerateVerifier()
	_, back := authorize(t, s, authQuery(s, verifier))
	code := back.Get("code")
	if code == "" || back.Get("state") != "st" {
		t.Fatalf("authorize redirect query = %v, want code and state=st", back)
	}
	exchange := func(code, verifier string) url.Values {
		return url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://127.0.0.1:9/"},
			"client_id": {s.ClientID}, "client_secret": {s.ClientSecret}, "code_verifier": {verifier},
		}
	}

	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantError  string // "" for success
	}{
		{"wrong PKCE verifier", exchange(code, "wrong-verifier-wrong-verifier-wrong-verifier"), 400, "invalid_grant"},
		// The failed attempt used the code up, as at Google.
		{"reused code", exchange(code, verifier), 400, "invalid_grant"},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"1//nope"},
			"client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}, 400, "invalid_grant"},
		{"wrong client secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"1//nope"},
			"client_id": {s.ClientID}, "client_secret": {"nope"}}, 401, "invalid_client"},
		{"refresh", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.IssueRefreshToken("r@example.com")},
			"client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postToken(t, s, tc.form)
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d (%v)", status, tc.wantStatus, body)
			}
			if tc.wantError != "" {
				if body["error"] != tc.wantError || body["error_description"] == "" {
					t.Errorf("error body = %v, want error %q with a description", body, tc.wantError)
				}
				return
			}
			for _, k := range []string{"access_token", "expires_in", "scope", "token_type", "id_token"} {
				if _, ok := body[k]; !ok {
					t.Errorf("token response lacks %q: %v", k, body)
				}
			}
			if body["token_type"] != "Bearer" {
				t.Errorf("token_type = %v, want Bearer", body["token_type"])
			}
		})
	}
	if got := s.Refreshes(); got != 1 {
		t.Errorf("Refreshes() = %d, want 1", got)
	}
}

func TestAuthorizeRejects(t *testing.T) {
	s := authtest.NewServer()
	defer s.Close()
	tests := []struct {
		name  string
		patch func(url.Values)
	}{
		{"no PKCE", func(q url.Values) { q.Del("code_challenge") }},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }},
		{"unknown client", func(q url.Values) { q.Set("client_id", "other") }},
		{"non-loopback redirect", func(q url.Values) { q.Set("redirect_uri", "http://example.com/") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := authQuery(s, oauth2.GenerateVerifier())
			tc.patch(q)
			resp, _ := authorize(t, s, q)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("authorize(%s) = %s to %q, want 400 without a redirect", tc.name, resp.Status, resp.Header.Get("Location"))
			}
		})
	}
}

func TestRevokeEndpoint(t *testing.T) {
	s := authtest.NewServer()
	defer s.Close()
	rt := s.IssueRefreshToken("r@example.com")
	post := func(tok string) int {
		resp, err := s.Client().Post(s.URL+authtest.RevokePath, "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"token": {tok}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(rt); got != http.StatusOK {
		t.Errorf("revoke(refresh token) = %d, want 200", got)
	}
	if !s.Revoked(rt) {
		t.Error("Revoked() = false after revoking")
	}
	if got := post(rt); got != http.StatusBadRequest {
		t.Errorf("revoke twice = %d, want 400 invalid_token", got)
	}
}

// TestNothingWithoutASecret: a server set up as the demo sets it up (its own
// client ID and secret, no metadata server) gives another local process,
// which knows neither, no code, token or account data; with the metadata
// server on (the default) it does hand out a token, which is why the demo
// turns it off.
func TestNothingWithoutASecret(t *testing.T) {
	s := authtest.NewUnstartedServer()
	s.ClientID, s.ClientSecret = "demo-Zm9vYmFy.apps.googleusercontent.com", "GOCSPX-c2VjcmV0LWNsaWVudC1zZWNyZXQ"
	s.Start()
	defer s.Close()
	c := s.Client()
	get := func(path string, header http.Header) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		maps.Copy(req.Header, header)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const tokenPath = authtest.MetadataPath + "instance/service-accounts/default/token"
	flavor := http.Header{"Metadata-Flavor": {"Google"}}
	if code, body := get(tokenPath, flavor); code != http.StatusOK || !strings.Contains(body, "access_token") {
		t.Fatalf("metadata token with the metadata server on = %d %q, want a token", code, body)
	}
	s.SetMetadataServer(false)

	stranger := authtest.DefaultClientID // what someone without the demo's ID would try
	q := authQuery(s, oauth2.GenerateVerifier())
	q.Set("client_id", stranger)
	if resp, back := authorize(t, s, q); resp.StatusCode != http.StatusBadRequest || back.Get("code") != "" {
		t.Errorf("authorize(client_id=%s) = %s, code %q; want 400 and no code", stranger, resp.Status, back.Get("code"))
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.IssueRefreshToken("demo@example.com")},
		"client_id": {s.ClientID}, "client_secret": {authtest.DefaultClientSecret}}
	if status, body := postToken(t, s, form); status != http.StatusUnauthorized || body["access_token"] != nil {
		t.Errorf("token(refresh, default secret) = %d %v, want 401 invalid_client", status, body)
	}
	for _, path := range []string{tokenPath, authtest.MetadataPath + "instance/service-accounts/default/email", authtest.MetadataPath + "project/project-id"} {
		if code, body := get(path, flavor); code != http.StatusNotFound || strings.Contains(body, "access_token") || strings.Contains(body, authtest.ServiceAccountEmail) {
			t.Errorf("GET %s with the metadata server off = %d %q, want 404", path, code, body)
		}
	}
	if code, body := get(authtest.UserinfoPath, http.Header{"Authorization": {"Bearer ya29.guess"}}); code != http.StatusUnauthorized || strings.Contains(body, "@") {
		t.Errorf("userinfo with a guessed token = %d %q, want 401", code, body)
	}
}
