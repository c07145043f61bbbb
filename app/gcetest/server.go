package gcetest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/api/option"
)

// Config configures a Server. The zero value of every field means its
// default.
type Config struct {
	// Projects is the initial state; the server copies it.
	Projects []Project
	// PageSize caps every page the server returns (below the client's
	// maxResults/pageSize), to exercise pagination. 0 means 500.
	PageSize int
	// OperationDelay is how long an operation stays PENDING/RUNNING before
	// it is DONE and its effect (e.g. a stopped VM) applies. 0 means 20ms.
	OperationDelay time.Duration
	// AgentDelay is how long the emulated Windows agent takes to answer a
	// windows-keys request. 0 means 200ms.
	AgentDelay time.Duration
	// SerialBufferSize is the ring buffer size per serial port. 0 means 1 MiB.
	SerialBufferSize int
	// AccessToken, when set, is a bearer token every request must carry,
	// the test-only /iapdesk-test/ endpoints included: without one the
	// server answers 401 UNAUTHENTICATED as Google does. The client options
	// and HTTPClient send it. Empty (and no CheckToken) means no
	// authentication: for unit tests only; anything that trusts the fake's
	// answers (an sshd's AuthorizedKeysCommand, the demo) must set it.
	AccessToken string
	// CheckToken, when set, accepts bearer tokens other than AccessToken
	// (e.g. authtest.Server.CheckAccessToken), as the real APIs accept any
	// valid OAuth access token. Setting it also makes a token required; the
	// client options still send AccessToken only.
	CheckToken func(token string) bool
	// OSLoginUsers preconfigures OS Login users; other emails get a
	// profile on first use.
	OSLoginUsers []OSLoginUser
	// Now is the clock for key expiry and timestamps; nil means time.Now.
	Now func() time.Time
	// Logger receives debug logs of requests; nil means slog.Default().
	Logger *slog.Logger
}

// maxRecorded bounds the request log so long benchmarks do not grow it
// without limit; older entries are dropped first.
const maxRecorded = 10000

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port, with no trailing slash.
	URL string

	cfg    Config
	log    *slog.Logger
	hs     *http.Server
	client *http.Client

	// ctx bounds the server's lifetime: background work (operations, the
	// Windows agent) and blocking handlers (operations/wait) stop when Close
	// cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // background goroutines and the serve loop

	// mu guards every field below and all the state reachable from them
	// (projects, instances, operations, OS Login users, serial buffers).
	mu       sync.Mutex
	closed   bool
	projects map[string]*projectState
	ops      map[string]*operation // key: project/scope/name
	opSeq    uint64
	users    map[string]*osUser // key: lower-cased email
	reqs     []Request
}

