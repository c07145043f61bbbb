package gcename

import (
	"strings"
	"testing"
)

// TestNames: one definition of each Compute Engine name, the one every
// caller (iap-rdp links, saved connections, remembered projects, ssh's
// ProxyCommand) checks against.
func TestNames(t *testing.T) {
	tests := []struct {
		in                                         string
		name, projectID, projectNumber, instanceID bool
	}{
		{"us-central1-a", true, true, false, false},
		{"my-project", true, true, false, false},
		{"vm-1", true, false, false, false}, // too short for a project ID
		{"a", true, false, false, false},
		{"example.com:my-project", false, true, false, false},
		{"google.example.co.uk:acme-prod", false, true, false, false},
		{"123456789012", false, false, true, true},
		{"4567890123456789012", false, false, true, true},
		{"45678901234567890123", false, false, false, true}, // 20 digits: an ID, not a project number
		{"0123", false, false, false, false},
		{"My-Project", false, false, false, false},
		{"my-project-", false, false, false, false},
		{"1st-project", false, false, false, false},
		{"__", false, false, false, false},
		{"", false, false, false, false},
		{"vm 1", false, false, false, false},
		{"a." + strings.Repeat("b", 62), false, false, false, false},
		{strings.Repeat("a", 63), true, false, false, false},
		{strings.Repeat("a", 64), false, false, false, false},
		{"my-project-" + strings.Repeat("x", 19), true, true, false, false}, // 30 characters
		{"my-project-" + strings.Repeat("x", 20), true, false, false, false},
		{":my-project", false, false, false, false},
		{"example:my-project", false, false, false, false},
	}
	for _, tc := range tests {
		got := [4]bool{IsName(tc.in), IsProjectID(tc.in), IsProjectNumber(tc.in), IsInstanceID(tc.in)}
		want := [4]bool{tc.name, tc.projectID, tc.projectNumber, tc.instanceID}
		if got != want {
			t.Errorf("IsName, IsProjectID, IsProjectNumber, IsInstanceID(%q) = %v, want %v", tc.in, got, want)
		}
		if IsProject(tc.in) != (tc.projectID || tc.projectNumber) || IsInstance(tc.in) != (tc.name || tc.instanceID) {
			t.Errorf("IsProject, IsInstance(%q) = %v, %v; want them to agree with the above", tc.in, IsProject(tc.in), IsInstance(tc.in))
		}
	}
}
