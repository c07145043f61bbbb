package gcetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"iapdesk/app/gcetest"
)

func linuxVMs(zone string, n int) []gcetest.Instance {
	var out []gcetest.Instance
	for i := range n {
		out = append(out, gcetest.Instance{Name: fmt.Sprintf("vm-%02d", i), Zone: zone})
	}
	return out
}

func TestAggregatedListPagination(t *testing.T) {
	insts := append(linuxVMs("us-central1-a", 13), linuxVMs("europe-west1-b", 10)...)
	srv := newServer(t, gcetest.Config{
		PageSize: 5,
		Projects: []gcetest.Project{{ID: "paged-project", Zones: []string{"asia-east1-a"}, Instances: insts}},
	})
	svc := computeClient(t, srv)
	var got []string
	pages := 0
	err := svc.Instances.AggregatedList("paged-project").MaxResults(500).Pages(context.Background(),
		func(l *compute.InstanceAggregatedList) error {
			pages++
			n := len(names(l))
			if n > 5 {
				t.Errorf("page %d has %d instances, want at most the server's page size 5", pages, n)
			}
			// Every zone of the project appears on every page, with instances
			// or a NO_RESULTS_ON_PAGE warning, as the real API does.
			for _, z := range []string{"zones/us-central1-a", "zones/europe-west1-b", "zones/asia-east1-a"} {
				sl, ok := l.Items[z]
				if !ok {
					t.Errorf("page %d: scope %s missing", pages, z)
				}
				if len(sl.Instances) == 0 && (sl.Warning == nil || sl.Warning.Code != "NO_RESULTS_ON_PAGE") {
					t.Errorf("page %d: empty scope %s has warning %+v, want NO_RESULTS_ON_PAGE", pages, z, sl.Warning)
				}
			}
			for _, sl := range l.Items {
				for _, in := range sl.Instances {
					got = append(got, in.Zone[strings.LastIndexByte(in.Zone, '/')+1:]+"/"+in.Name)
				}
			}
			return nil
		})
	if err != nil {
		t.Fatalf("AggregatedList: %v", err)
	}
	if want := 5; pages != want { // 23 instances / 5 per page
		t.Errorf("AggregatedList took %d pages, want %d", pages, want)
	}
	var want []string
	for _, in := range insts {
		want = append(want, in.Zone+"/"+in.Name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("AggregatedList over all pages = %v, want each instance once: %v", got, want)
	}
	var tokens int
	for _, r := range srv.Requests() {
		if r.Query["pageToken"] != nil {
			tokens++
		}
	}
	if tokens != pages-1 {
		t.Errorf("client sent %d page tokens, want %d", tokens, pages-1)
	}
}

func TestAggregatedListBadPageToken(t *testing.T) {
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{{ID: "token-project"}}})
	_, err := computeClient(t, srv).Instances.AggregatedList("token-project").PageToken("bogus!").Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusBadRequest {
		t.Fatalf("AggregatedList(pageToken=bogus) error = %v, want a googleapi 400", err)
	}
}

func TestAggregatedListFields(t *testing.T) {
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{{ID: "fields-project", Instances: []gcetest.Instance{
		{Name: "win-1", Zone: "us-central1-a", OS: gcetest.Windows, Labels: map[string]string{"env": "prod"}},
	}}}})
	svc := computeClient(t, srv)
	l, err := svc.Instances.AggregatedList("fields-project").
		Fields("nextPageToken,items/*/instances(name,zone,disks(guestOsFeatures))").Do()
	if err != nil {
		t.Fatalf("AggregatedList: %v", err)
	}
	in := l.Items["zones/us-central1-a"].Instances
	if len(in) != 1 {
		t.Fatalf("got %d instances, want 1", len(in))
	}
	got := in[0]
	if got.Name != "win-1" || !strings.HasSuffix(got.Zone, "/zones/us-central1-a") {
		t.Errorf("selected fields = name %q zone %q, want win-1 and a zone URL", got.Name, got.Zone)
	}
	if got.Id != 0 || got.Labels != nil || got.MachineType != "" || got.NetworkInterfaces != nil {
		t.Errorf("unselected fields present: id=%d labels=%v machineType=%q nics=%v", got.Id, got.Labels, got.MachineType, got.NetworkInterfaces)
	}
	if len(got.Disks) != 1 || len(got.Disks[0].GuestOsFeatures) == 0 || got.Disks[0].Licenses != nil {
		t.Errorf("disks = %+v, want guestOsFeatures only", got.Disks)
	}
	if l.Kind != "" || l.SelfLink != "" {
		t.Errorf("top-level kind %q selfLink %q present though not selected", l.Kind, l.SelfLink)
	}
	// Without fields, the same call returns the whole resource.
	full, err := svc.Instances.AggregatedList("fields-project").Do()
	if err != nil {
		t.Fatalf("AggregatedList: %v", err)
	}
	f := full.Items["zones/us-central1-a"].Instances[0]
	if f.Id == 0 || f.Labels["env"] != "prod" || !strings.HasPrefix(f.SelfLink, "https://www.googleapis.com/compute/v1/projects/fields-project/") {
		t.Errorf("full instance = id %d labels %v selfLink %q, want all fields", f.Id, f.Labels, f.SelfLink)
	}
	reqs := srv.Requests()
	if got := reqs[0].Query["fields"]; len(got) != 1 || !strings.Contains(got[0], "items/*/instances") {
		t.Errorf("recorded fields = %q, want the mask the client sent", got)
	}
}

