// Package authtest fakes Google's OAuth 2.0 server for tests and the demo
// mode: an authorization endpoint that approves (or denies) without a human,
// a token endpoint with code exchange (PKCE checked), refresh and Google's
// JSON errors, revocation, userinfo and the GCE metadata server's token. It
// runs a real loopback HTTP server, like net/http/httptest. MemStore is an
// in-memory auth.Store; StoreSuite checks any auth.Store.
package authtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"iapdesk/auth"
)

// Paths the server answers on, under its URL.
const (
	AuthPath     = "/o/oauth2/v2/auth"
	TokenPath    = "/token"
	RevokePath   = "/revoke"
	UserinfoPath = "/v1/userinfo"
	MetadataPath = "/computeMetadata/v1/"
)

// Defaults of a new Server.
const (
	DefaultClientID     = "authtest-client.apps.googleusercontent.com"
	DefaultClientSecret = "GOCSPX-authtest-secret"
	DefaultEmail        = "user@example.com"
	ServiceAccountEmail = "authtest-sa@authtest-project.iam.gserviceaccount.com"
	ProjectID           = "authtest-project"
)

// Server is a fake Google OAuth server on 127.0.0.1. Its knobs may be set
// at any time, from any goroutine.
//
// As at Google, only the authorization endpoint (given the client ID) and
// the metadata server answer without a secret: the token endpoint wants the
// client secret and a code with its PKCE verifier or a refresh token, and
// userinfo and revoke want the token itself. A Server reachable by other
// local users (the demo) needs a secret ClientID and ClientSecret and
// SetMetadataServer(false).
type Server struct {
	// URL is the base URL, http://127.0.0.1:port, once started.
	URL string
	// ClientID and ClientSecret are the only client the server accepts;
	// set them before Start to change them.
	ClientID     string
	ClientSecret string

	hs *httptest.Server

	mu          sync.Mutex // guards every field below
	email       string
	deny        bool
	wrongState  bool
	malformed   bool
	omitIDToken bool
	noMetadata  bool
	lifetime    time.Duration
	granted     []string // nil: grant what was asked
	tokenErr    *oauthError
	codes       map[string]*codeGrant
	grants      map[string]*grant // by refresh token
	access      map[string]*accessToken
	refreshes   int
	exchanges   int
	revocations int
	secrets     []string
}

type codeGrant struct {
	email, redirectURI, challenge, scope string
}

// grant is one refresh token, as Google keeps it per sign-in.
type grant struct {
	email, scope, refresh string
	revoked               bool
}

type accessToken struct {
	g      *grant // nil for metadata server tokens
	email  string
	expiry time.Time
}

type oauthError struct {
	status            int
	code, description string
}

// NewServer starts a Server with the default client and account.
func NewServer() *Server {
	s := NewUnstartedServer()
	s.Start()
	return s
}

// NewUnstartedServer returns a Server that is configured but not started.
func NewUnstartedServer() *Server {
	s := &Server{
		ClientID:     DefaultClientID,
		ClientSecret: DefaultClientSecret,
		email:        DefaultEmail,
		lifetime:     3599 * time.Second,
		codes:        map[string]*codeGrant{},
		grants:       map[string]*grant{},
		access:       map[string]*accessToken{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AuthPath, s.authorize)
	mux.HandleFunc("POST "+TokenPath, s.token)
	mux.HandleFunc("POST "+RevokePath, s.revoke)
	mux.HandleFunc("GET "+UserinfoPath, s.userinfo)
	mux.HandleFunc("GET "+MetadataPath, s.metadata)
	s.hs = httptest.NewUnstartedServer(mux)
	return s
}

// Start starts the server on a random loopback port.
func (s *Server) Start() {
	s.mu.Lock()
	s.secrets = append(s.secrets, s.ClientSecret)
	s.mu.Unlock()
	s.hs.Start()
	s.URL = s.hs.URL
}

// Close shuts the server down and waits until every request has finished.
func (s *Server) Close() { s.hs.Close() }

// Client returns an HTTP client for the server, closed with it.
func (s *Server) Client() *http.Client { return s.hs.Client() }

// Endpoints returns the server's endpoints for auth.Config.
func (s *Server) Endpoints() auth.Endpoints {
	return auth.Endpoints{
		AuthURL:     s.URL + AuthPath,
		TokenURL:    s.URL + TokenPath,
		RevokeURL:   s.URL + RevokePath,
		UserinfoURL: s.URL + UserinfoPath,
	}
}

// MetadataHost is host:port for GCE_METADATA_HOST, so the google library's
// metadata-server credentials come from this server.
func (s *Server) MetadataHost() string { return strings.TrimPrefix(s.URL, "http://") }

// SetEmail sets the account the authorization endpoint approves when the
// request has no login_hint (default DefaultEmail).
func (s *Server) SetEmail(email string) { s.set(func() { s.email = email }) }

// SetDeny makes the authorization endpoint redirect with
// error=access_denied, as when the user clicks Cancel.
func (s *Server) SetDeny(deny bool) { s.set(func() { s.deny = deny }) }

// SetWrongState makes the authorization endpoint redirect with a state that
// differs from the request's.
func (s *Server) SetWrongState(wrong bool) { s.set(func() { s.wrongState = wrong }) }

// SetMalformedTokenResponse makes the token endpoint answer 200 with
// truncated JSON.
func (s *Server) SetMalformedTokenResponse(bad bool) { s.set(func() { s.malformed = bad }) }

// SetOmitIDToken leaves id_token out of token responses, so clients must ask
// userinfo for the email.
func (s *Server) SetOmitIDToken(omit bool) { s.set(func() { s.omitIDToken = omit }) }

// SetMetadataServer turns the GCE metadata server emulation (MetadataPath)
// on (the default) or off. It hands an access token to any local process
// that asks, as a VM's metadata server does to any process on the VM, so
// whatever must not trust every local user (the demo) turns it off: it
// then answers 404, as off a VM.
func (s *Server) SetMetadataServer(on bool) { s.set(func() { s.noMetadata = !on }) }

// SetTokenLifetime sets expires_in of new access tokens (default 3599 s).
func (s *Server) SetTokenLifetime(d time.Duration) { s.set(func() { s.lifetime = d }) }

// SetGrantedScopes makes the server grant these scopes whatever was asked
// (granular consent, where the user unticks some). No arguments: grant what
// was asked.
func (s *Server) SetGrantedScopes(scopes ...string) {
	s.set(func() {
		s.granted = nil
		if len(scopes) > 0 {
			s.granted = append([]string(nil), scopes...)
		}
	})
}

// SetTokenError makes every token endpoint request fail with Google's JSON
// error shape, e.g. (500, "internal_failure", "…"). Status 0 clears it.
func (s *Server) SetTokenError(status int, code, description string) {
	s.set(func() {
		s.tokenErr = nil
		if status != 0 {
			s.tokenErr = &oauthError{status, code, description}
		}
	})
}

// RevokeAll revokes every refresh token, as when the user removes the app
// at myaccount.google.com: the next refresh gets invalid_grant.
func (s *Server) RevokeAll() {
	s.set(func() {
		for _, g := range s.grants {
			g.revoked = true
		}
	})
}

// IssueRefreshToken creates a refresh token for email without the browser
// step, as if the account had signed in earlier.
func (s *Server) IssueRefreshToken(email string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.newSecret("1//authtest-")
	s.grants[rt] = &grant{email: email, scope: strings.Join(googleScopes(auth.Scopes), " "), refresh: rt}
	return rt
}

// AuthorizedUserJSON is an ADC file (type authorized_user, as written by
// `gcloud auth application-default login`) whose token_uri is this server.
func (s *Server) AuthorizedUserJSON(refreshToken string) []byte {
	b, _ := json.Marshal(map[string]string{
		"type":          "authorized_user",
		"client_id":     s.ClientID,
		"client_secret": s.ClientSecret,
		"refresh_token": refreshToken,
		"token_uri":     s.URL + TokenPath,
	})
	return b
}

// Refreshes counts refresh_token grants answered with a token.
func (s *Server) Refreshes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refreshes }

