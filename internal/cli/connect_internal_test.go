package cli

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"iapdesk/app"
	"iapdesk/platform"
)

func TestReadPassword(t *testing.T) {
	tests := []struct {
		in   string
		want platform.Password
	}{
		{"s3cret\n", "s3cret"},
		{"s3cret\r\nnext line", "s3cret"},
		{"no newline", "no newline"},
		{"", ""},
		{"with spaces  \n", "with spaces  "},
	}
	for _, tc := range tests {
		// One byte at a time: the rest of stdin stays unread.
		got, err := readPassword(iotest.OneByteReader(strings.NewReader(tc.in)))
		if err != nil || got != tc.want {
			t.Errorf("readPassword(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := readPassword(strings.NewReader(strings.Repeat("x", 5000))); err == nil {
		t.Error("readPassword(5000 bytes) = nil error, want the line refused")
	}
}

// TestTerminalPrompterNeedsUser: without a user name (no --user, none
// saved) `iapdesk rdp` says to pass --user instead of asking for a
// password nobody can use.
func TestTerminalPrompterNeedsUser(t *testing.T) {
	reason := &app.UserError{What: "Credentials needed for win-1", Err: app.ErrCredentialsRequired}
	_, _, err := terminalPrompter{}.RDPCredentials(context.Background(), app.CredentialPrompt{
		Instance: app.Instance{InstanceRef: app.InstanceRef{Name: "win-1"}}, Reason: reason})
	var ue *app.UserError
	if !errors.As(err, &ue) || !errors.Is(err, app.ErrCredentialsRequired) || !strings.Contains(ue.Fix, "--user") {
		t.Errorf("RDPCredentials(no user) = %v, want a UserError naming --user", err)
	}
}

func TestLogLevel(t *testing.T) {
	tests := []struct {
		verbosity string
		verbose   bool
		want      string
	}{
		{"warning", false, "WARN"},
		{"warning", true, "INFO"},
		{"debug", true, "DEBUG"},
		{"error", false, "ERROR"},
		{"none", false, "ERROR"},
	}
	for _, tc := range tests {
		got, err := logLevel(tc.verbosity, tc.verbose)
		if err != nil || got.String() != tc.want {
			t.Errorf("logLevel(%q, %v) = %v, %v, want %s", tc.verbosity, tc.verbose, got, err, tc.want)
		}
	}
	if _, err := logLevel("loud", false); err == nil {
		t.Error(`logLevel("loud") = nil error, want one`)
	}
}