func TestAggregatedListFilter(t *testing.T) {
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{{ID: "filter-project", Instances: []gcetest.Instance{
		{Name: "win-a", Zone: "us-central1-a", Labels: map[string]string{"env": "prod"}},
		{Name: "win-b", Zone: "us-central1-b", Status: "TERMINATED", Labels: map[string]string{"env": "dev"}},
		{Name: "lin-a", Zone: "us-central1-a", MachineType: "n2-standard-4"},
	}}}})
	svc := computeClient(t, srv)
	tests := []struct {
		filter string
		want   []string
	}{
		{"", []string{"lin-a", "win-a", "win-b"}},
		{"status = RUNNING", []string{"lin-a", "win-a"}},
		{`status != "RUNNING"`, []string{"win-b"}},
		{`name = "win-a"`, []string{"win-a"}},
		{`name = "win-*"`, []string{"win-a", "win-b"}},
		{"name eq win-.*", []string{"win-a", "win-b"}},
		{"labels.env = prod", []string{"win-a"}},
		{"labels.env:*", []string{"win-a", "win-b"}},
		{"(status = RUNNING) (name = win-*)", []string{"win-a"}},
		{"(name = lin-a) OR (labels.env = dev)", []string{"lin-a", "win-b"}},
		{"NOT name = win-*", []string{"lin-a"}},
		{"zone = us-central1-b", []string{"win-b"}},
		{"machineType = n2-standard-4", []string{"lin-a"}},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			l, err := svc.Instances.AggregatedList("filter-project").Filter(tc.filter).Do()
			if err != nil {
				t.Fatalf("AggregatedList(filter=%q): %v", tc.filter, err)
			}
			got := names(l)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("AggregatedList(filter=%q) = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
	for _, bad := range []string{"status =", "bogus = 1", "(name = a", `name = "open`} {
		_, err := svc.Instances.AggregatedList("filter-project").Filter(bad).Do()
		var gerr *googleapi.Error
		if !errors.As(err, &gerr) || gerr.Code != http.StatusBadRequest {
			t.Errorf("AggregatedList(filter=%q) error = %v, want a googleapi 400", bad, err)
		}
	}
}

func TestAggregatedListUnreachable(t *testing.T) {
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{{ID: "outage-project",
		Unreachable: []string{"us-east1-b"},
		Instances:   append(linuxVMs("us-central1-a", 2), linuxVMs("us-east1-b", 2)...),
	}}})
	svc := computeClient(t, srv)
	l, err := svc.Instances.AggregatedList("outage-project").Do(googleapi.QueryParameter("returnPartialSuccess", "true"))
	if err != nil {
		t.Fatalf("AggregatedList: %v", err)
	}
	if got := len(names(l)); got != 2 {
		t.Errorf("AggregatedList returned %d instances, want the 2 in the reachable zone", got)
	}
	if !slices.Equal(l.Unreachables, []string{"zones/us-east1-b"}) {
		t.Errorf("Unreachables = %v, want [zones/us-east1-b]", l.Unreachables)
	}
	if w := l.Items["zones/us-east1-b"].Warning; w == nil || w.Code != "UNREACHABLE" {
		t.Errorf("unreachable scope warning = %+v, want UNREACHABLE", w)
	}
	l, err = svc.Instances.AggregatedList("outage-project").Do()
	if err != nil {
		t.Fatalf("AggregatedList: %v", err)
	}
	if l.Unreachables != nil {
		t.Errorf("without returnPartialSuccess Unreachables = %v, want none", l.Unreachables)
	}
}