// Exchanges counts authorization codes exchanged for tokens.
func (s *Server) Exchanges() int { s.mu.Lock(); defer s.mu.Unlock(); return s.exchanges }

// Revocations counts tokens revoked at the revoke endpoint.
func (s *Server) Revocations() int { s.mu.Lock(); defer s.mu.Unlock(); return s.revocations }

// Revoked reports whether a refresh token was revoked.
func (s *Server) Revoked(refreshToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.grants[refreshToken]
	return ok && g.revoked
}

// CheckAccessToken reports the account an access token belongs to, and
// whether it is still valid (issued here, not expired, not revoked). Other
// fakes (the relay in demo mode) use it to check Authorization headers.
func (s *Server) CheckAccessToken(token string) (email string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkAccessLocked(token)
}

// Secrets returns every secret the server issued or received: client
// secret, codes, PKCE verifiers, access, refresh and ID tokens. Tests grep
// logs for them.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.secrets...)
}

func (s *Server) set(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// newSecret returns prefix + 128 random bits and records it. Callers hold mu.
func (s *Server) newSecret(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	v := prefix + base64.RawURLEncoding.EncodeToString(b)
	s.secrets = append(s.secrets, v)
	return v
}

func (s *Server) checkAccessLocked(token string) (string, bool) {
	a, ok := s.access[token]
	if !ok || time.Now().After(a.expiry) || (a.g != nil && a.g.revoked) {
		return "", false
	}
	return a.email, true
}

// googleScopes spells scopes the way Google's token response does.
func googleScopes(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		switch sc {
		case "email":
			sc = "https://www.googleapis.com/auth/userinfo.email"
		case "profile":
			sc = "https://www.googleapis.com/auth/userinfo.profile"
		}
		out = append(out, sc)
	}
	return out
}

// pkceS256 is the S256 code challenge of verifier (RFC 7636 §4.2).
func pkceS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// idToken builds an unsigned-looking JWT with Google's claims. Clients read
// it straight from the token endpoint and do not check the signature.
func (s *Server) idToken(email string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := time.Now()
	tok := enc(map[string]any{"alg": "RS256", "kid": "authtest", "typ": "JWT"}) + "." +
		enc(map[string]any{
			"iss":            "https://accounts.google.com",
			"azp":            s.ClientID,
			"aud":            s.ClientID,
			"sub":            subject(email),
			"email":          email,
			"email_verified": true,
			"iat":            now.Unix(),
			"exp":            now.Add(time.Hour).Unix(),
		}) + "." + base64.RawURLEncoding.EncodeToString([]byte("authtest-signature"))
	s.secrets = append(s.secrets, tok)
	return tok
}

// redirectTarget checks a redirect_uri the way Google does for desktop
// clients: http on a loopback address, any port.
func redirectTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	host := u.Hostname()
	if u.Scheme != "http" || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		return nil, fmt.Errorf("redirect_uri %q is not a loopback http URI", raw)
	}
	return u, nil
}

// subject is the stable numeric account ID Google puts in "sub".
func subject(email string) string {
	sum := sha256.Sum256([]byte(email))
	return fmt.Sprintf("1%020d", uint64(sum[0])<<56|uint64(sum[1])<<48|uint64(sum[2])<<40|uint64(sum[3])<<32|uint64(sum[4])<<24)
}
