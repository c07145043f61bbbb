package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

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

// Windows credential defaults (gce-credentials.md §1).
const (
	// DefaultAgentTimeout is how long Generate waits for the agent: gcloud's
	// 30 s is tight on a first boot.
	DefaultAgentTimeout = 60 * time.Second
	// DefaultAgentPoll is the pause between empty serial port reads.
	DefaultAgentPoll = 500 * time.Millisecond
	// maxWindowsUsername is Windows' limit on SAM account names.
	maxWindowsUsername = 20
)

// WindowsCredentialsConfig configures a WindowsCredentialGenerator.
type WindowsCredentialsConfig struct {
	// Options select the Compute Engine endpoint and credentials, e.g.
	// option.WithTokenSource(ts), or a fake's ComputeOptions().
	Options []option.ClientOption
	// Timeout bounds the wait for the agent's reply; 0 means
	// DefaultAgentTimeout.
	Timeout time.Duration
	// PollInterval is the pause between empty serial port reads; 0 means
	// DefaultAgentPoll.
	PollInterval time.Duration
	// RetryDelay is the pause before re-reading metadata after a
	// fingerprint conflict; 0 means 100 ms.
	RetryDelay time.Duration
	// Now is the clock for the key's expiry; nil means time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default(). Passwords are never logged.
	Logger *slog.Logger
}