// NewServer starts a fake on a loopback port. Call Close when done.
func NewServer(cfg Config) (*Server, error) {
	if cfg.PageSize <= 0 || cfg.PageSize > 500 {
		cfg.PageSize = 500
	}
	if cfg.OperationDelay <= 0 {
		cfg.OperationDelay = 20 * time.Millisecond
	}
	if cfg.AgentDelay <= 0 {
		cfg.AgentDelay = 200 * time.Millisecond
	}
	if cfg.SerialBufferSize <= 0 {
		cfg.SerialBufferSize = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{
		cfg:      cfg,
		log:      logger,
		projects: make(map[string]*projectState),
		ops:      make(map[string]*operation),
		users:    make(map[string]*osUser),
	}
	for _, p := range cfg.Projects {
		if err := s.addProjectLocked(p); err != nil {
			return nil, err
		}
	}
	for _, u := range cfg.OSLoginUsers {
		s.addOSLoginUserLocked(u)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("gcetest: listen on loopback: %w", err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.hs = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	var rt http.RoundTripper = &http.Transport{
		Proxy:               nil, // loopback: never through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	if cfg.AccessToken != "" {
		rt = &bearer{token: cfg.AccessToken, base: rt}
	}
	s.client = &http.Client{Transport: rt}
	s.wg.Go(func() {
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("gcetest serve", slog.Any("error", err))
		}
	})
	return s, nil
}

// Close stops the server: it cancels pending operations, agent replies and
// blocked /wait calls, closes the listener and connections, and returns once
// every goroutine the server started has exited.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	// Idle client connections first: the transport may hold a connection
	// it dialled but never used, which the server would count as new (not
	// idle) for five seconds.
	s.client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.hs.Shutdown(ctx); err != nil {
		s.hs.Close()
	}
	s.client.CloseIdleConnections()
	s.wg.Wait()
}

// HTTPClient returns the client the option sets use: plain HTTP to the
// server, with the bearer token when Config.AccessToken is set.
func (s *Server) HTTPClient() *http.Client { return s.client }

// ComputeOptions returns client options that point compute/v1 at the fake:
// compute.NewService(ctx, srv.ComputeOptions()...).
func (s *Server) ComputeOptions() []option.ClientOption {
	return s.options(s.URL + "/compute/v1/")
}

// ResourceManagerOptions returns client options for cloudresourcemanager/v1.
func (s *Server) ResourceManagerOptions() []option.ClientOption {
	return s.options(s.URL + "/")
}

// OSLoginOptions returns client options for oslogin/v1.
func (s *Server) OSLoginOptions() []option.ClientOption {
	return s.options(s.URL + "/")
}

func (s *Server) options(endpoint string) []option.ClientOption {
	// WithHTTPClient bypasses the auth stack: the client is used as is.
	return []option.ClientOption{option.WithEndpoint(endpoint), option.WithHTTPClient(s.client)}
}

// Requests returns the requests received so far (at most the last 10000),
// oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// bearer adds an Authorization header, like an oauth2.Transport would.
type bearer struct {
	token string
	base  http.RoundTripper
}

// RoundTrip sends r with the bearer token.
func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.computeRoutes(mux)
	mux.HandleFunc("/v1/projects", s.crmList)
	mux.HandleFunc("/v1/projects/", s.crmProject)
	mux.HandleFunc("/v1/users/", s.osLogin)
	mux.HandleFunc("GET /iapdesk-test/authorized-keys", s.authorizedKeysHandler)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{Code: http.StatusNotFound, Message: fmt.Sprintf("gcetest: no handler for %s %s", r.Method, r.URL.Path), Reason: "notFound"})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		s.log.Debug("gcetest request", slog.String("method", r.Method), slog.String("path", r.URL.Path))
		if aerr := s.authenticate(r); aerr != nil {
			w.Header().Set("WWW-Authenticate", aerr.wwwAuthenticate)
			writeError(w, aerr.apiError)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// authError is a 401 with the WWW-Authenticate header Google sends with it.
type authError struct {
	*apiError
	wwwAuthenticate string
}

// authenticate checks r's bearer token when the server requires one. It
// returns nil for an authenticated request.
func (s *Server) authenticate(r *http.Request) *authError {
	if s.cfg.AccessToken == "" && s.cfg.CheckToken == nil {
		return nil
	}
	const realm = `Bearer realm="https://accounts.google.com/"`
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return &authError{errCredentialsMissing(), realm}
	}
	if s.cfg.AccessToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.AccessToken)) == 1 {
		return nil
	}
	if s.cfg.CheckToken != nil && s.cfg.CheckToken(tok) {
		return nil
	}
	return &authError{errUnauthenticated(), realm + `, error="invalid_token"`}
}

func (s *Server) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) >= maxRecorded {
		n := copy(s.reqs, s.reqs[len(s.reqs)-maxRecorded/2:])
		s.reqs = s.reqs[:n]
	}
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Time: s.cfg.Now()})
}

// writeJSON writes v with status 200. Marshal errors are programmer errors
// in the fake and are reported as a 500 in Google's shape.
func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, &apiError{Code: http.StatusInternalServerError, Message: "gcetest: marshal response: " + err.Error(), Reason: "backendError"})
		return
	}
	writeBody(w, r, b)
}

// writeBody writes a JSON body, pruned to the request's fields mask.
func writeBody(w http.ResponseWriter, r *http.Request, b []byte) {
	mask, aerr := requestMask(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if mask != nil {
		var err error
		if b, err = mask.prune(b); err != nil {
			writeError(w, &apiError{Code: http.StatusInternalServerError, Message: "gcetest: apply fields: " + err.Error(), Reason: "backendError"})
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(b)
}

func decodeBody(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 8<<20))
	if err := dec.Decode(v); err != nil {
		return &apiError{Code: http.StatusBadRequest, Message: "Invalid JSON payload received. " + err.Error(), Reason: "parseError", Status: "INVALID_ARGUMENT"}
	}
	return nil
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// timestamp formats t the way Compute does (RFC 3339 with a -07:00 offset).
func timestamp(t time.Time) string { return t.Format("2006-01-02T15:04:05.000-07:00") }