// TestErrorBodies checks that googleapi.Error parses the fake's error
// bodies the way it parses Google's: code, message, errors[].reason and,
// for a disabled API, the ErrorInfo detail.
func TestErrorBodies(t *testing.T) {
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{
		{ID: "forbidden-project", Failure: gcetest.FailureForbidden},
		{ID: "disabled-project", Number: 4242, Failure: gcetest.FailureServiceDisabled},
		{ID: "deleted-project", Failure: gcetest.FailureNotFound},
		{ID: "denied-project", Denied: []string{"compute.instances.list"}},
	}})
	svc := computeClient(t, srv)
	tests := []struct {
		project    string
		wantCode   int
		wantReason string
		wantMsg    string
	}{
		{"forbidden-project", 403, "forbidden", "Required 'compute.instances.list' permission for 'projects/forbidden-project'"},
		{"disabled-project", 403, "accessNotConfigured", "Compute Engine API has not been used in project 4242"},
		{"deleted-project", 404, "notFound", "The resource 'projects/deleted-project' was not found"},
		{"denied-project", 403, "forbidden", "Required 'compute.instances.list' permission"},
		{"no-such-project", 404, "notFound", "was not found"},
	}
	for _, tc := range tests {
		t.Run(tc.project, func(t *testing.T) {
			_, err := svc.Instances.AggregatedList(tc.project).Do()
			var gerr *googleapi.Error
			if !errors.As(err, &gerr) {
				t.Fatalf("AggregatedList(%s) error = %v, want *googleapi.Error", tc.project, err)
			}
			if gerr.Code != tc.wantCode {
				t.Errorf("Code = %d, want %d", gerr.Code, tc.wantCode)
			}
			if len(gerr.Errors) != 1 || gerr.Errors[0].Reason != tc.wantReason {
				t.Errorf("Errors = %+v, want one with reason %s", gerr.Errors, tc.wantReason)
			}
			if !strings.Contains(gerr.Message, tc.wantMsg) {
				t.Errorf("Message = %q, want it to contain %q", gerr.Message, tc.wantMsg)
			}
		})
	}
	t.Run("service disabled details", func(t *testing.T) {
		_, err := svc.Instances.AggregatedList("disabled-project").Do()
		var gerr *googleapi.Error
		if !errors.As(err, &gerr) {
			t.Fatalf("error = %v, want *googleapi.Error", err)
		}
		var info map[string]any
		for _, d := range gerr.Details {
			if m, ok := d.(map[string]any); ok && m["@type"] == "type.googleapis.com/google.rpc.ErrorInfo" {
				info = m
			}
		}
		if info == nil || info["reason"] != "SERVICE_DISABLED" {
			t.Fatalf("Details = %v, want an ErrorInfo with reason SERVICE_DISABLED", gerr.Details)
		}
		md, _ := info["metadata"].(map[string]any)
		if md["service"] != "compute.googleapis.com" || md["consumer"] != "projects/4242" {
			t.Errorf("ErrorInfo metadata = %v, want service compute.googleapis.com and consumer projects/4242", md)
		}
		if !strings.Contains(gerr.Body, `"status":"PERMISSION_DENIED"`) {
			t.Errorf("Body = %s, want status PERMISSION_DENIED", gerr.Body)
		}
	})
}

func TestGetInstanceAndZones(t *testing.T) {
	srv := newServer(t, gcetest.Config{Projects: []gcetest.Project{{ID: "get-project", Zones: []string{"asia-east1-a"},
		Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a", InternalIP: "10.1.2.3", ExternalIP: "34.1.2.3"}},
	}}})
	svc := computeClient(t, srv)
	in, err := svc.Instances.Get("get-project", "us-central1-a", "vm-1").Do()
	if err != nil {
		t.Fatalf("Instances.Get: %v", err)
	}
	if in.NetworkInterfaces[0].NetworkIP != "10.1.2.3" || in.NetworkInterfaces[0].AccessConfigs[0].NatIP != "34.1.2.3" {
		t.Errorf("nic0 = %+v, want networkIP 10.1.2.3 and natIP 34.1.2.3", in.NetworkInterfaces[0])
	}
	if in.Id == 0 || in.Metadata == nil || in.Metadata.Fingerprint == "" {
		t.Errorf("instance id %d metadata %+v, want an ID and a metadata fingerprint", in.Id, in.Metadata)
	}
	again, err := svc.Instances.Get("get-project", "us-central1-a", "vm-1").Do()
	if err != nil || again.Id != in.Id {
		t.Errorf("second Get id = %d (%v), want the same deterministic ID %d", again.Id, err, in.Id)
	}
	_, err = svc.Instances.Get("get-project", "us-central1-a", "nope").Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != 404 || !strings.Contains(gerr.Message, "projects/get-project/zones/us-central1-a/instances/nope") {
		t.Errorf("Get(nope) error = %v, want 404 naming the resource", err)
	}
	zl, err := svc.Zones.List("get-project").Do()
	if err != nil {
		t.Fatalf("Zones.List: %v", err)
	}
	var zones []string
	for _, z := range zl.Items {
		zones = append(zones, z.Name)
	}
	if want := []string{"asia-east1-a", "us-central1-a"}; !slices.Equal(zones, want) {
		t.Errorf("Zones.List = %v, want %v", zones, want)
	}
	_, err = svc.Instances.GetGuestAttributes("get-project", "us-central1-a", "vm-1").QueryPath("hostkeys/").Do()
	if !errors.As(err, &gerr) || gerr.Code != 404 {
		t.Errorf("GetGuestAttributes error = %v, want 404 (none written)", err)
	}
}

