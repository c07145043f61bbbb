package app

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode"

	"iapdesk/platform"
)

// Sentinel errors of Windows credential generation.
var (
	// ErrInvalidUsername reports a Windows username the agent would refuse.
	ErrInvalidUsername = errors.New("invalid Windows username")
	// ErrAgentTimeout reports that the guest agent did not answer in time.
	ErrAgentTimeout = errors.New("timeout waiting for the Windows guest agent")
	// ErrAgentFailed reports that the agent answered with an error
	// (*AgentError holds its message).
	ErrAgentFailed = errors.New("the Windows guest agent could not set the password")
	// ErrAgentDisabled reports a VM whose account manager is turned off
	// (metadata disable-account-manager=true): the agent will not answer.
	ErrAgentDisabled = errors.New("the Windows guest agent's account manager is disabled")
)

// AgentError is the agent's own errorMessage. It matches ErrAgentFailed.
type AgentError struct {
	Message string
}

// Error returns the agent's message.
func (e *AgentError) Error() string { return "guest agent: " + e.Message }

// Is makes errors.Is(err, ErrAgentFailed) true.
func (e *AgentError) Is(target error) bool { return target == ErrAgentFailed }

// maxWindowsUsername is Windows' limit on SAM account names.
const maxWindowsUsername = 20

// WindowsCredentialRequest says which account to create or reset.
type WindowsCredentialRequest struct {
	Instance InstanceRef
	// Username is the local account (at most 20 characters, not the VM's
	// name). An existing account gets a new password.
	Username string
	// Email is the signed-in account, sent along for the VM's logs; empty
	// sends the username, as IAP Desktop does.
	Email string
	// NoAdmin keeps a new account out of Administrators (honoured by
	// agents from 2020 on); the default adds it, as IAP Desktop does.
	NoAdmin bool
}

// WindowsCredentials are a generated login. Show the password once (with
// Copy), then save it with Profiles.SaveWindowsCredentials if the user
// wants; it prints and logs as REDACTED.
type WindowsCredentials struct {
	Instance InstanceRef
	Username string
	Password platform.Password
}

// LogValue leaves the password out.
func (c WindowsCredentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("instance", c.Instance.String()), slog.String("username", c.Username),
		slog.String("password", "REDACTED"))
}

// ValidateWindowsUsername checks a username for a VM: 1–20 characters, not
// the VM's name (gcloud refuses that), none of "/\[]:;|=,+*?<>@ and no
// control characters, not only dots and spaces. The error is a *UserError
// wrapping ErrInvalidUsername.
func ValidateWindowsUsername(username, instance string) error {
	why := ""
	switch {
	case username == "":
		why = "the username is empty"
	case len([]rune(username)) > maxWindowsUsername:
		why = fmt.Sprintf("%q has more than %d characters, the Windows limit", username, maxWindowsUsername)
	case strings.EqualFold(username, instance):
		why = fmt.Sprintf("%q is the VM's own name, which Windows reserves for the computer account", username)
	case strings.ContainsAny(username, `"/\[]:;|=,+*?<>@`) || strings.IndexFunc(username, unicode.IsControl) >= 0:
		why = fmt.Sprintf(`%q contains a character Windows does not allow in user names ("/\[]:;|=,+*?<>@)`, username)
	case strings.Trim(username, ". ") == "":
		why = fmt.Sprintf("%q has only dots and spaces", username)
	}
	if why == "" {
		return nil
	}
	return &UserError{What: "Cannot use this Windows username", Why: why,
		Fix: "Choose a local account name of at most 20 letters, digits, dots, dashes or underscores, such as your own name.",
		Err: ErrInvalidUsername}
}
