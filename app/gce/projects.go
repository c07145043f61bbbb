package gce

import (
	"context"
	"fmt"
	"strings"

	crm "google.golang.org/api/cloudresourcemanager/v1"

	"iapdesk/app"
)

// ResourceManagerConfig configures a ResourceManager client.
type ResourceManagerConfig struct {
	// API is where Resource Manager is and the credentials to call it
	// with.
	API API
}

// ResourceManager searches projects with Cloud Resource Manager v1.
type ResourceManager struct {
	svc *crm.Service
}

var _ app.ProjectSearcher = (*ResourceManager)(nil)

// NewResourceManager builds a ResourceManager client. ctx is used only
// while the underlying client looks for credentials.
func NewResourceManager(ctx context.Context, cfg ResourceManagerConfig) (*ResourceManager, error) {
	svc, err := crm.NewService(ctx, cfg.API.options(cfg.API.ResourceManagerURL)...)
	if err != nil {
		return nil, fmt.Errorf("create resource manager client: %w", err)
	}
	return &ResourceManager{svc: svc}, nil
}

// searchScan bounds how many projects one search reads: a user who sees
// more has to type more.
const searchScan = 5000

// SearchProjects returns up to max ACTIVE projects whose ID or display name
// contains every word of query, anywhere and case-insensitively ("legacy"
// and "ERP" both find "Acme Legacy ERP"); all projects for an empty query.
// Resource Manager's filter only matches prefixes, so the projects are
// listed and matched here, up to searchScan of them (Truncated when more
// are left). max <= 0 means 100.
func (r *ResourceManager) SearchProjects(ctx context.Context, query string, max int) (app.ProjectSearch, error) {
	if max <= 0 {
		max = 100
	}
	words := strings.Fields(strings.ToLower(cleanQuery(query)))
	call := r.svc.Projects.List().Filter("lifecycleState:ACTIVE").PageSize(int64(min(max, 500))).Context(ctx)
	if len(words) > 0 {
		call = call.PageSize(500)
	}
	var out app.ProjectSearch
	scanned := 0
	for {
		resp, err := call.Do()
		if err != nil {
			ue := app.AsUserError(apiError(err))
			return app.ProjectSearch{}, &app.UserError{What: "Cannot search projects", Why: ue.Why, Fix: ue.Fix, Err: ue.Err}
		}
		for _, p := range resp.Projects {
			scanned++
			if p.LifecycleState != "ACTIVE" || !matchProject(p.ProjectId, p.Name, words) {
				continue
			}
			if len(out.Projects) == max {
				out.Truncated = true
				return out, nil
			}
			out.Projects = append(out.Projects, app.ProjectInfo{ID: p.ProjectId, Name: p.Name})
		}
		if resp.NextPageToken == "" {
			return out, nil
		}
		if len(out.Projects) == max || scanned >= searchScan {
			out.Truncated = true
			return out, nil
		}
		call = call.PageToken(resp.NextPageToken)
	}
}

// matchProject reports whether every word (lower case) is in the project's
// ID or display name.
func matchProject(id, name string, words []string) bool {
	hay := strings.ToLower(id + "\n" + name)
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// cleanQuery strips the characters that would break a Resource Manager
// filter out of the user's search text, as IAP Desktop does.
func cleanQuery(q string) string {
	return strings.TrimSpace(strings.NewReplacer(":", "", `"`, "", "'", "", `\`, "").Replace(q))
}
