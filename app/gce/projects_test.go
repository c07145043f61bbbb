package gce_test

import (
	"context"
	"slices"
	"testing"

	"iapdesk/app/gce"
	"iapdesk/app/gcetest"
)

func TestSearchProjects(t *testing.T) {
	srv, err := gcetest.NewServer(gcetest.Config{PageSize: 2, Projects: []gcetest.Project{
		{ID: "shop-prod", Name: "Shop Production"},
		{ID: "shop-dev", Name: "Shop Dev"},
		{ID: "shop-old", Name: "Shop Old", State: "DELETE_REQUESTED"},
		{ID: "billing", Name: "Shop Billing"},
		{ID: "hr-tools", Name: "HR"},
		{ID: "acme-legacy-erp", Name: "Acme Legacy ERP"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rm, err := gce.NewResourceManager(context.Background(), gce.ResourceManagerConfig{API: fakeAPI(srv)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query         string
		max           int
		want          []string
		wantTruncated bool
	}{
		{"shop", 10, []string{"billing", "shop-dev", "shop-prod"}, false},  // display name or ID; not the deleted one
		{`SHOP"`, 10, []string{"billing", "shop-dev", "shop-prod"}, false}, // quotes dropped, case ignored
		{"shop-p", 10, []string{"shop-prod"}, false},
		{"legacy", 10, []string{"acme-legacy-erp"}, false}, // anywhere in the name, not just its start
		{"ERP", 10, []string{"acme-legacy-erp"}, false},
		{"legacy acme", 10, []string{"acme-legacy-erp"}, false}, // every word, in any order
		{"illing", 10, []string{"billing"}, false},              // anywhere in the ID
		{"", 3, []string{"acme-legacy-erp", "billing", "hr-tools"}, true},
		{"nothing", 10, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got, err := rm.SearchProjects(context.Background(), tc.query, tc.max)
			if err != nil {
				t.Fatalf("SearchProjects(%q): %v", tc.query, err)
			}
			var ids []string
			for _, p := range got.Projects {
				ids = append(ids, p.ID)
			}
			if !slices.Equal(ids, tc.want) || got.Truncated != tc.wantTruncated {
				t.Errorf("SearchProjects(%q, %d) = %v truncated %v, want %v truncated %v", tc.query, tc.max, ids, got.Truncated, tc.want, tc.wantTruncated)
			}
		})
	}
}
