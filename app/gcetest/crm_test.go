package gcetest_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	crm "google.golang.org/api/cloudresourcemanager/v1"
	"google.golang.org/api/googleapi"

	"iapdesk/app/gcetest"
)

func TestResourceManager(t *testing.T) {
	srv := newServer(t, gcetest.Config{PageSize: 2, Projects: []gcetest.Project{
		{ID: "alpha-prod", Name: "Alpha Production", Parent: "organizations/555", Labels: map[string]string{"env": "prod"}},
		{ID: "alpha-dev", Name: "Alpha Dev"},
		{ID: "beta-prod", Name: "Beta Production"},
		{ID: "gamma-old", Name: "Gamma", State: "DELETE_REQUESTED"},
		{ID: "delta", Name: "Delta", Denied: []string{"compute.projects.setCommonInstanceMetadata"}},
	}})
	svc, err := crm.NewService(context.Background(), srv.ResourceManagerOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		filter string
		want   []string
	}{
		{"", []string{"alpha-dev", "alpha-prod", "beta-prod", "delta", "gamma-old"}},
		{`id:"alpha-prod"`, []string{"alpha-prod"}},
		{`name:"alpha*" OR id:"alpha*"`, []string{"alpha-dev", "alpha-prod"}},
		{`name:"beta*" OR id:"beta*"`, []string{"beta-prod"}},
		{"lifecycleState:ACTIVE", []string{"alpha-dev", "alpha-prod", "beta-prod", "delta"}},
		{"labels.env:prod", []string{"alpha-prod"}},
		{"parent.id:555 parent.type:organization", []string{"alpha-prod"}},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			var got []string
			pages := 0
			err := svc.Projects.List().Filter(tc.filter).Pages(context.Background(), func(r *crm.ListProjectsResponse) error {
				pages++
				for _, p := range r.Projects {
					got = append(got, p.ProjectId)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("List(%q): %v", tc.filter, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("List(%q) = %v, want %v", tc.filter, got, tc.want)
			}
			if want := (len(tc.want) + 1) / 2; len(tc.want) > 0 && pages != want {
				t.Errorf("List(%q) took %d pages, want %d (page size 2)", tc.filter, pages, want)
			}
		})
	}
	p, err := svc.Projects.Get("alpha-prod").Do()
	if err != nil || p.Name != "Alpha Production" || p.ProjectNumber == 0 || p.LifecycleState != "ACTIVE" || p.Parent == nil || p.Parent.Type != "organization" {
		t.Errorf("Get(alpha-prod) = %+v, %v", p, err)
	}
	_, err = svc.Projects.Get("nope").Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusForbidden {
		t.Errorf("Get(unknown) error = %v, want 403 (existence is not revealed)", err)
	}
	perms := []string{"compute.projects.setCommonInstanceMetadata", "compute.instances.setMetadata"}
	r, err := svc.Projects.TestIamPermissions("delta", &crm.TestIamPermissionsRequest{Permissions: perms}).Do()
	if err != nil || !slices.Equal(r.Permissions, perms[1:]) {
		t.Errorf("TestIamPermissions(delta) = %v, %v; want %v", r, err, perms[1:])
	}
	if _, err := svc.Projects.List().Filter("bogus:1").Do(); !errors.As(err, &gerr) || gerr.Code != http.StatusBadRequest {
		t.Errorf("List(bad filter) error = %v, want 400", err)
	}
}
