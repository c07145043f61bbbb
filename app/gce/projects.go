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

// SearchProjects returns up to max ACTIVE projects whose ID or display name
// starts with query (case-insensitively; all projects for an empty query).
// Characters that would change the filter's meaning are dropped from the
// query. max <= 0 means 100.
func (r *ResourceManager) SearchProjects(ctx context.Context, query string, max int) (app.ProjectSearch, error) {
	if max <= 0 {
		max = 100
	}
	q := strings.ToLower(cleanQuery(query))
	call := r.svc.Projects.List().PageSize(int64(max)).Context(ctx)
	if q != "" {
		call = call.Filter(fmt.Sprintf(`name:"%s*" OR id:"%s*"`, q, q))
	}
	var out app.ProjectSearch
	for {
		resp, err := call.Do()
		if err != nil {
			ue := app.AsUserError(apiError(err))
			return app.ProjectSearch{}, &app.UserError{What: "Cannot search projects", Why: ue.Why, Fix: ue.Fix, Err: ue.Err}
		}
		for _, p := range resp.Projects {
			if p.LifecycleState != "ACTIVE" {
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
		if len(out.Projects) == max {
			out.Truncated = true
			return out, nil
		}
		call = call.PageToken(resp.NextPageToken)
	}
}

// cleanQuery strips the characters that would break a Resource Manager
// filter out of the user's search text, as IAP Desktop does.
func cleanQuery(q string) string {
	return strings.TrimSpace(strings.NewReplacer(":", "", `"`, "", "'", "", `\`, "").Replace(q))
}
