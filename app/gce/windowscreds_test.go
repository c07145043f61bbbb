package gce_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	"iapdesk/app"
	"iapdesk/app/gce"
	"iapdesk/app/gcetest"
)

const (
	wcProject = "acme-corp-it"
	wcZone    = "europe-west1-b"
	wcVM      = "dc-01"
)

var wcRef = app.InstanceRef{Project: wcProject, Zone: wcZone, Name: wcVM}

// wcFake starts gcetest with one Windows VM (plus a stopped one and a
// Linux one) whose agent answers as mode says.
func wcFake(t *testing.T, mode gcetest.AgentMode, meta ...gcetest.MetadataItem) *gcetest.Server {
	t.Helper()
	srv, err := gcetest.NewServer(gcetest.Config{AgentDelay: 20 * time.Millisecond, OperationDelay: 2 * time.Millisecond,
		Projects: []gcetest.Project{{ID: wcProject, Instances: []gcetest.Instance{
			{Name: wcVM, Zone: wcZone, OS: gcetest.Windows, Agent: mode, Metadata: meta},
			{Name: "print-01", Zone: wcZone, OS: gcetest.Windows, Status: "TERMINATED"},
			{Name: "jump-linux-01", Zone: wcZone, OS: gcetest.Linux},
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// newWCGenerator returns a generator on srv with test timings; hc, if set,
// replaces the fake's HTTP client (e.g. with a hooked one).
func newWCGenerator(t *testing.T, srv *gcetest.Server, timeout time.Duration, hc ...*http.Client) *gce.WindowsCredentialGenerator {
	t.Helper()
	api := fakeAPI(srv)
	if len(hc) > 0 {
		api.HTTPClient = hc[0]
	}
	g, err := gce.NewWindowsCredentialGenerator(context.Background(), gce.WindowsCredentialsConfig{
		API: api, Timeout: timeout, PollInterval: 10 * time.Millisecond, RetryDelay: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func countFakeRequests(srv *gcetest.Server, method, suffix string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func TestWindowsCredentialsEndToEnd(t *testing.T) {
	other := `{"userName":"bob","email":"bob@example.com","expireOn":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) +
		`","modulus":"b3RoZXI=","exponent":"AQAB"}`
	expired := `{"userName":"old","expireOn":"2020-01-01T00:00:00Z","modulus":"b2xk","exponent":"AQAB"}`
	srv := wcFake(t, gcetest.AgentReply,
		gcetest.MetadataItem{Key: "windows-keys", Value: other + "\n" + expired + "\nnot json"},
		gcetest.MetadataItem{Key: "startup-script", Value: "echo hi"})
	g := newWCGenerator(t, srv, 10*time.Second)
	start := time.Now()
	wc, err := g.Generate(context.Background(), app.WindowsCredentialRequest{Instance: wcRef, Username: "carol", Email: "carol@example.com"})
	if err != nil {
		t.Fatalf("Generate = %v", err)
	}
	u, ok := srv.WindowsUser(wcProject, wcZone, wcVM, "carol")
	if !ok || string(wc.Password) != u.Password || !u.Admin || wc.Username != "carol" || wc.Instance != wcRef {
		t.Errorf("Generate() = %v; the agent created %v (ok %v): want the same password, an administrator", wc, u, ok)
	}
	t.Logf("generated in %v", time.Since(start))

	items, _, err := srv.Metadata(wcProject, wcZone, wcVM)
	if err != nil {
		t.Fatal(err)
	}
	var keys, script string
	for _, it := range items {
		switch it.Key {
		case "windows-keys":
			keys = it.Value
		case "startup-script":
			script = it.Value
		}
	}
	if script != "echo hi" {
		t.Errorf("startup-script = %q; other metadata must be kept", script)
	}
	lines := strings.Split(keys, "\n")
	if len(lines) != 3 || lines[0] != other || lines[1] != "not json" {
		t.Fatalf("windows-keys = %q; want bob's entry and the unparseable line kept, the expired one dropped, ours appended", lines)
	}
	var ours map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &ours); err != nil {
		t.Fatal(err)
	}
	exp, err := time.Parse(time.RFC3339, fmt.Sprint(ours["expireOn"]))
	if err != nil || exp.Before(time.Now().Add(4*time.Minute)) || exp.After(time.Now().Add(6*time.Minute)) {
		t.Errorf("expireOn = %v, %v; want about now+5min", ours["expireOn"], err)
	}
	for k, want := range map[string]any{"userName": "carol", "email": "carol@example.com", "exponent": "AQAB",
		"addToAdministrators": true, "hashFunction": "sha256"} {
		if ours[k] != want {
			t.Errorf("windows-keys entry %s = %v, want %v", k, ours[k], want)
		}
	}
	if m, _ := ours["modulus"].(string); len(m) != 344 { // base64 of 256 bytes: RSA-2048
		t.Errorf("modulus is %d base64 characters, want 344 (RSA-2048)", len(m))
	}
	if n := countFakeRequests(srv, "POST", "/setMetadata"); n != 1 {
		t.Errorf("%d setMetadata calls, want 1", n)
	}
	var polls int
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/serialPort") {
			polls++
			if r.Query["port"][0] != "4" {
				t.Errorf("serial port read of port %s, want 4", r.Query["port"][0])
			}
			if polls == 1 && r.Query["start"][0] != "0" {
				t.Errorf("first serial read starts at %s, want 0", r.Query["start"][0])
			}
		}
	}
	if polls == 0 {
		t.Error("no serial port reads")
	}

	// A second request for the same user resets the password.
	wc2, err := g.Generate(context.Background(), app.WindowsCredentialRequest{Instance: wcRef, Username: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	if wc2.Password == wc.Password {
		t.Error("second Generate returned the same password")
	}
	if u, _ := srv.WindowsUser(wcProject, wcZone, wcVM, "carol"); string(wc2.Password) != u.Password {
		t.Error("second Generate's password is not the account's")
	}
}

// conflictInjector is an http.RoundTripper that, before forwarding a
// setMetadata call, changes the VM's metadata through another client: the
// write then carries a stale fingerprint, as when another admin saves at
// the same moment.
type conflictInjector struct {
	base  http.RoundTripper
	other *compute.Service
	times int // how many setMetadata calls to sabotage
	n     atomic.Int32
}

func (c *conflictInjector) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/setMetadata") && int(c.n.Add(1)) <= c.times {
		in, err := c.other.Instances.Get(wcProject, wcZone, wcVM).Context(r.Context()).Do()
		if err != nil {
			return nil, err
		}
		v := fmt.Sprintf("concurrent-%d", c.n.Load())
		in.Metadata.Items = append(in.Metadata.Items, &compute.MetadataItems{Key: fmt.Sprintf("other-writer-%d", c.n.Load()), Value: &v})
		if _, err := c.other.Instances.SetMetadata(wcProject, wcZone, wcVM, in.Metadata).Context(r.Context()).Do(); err != nil {
			return nil, err
		}
	}
	return c.base.RoundTrip(r)
}

func wcHookedGenerator(t *testing.T, srv *gcetest.Server, times int) *gce.WindowsCredentialGenerator {
	t.Helper()
	other, err := compute.NewService(context.Background(), srv.ComputeOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &conflictInjector{base: srv.HTTPClient().Transport, other: other, times: times}}
	return newWCGenerator(t, srv, 10*time.Second, hc)
}

func TestWindowsCredentialsFingerprintConflict(t *testing.T) {
	srv := wcFake(t, gcetest.AgentReply)
	g := wcHookedGenerator(t, srv, 1)
	wc, err := g.Generate(context.Background(), app.WindowsCredentialRequest{Instance: wcRef, Username: "carol"})
	if err != nil {
		t.Fatalf("Generate with one conflict = %v", err)
	}
	if u, _ := srv.WindowsUser(wcProject, wcZone, wcVM, "carol"); string(wc.Password) != u.Password {
		t.Error("password does not match the account's")
	}
	// Two setMetadata of ours (the first got 412) plus the injected one.
	if n := countFakeRequests(srv, "POST", "/setMetadata"); n != 3 {
		t.Errorf("%d setMetadata calls, want 3 (injected, 412, retry)", n)
	}
	items, _, _ := srv.Metadata(wcProject, wcZone, wcVM)
	var haveOther, haveKeys bool
	for _, it := range items {
		haveOther = haveOther || it.Key == "other-writer-1"
		haveKeys = haveKeys || it.Key == "windows-keys"
	}
	if !haveOther || !haveKeys {
		t.Errorf("metadata = %v; want both the concurrent writer's item and windows-keys", items)
	}
}

func TestWindowsCredentialsPersistentConflict(t *testing.T) {
	srv := wcFake(t, gcetest.AgentReply)
	g := wcHookedGenerator(t, srv, 100)
	_, err := g.Generate(context.Background(), app.WindowsCredentialRequest{Instance: wcRef, Username: "carol"})
	var ue *app.UserError
	if !errors.Is(err, gce.ErrMetadataConflict) || !errors.As(err, &ue) || !strings.Contains(ue.Fix, "Try again") {
		t.Fatalf("Generate with constant conflicts = %v, want a *UserError wrapping ErrMetadataConflict", err)
	}
	if n := countFakeRequests(srv, "POST", "/setMetadata"); n != 12 {
		t.Errorf("%d setMetadata calls, want 12 (6 attempts, each after an injected write)", n)
	}
}

func TestWindowsCredentialsAgentTimeout(t *testing.T) {
	srv := wcFake(t, gcetest.AgentSilent)
	g := newWCGenerator(t, srv, 300*time.Millisecond)
	start := time.Now()
	_, err := g.Generate(context.Background(), app.WindowsCredentialRequest{Instance: wcRef, Username: "carol"})
	var ue *app.UserError
	if !errors.Is(err, app.ErrAgentTimeout) || !errors.As(err, &ue) {
		t.Fatalf("Generate(silent agent) = %v, want a *UserError wrapping ErrAgentTimeout", err)
	}
	if !strings.Contains(ue.Why, "did not answer within 300ms") || !strings.Contains(ue.Fix, "disable-account-manager") {
		t.Errorf("timeout error = {Why: %q, Fix: %q}; want the wait and the agent checklist", ue.Why, ue.Fix)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Generate took %v with a 300ms timeout", d)
	}

	// The caller's own cancel is not reported as an agent timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	g = newWCGenerator(t, srv, 10*time.Second)
	if _, err := g.Generate(ctx, app.WindowsCredentialRequest{Instance: wcRef, Username: "carol"}); errors.Is(err, app.ErrAgentTimeout) || err == nil {
		t.Errorf("Generate(ctx cancelled) = %v, want a cancellation, not ErrAgentTimeout", err)
	}
}

func TestWindowsCredentialsAgentError(t *testing.T) {
	srv := wcFake(t, gcetest.AgentFail)
	g := newWCGenerator(t, srv, 10*time.Second)
	_, err := g.Generate(context.Background(), app.WindowsCredentialRequest{Instance: wcRef, Username: "carol"})
	var ae *app.AgentError
	var ue *app.UserError
	if !errors.Is(err, app.ErrAgentFailed) || !errors.As(err, &ae) || !errors.As(err, &ue) {
		t.Fatalf("Generate(failing agent) = %v, want *UserError with *AgentError", err)
	}
	if !strings.Contains(ae.Message, "access is denied") || !strings.Contains(ue.Why, ae.Message) {
		t.Errorf("agent error = %q / Why %q; want the agent's message shown", ae.Message, ue.Why)
	}
}

func TestWindowsCredentialsRefused(t *testing.T) {
	tests := []struct {
		name     string
		meta     []gcetest.MetadataItem
		instance string
		user     string
		want     error
		wantWhy  string
	}{
		{"empty username", nil, wcVM, "", app.ErrInvalidUsername, "empty"},
		{"long username", nil, wcVM, "abcdefghijklmnopqrstu", app.ErrInvalidUsername, "more than 20"},
		{"instance name", nil, wcVM, "DC-01", app.ErrInvalidUsername, "VM's own name"},
		{"bad character", nil, wcVM, `a\b`, app.ErrInvalidUsername, "does not allow"},
		{"dots only", nil, wcVM, "...", app.ErrInvalidUsername, "only dots"},
		{"account manager disabled", []gcetest.MetadataItem{{Key: "disable-account-manager", Value: "TRUE"}}, wcVM, "carol", app.ErrAgentDisabled, "disable-account-manager=true"},
		{"stopped VM", nil, "print-01", "carol", nil, "TERMINATED"},
		{"Linux VM", nil, "jump-linux-01", "carol", nil, "does not run Windows"},
		{"missing VM", nil, "nope", "carol", app.ErrInstanceNotFound, "does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := wcFake(t, gcetest.AgentReply, tc.meta...)
			g := newWCGenerator(t, srv, 10*time.Second)
			ref := wcRef
			ref.Name = tc.instance
			_, err := g.Generate(context.Background(), app.WindowsCredentialRequest{Instance: ref, Username: tc.user})
			var ue *app.UserError
			if !errors.As(err, &ue) || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(ue.Why, tc.wantWhy) {
				t.Fatalf("Generate(%s, %q) = %v, want a *UserError (%v) saying %q", tc.instance, tc.user, err, tc.want, tc.wantWhy)
			}
			if n := countFakeRequests(srv, "POST", "/setMetadata"); n != 0 {
				t.Errorf("%d setMetadata calls; a refused request must publish nothing", n)
			}
		})
	}
}

func TestWindowsCredentialsPermissionDenied(t *testing.T) {
	srv, err := gcetest.NewServer(gcetest.Config{Projects: []gcetest.Project{{ID: wcProject,
		Denied:    []string{"compute.instances.setMetadata"},
		Instances: []gcetest.Instance{{Name: wcVM, Zone: wcZone, OS: gcetest.Windows}}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	g := newWCGenerator(t, srv, 10*time.Second)
	_, err = g.Generate(context.Background(), app.WindowsCredentialRequest{Instance: wcRef, Username: "carol"})
	var ue *app.UserError
	if !errors.Is(err, app.ErrPermissionDenied) || !errors.As(err, &ue) || !strings.Contains(ue.Fix, "Compute Instance Admin") || !strings.Contains(ue.Fix, "Service Account User") {
		t.Errorf("Generate(no setMetadata) = %v, want ErrPermissionDenied naming both roles", err)
	}
}

func TestWindowsCredentialsRedacted(t *testing.T) {
	wc := app.WindowsCredentials{Instance: wcRef, Username: "carol", Password: "Sup3r-Secret!"}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("generated", slog.Any("creds", wc))
	out := b.String() + fmt.Sprintf("%v %+v", wc, wc)
	if strings.Contains(out, "Sup3r-Secret!") {
		t.Errorf("password leaked: %s", out)
	}
	if !strings.Contains(out, "REDACTED") {
		t.Errorf("output %s does not say REDACTED", out)
	}
}