// TestAccessToken: a server with an access token answers nothing, not even
// the test-only authorized-keys endpoint or a metadata write, without it:
// 401 in Google's shape, telling a missing token from a wrong one. Tokens
// CheckToken accepts work too, and the client options carry the token.
func TestAccessToken(t *testing.T) {
	srv := newServer(t, gcetest.Config{AccessToken: "secret-token", CheckToken: func(tok string) bool { return tok == "oauth-token" },
		Projects: []gcetest.Project{{ID: "auth-project", Metadata: []gcetest.MetadataItem{{Key: "ssh-keys", Value: "alice:ssh-ed25519 AAAAsecret"}},
			Instances: []gcetest.Instance{{Name: "vm-1", Zone: "us-central1-a"}}}}})
	if _, err := computeClient(t, srv).Projects.Get("auth-project").Do(); err != nil {
		t.Fatalf("Projects.Get with the client options' token: %v", err)
	}
	const missing, invalid = "Request is missing required authentication credential", "Request had invalid authentication credentials"
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	tests := []struct {
		method, path, auth string
		wantStatus         int
		wantMessage        string // prefix of error.message; "" for a 2xx
	}{
		{"GET", "/compute/v1/projects/auth-project", "", http.StatusUnauthorized, missing},
		{"GET", "/compute/v1/projects/auth-project", "Bearer ", http.StatusUnauthorized, missing},
		{"GET", "/compute/v1/projects/auth-project", "Basic c2VjcmV0LXRva2Vu", http.StatusUnauthorized, missing},
		{"GET", "/compute/v1/projects/auth-project", "Bearer secret-token-not", http.StatusUnauthorized, invalid},
		{"GET", "/compute/v1/projects/auth-project", "Bearer secret-token", http.StatusOK, ""},
		{"GET", "/compute/v1/projects/auth-project", "Bearer oauth-token", http.StatusOK, ""},
		{"POST", "/compute/v1/projects/auth-project/setCommonInstanceMetadata", "", http.StatusUnauthorized, missing},
		{"POST", "/compute/v1/projects/auth-project/setCommonInstanceMetadata", "Bearer guess", http.StatusUnauthorized, invalid},
		{"GET", "/iapdesk-test/authorized-keys?project=auth-project&zone=us-central1-a&instance=vm-1&user=alice", "", http.StatusUnauthorized, missing},
		{"GET", "/iapdesk-test/authorized-keys?project=auth-project&zone=us-central1-a&instance=vm-1&user=alice", "Bearer secret-token", http.StatusOK, ""},
		{"GET", "/v1/projects", "", http.StatusUnauthorized, missing},
		{"POST", "/v1/users/alice@example.com:importSshPublicKey", "", http.StatusUnauthorized, missing},
		{"GET", "/no/such/path", "", http.StatusUnauthorized, missing},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path+" "+tc.auth, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(`{"items":[{"key":"ssh-keys","value":"mallory:ssh-ed25519 AAAA"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct {
					Code    int
					Message string
					Status  string
				}
			}
			raw, _ := io.ReadAll(resp.Body)
			_ = json.Unmarshal(raw, &body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("%s %s (Authorization %q) = %d %s, want %d", tc.method, tc.path, tc.auth, resp.StatusCode, raw, tc.wantStatus)
			}
			if tc.wantMessage == "" {
				return
			}
			if e := body.Error; e.Code != 401 || e.Status != "UNAUTHENTICATED" || !strings.HasPrefix(e.Message, tc.wantMessage) ||
				!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("%s %s (Authorization %q) = %s (WWW-Authenticate %q), want Google's 401 %q", tc.method, tc.path, tc.auth, raw, resp.Header.Get("WWW-Authenticate"), tc.wantMessage)
			}
			if strings.Contains(string(raw), "AAAAsecret") || strings.Contains(string(raw), "auth-project") {
				t.Errorf("%s %s (Authorization %q) answered data: %s", tc.method, tc.path, tc.auth, raw)
			}
		})
	}
	got, err := srv.AuthorizedKeys("auth-project", "us-central1-a", "vm-1", "mallory")
	if err != nil || len(got) != 0 {
		t.Errorf("AuthorizedKeys(mallory) after unauthenticated writes = %q, %v; want none", got, err)
	}
}
