package app

import (
	"context"
	"fmt"
	"strings"

	crm "google.golang.org/api/cloudresourcemanager/v1"
	"google.golang.org/api/option"
)

// ProjectSearch is one search result page for the "add project" picker.
type ProjectSearch struct {
	Projects []ProjectInfo // ACTIVE projects, sorted as the API returns them (by ID)
	// Truncated reports that more projects match than were returned; the
	// picker should ask the user to type more.
	Truncated bool
}

// ProjectSearcher finds projects the user can see.
type ProjectSearcher interface {
	SearchProjects(ctx context.Context, query string, max int) (ProjectSearch, error)
}

// ResourceManagerConfig configures a ResourceManager client.
type ResourceManagerConfig struct {
	// Options select the endpoint and credentials, e.g.
	// option.WithTokenSource(ts), or a fake's ResourceManagerOptions().
	Options []option.ClientOption
}

// ResourceManager searches projects with Cloud Resource Manager v1.
type ResourceManager struct {
	svc *crm.Service
}

var _ ProjectSearcher = (*ResourceManager)(nil)

// NewResourceManager builds a ResourceManager client. ctx is used only
// while the underlying client looks for credentials.
func NewResourceManager(ctx context.Context, cfg ResourceManagerConfig) (*ResourceManager, error) {
	svc, err := crm.NewService(ctx, cfg.Options...)
	if err != nil {
		return nil, fmt.Errorf("create resource manager client: %w", err)
	}
	return &ResourceManager{svc: svc}, nil
}

// SearchProjects returns up to max ACTIVE projects whose ID or display name
// starts with query (case-insensitively; all projects for an empty query).
// Characters that would change the filter's meaning are dropped from the
// query. max <= 0 means 100.
func (r *ResourceManager) SearchProjects(ctx context.Context, query string, max int) (ProjectSearch, error) {
	if max <= 0 {
		max = 100
	}
	q := strings.ToLower(cleanQuery(query))
	call := r.svc.Projects.List().PageSize(int64(max)).Context(ctx)
	if q != "" {
		call = call.Filter(fmt.Sprintf(`name:"%s*" OR id:"%s*"`, q, q))
	}
	var out ProjectSearch
	for {
		resp, err := call.Do()
		if err != nil {
			ue := AsUserError(err)
			return ProjectSearch{}, &UserError{What: "Cannot search projects", Why: ue.Why, Fix: ue.Fix, Err: ue.Err}
		}
		for _, p := range resp.Projects {
			if p.LifecycleState != "ACTIVE" {
				continue
			}
			if len(out.Projects) == max {
				out.Truncated = true
				return out, nil
			}
			out.Projects = append(out.Projects, ProjectInfo{ID: p.ProjectId, Name: p.Name})
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