// WindowsCredentialGenerator creates or resets a local Windows account on a
// VM and returns its new password, through the guest agent: an ephemeral
// RSA-2048 key goes into the VM's windows-keys metadata, the agent answers
// on serial port 4 with the password encrypted to it (RSA-OAEP).
type WindowsCredentialGenerator struct {
	svc      *compute.Service
	meta     metadataEditor
	timeout  time.Duration
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// NewWindowsCredentialGenerator builds a generator. ctx is used only while
// the client looks for credentials.
func NewWindowsCredentialGenerator(ctx context.Context, cfg WindowsCredentialsConfig) (*WindowsCredentialGenerator, error) {
	svc, err := compute.NewService(ctx, cfg.Options...)
	if err != nil {
		return nil, fmt.Errorf("create compute client: %w", err)
	}
	g := &WindowsCredentialGenerator{svc: svc, meta: metadataEditor{svc: svc, retryDelay: cfg.RetryDelay},
		timeout: cfg.Timeout, interval: cfg.PollInterval, now: cfg.Now, log: cfg.Logger}
	if g.timeout <= 0 {
		g.timeout = DefaultAgentTimeout
	}
	if g.interval <= 0 {
		g.interval = DefaultAgentPoll
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	return g, nil
}

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

// Generate creates or resets the account and returns its password
// (gce-credentials.md §1): a fresh RSA-2048 key; a windows-keys entry
// (expiry now+5 min, hashFunction sha256) appended to the VM's metadata the
// way gcloud does, dropping expired entries and keeping other users'; a
// setMetadata with the fingerprint read, re-read and retried on 412 up to
// 6 times; serial port 4 read from 0 until the agent's line for our key
// appears; RSA-OAEP decryption with the hash the agent names.
//
// Errors are *UserError values: ErrInvalidUsername, ErrAgentTimeout,
// ErrAgentFailed (*AgentError), ErrAgentDisabled, ErrMetadataConflict,
// ErrPermissionDenied, ErrInstanceNotFound.
func (g *WindowsCredentialGenerator) Generate(ctx context.Context, req WindowsCredentialRequest) (WindowsCredentials, error) {
	ref := req.Instance
	what := fmt.Sprintf("Cannot generate Windows credentials for %s", ref.Name)
	if err := ValidateWindowsUsername(req.Username, ref.Name); err != nil {
		return WindowsCredentials{}, err
	}
	if err := g.precheck(ctx, ref, what); err != nil {
		return WindowsCredentials{}, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return WindowsCredentials{}, fmt.Errorf("generate RSA key: %w", err)
	}
	email := req.Email
	if email == "" {
		email = req.Username
	}
	entry := newWindowsKeyEntry(&key.PublicKey, req.Username, email, !req.NoAdmin, g.now())
	err = g.meta.editInstance(ctx, ref, func(items []*compute.MetadataItems) ([]*compute.MetadataItems, bool, error) {
		old, _ := metadataGet(items, "windows-keys")
		return metadataPut(items, "windows-keys", appendWindowsKey(old, entry.line(), g.now())), true, nil
	})
	if err != nil {
		return WindowsCredentials{}, metadataWriteError(what, ref, err)
	}
	g.log.Debug("windows key published", slog.String("instance", ref.String()), slog.String("username", req.Username))

	pctx, cancel := context.WithTimeoutCause(ctx, g.timeout, ErrAgentTimeout)
	defer cancel()
	reply, err := g.pollAgent(pctx, ref, entry.Modulus)
	if err != nil {
		if errors.Is(context.Cause(pctx), ErrAgentTimeout) && ctx.Err() == nil {
			return WindowsCredentials{}, &UserError{What: what,
				Why: fmt.Sprintf("the Compute Engine guest agent did not answer within %v", g.timeout),
				Fix: "Check that the VM has finished booting, that its guest agent (GCEGuestAgent service) is running " +
					"and that account management is not disabled (metadata disable-account-manager); then retry. " +
					"On a VM's first boot this can take a few minutes.",
				Err: fmt.Errorf("%w: %w", ErrAgentTimeout, err)}
		}
		return WindowsCredentials{}, ActionError("read the serial port output of", ref, err)
	}
	if reply.ErrorMessage != "" {
		return WindowsCredentials{}, &UserError{What: what,
			Why: "the VM's guest agent reported: " + reply.ErrorMessage,
			Fix: "Check the username (a local account, not a domain account) and the agent's messages on serial port 1, then retry.",
			Err: &AgentError{Message: reply.ErrorMessage}}
	}
	pw, err := decryptPassword(key, reply)
	if err != nil {
		return WindowsCredentials{}, &UserError{What: what, Why: "the guest agent's reply could not be decrypted",
			Fix: "Retry; if it keeps failing, update the VM's guest agent.", Err: err}
	}
	return WindowsCredentials{Instance: ref, Username: req.Username, Password: platform.Password(pw)}, nil
}

// precheck refuses what cannot work before a key is published: a VM that
// is not running, not Windows, or has its account manager disabled.
func (g *WindowsCredentialGenerator) precheck(ctx context.Context, ref InstanceRef, what string) error {
	in, err := g.svc.Instances.Get(ref.Project, ref.Zone, ref.Name).
		Fields("status,metadata/items,disks(guestOsFeatures,licenses)").Context(ctx).Do()
	if err != nil {
		return ActionError("generate Windows credentials for", ref, err)
	}
	if in.Status != "RUNNING" {
		return &UserError{What: what, Why: fmt.Sprintf("the VM is %s", in.Status),
			Fix: "Start the VM, wait until it is RUNNING, then retry."}
	}
	if !isWindows(in) {
		return &UserError{What: what, Why: "the VM does not run Windows",
			Fix: "Windows credentials exist only on Windows VMs; for Linux VMs iapdesk publishes an SSH key instead."}
	}
	var project []*compute.MetadataItems
	p, err := g.svc.Projects.Get(ref.Project).Fields("commonInstanceMetadata/items").Context(ctx).Do()
	if err != nil {
		// Only the project default of the flag is unknown: the agent
		// timeout still explains a disabled account manager.
		g.log.Debug("read project metadata", slog.String("project", ref.Project), slog.Any("error", err))
	} else if p.CommonInstanceMetadata != nil {
		project = p.CommonInstanceMetadata.Items
	}
	var inst []*compute.MetadataItems
	if in.Metadata != nil {
		inst = in.Metadata.Items
	}
	if flagOf(inst, project, "disable-account-manager") {
		return &UserError{What: what,
			Why: "account management is disabled on this VM (metadata disable-account-manager=true), so its guest agent ignores password requests",
			Fix: "Remove disable-account-manager from the VM's (or project's) metadata, or set the password inside the VM.",
			Err: ErrAgentDisabled}
	}
	return nil
}
