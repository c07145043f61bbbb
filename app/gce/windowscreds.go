package gce

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"time"

	compute "google.golang.org/api/compute/v1"

	"iapdesk/app"
	"iapdesk/platform"
)

// Windows credential defaults (gce-credentials.md §1).
const (
	// DefaultAgentTimeout is how long Generate waits for the agent: gcloud's
	// 30 s is tight on a first boot.
	DefaultAgentTimeout = 60 * time.Second
	// DefaultAgentPoll is the pause between empty serial port reads.
	DefaultAgentPoll = 500 * time.Millisecond
)

// WindowsCredentialsConfig configures a WindowsCredentialGenerator.
type WindowsCredentialsConfig struct {
	// API is where Compute Engine is and the credentials to call it with.
	API API
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
	svc, err := compute.NewService(ctx, cfg.API.options(cfg.API.ComputeURL)...)
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
func (g *WindowsCredentialGenerator) Generate(ctx context.Context, req app.WindowsCredentialRequest) (app.WindowsCredentials, error) {
	ref := req.Instance
	what := fmt.Sprintf("Cannot generate Windows credentials for %s", ref.Name)
	if err := app.ValidateWindowsUsername(req.Username, ref.Name); err != nil {
		return app.WindowsCredentials{}, err
	}
	if err := g.precheck(ctx, ref, what); err != nil {
		return app.WindowsCredentials{}, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return app.WindowsCredentials{}, fmt.Errorf("generate RSA key: %w", err)
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
		return app.WindowsCredentials{}, metadataWriteError(what, ref, err)
	}
	g.log.Debug("windows key published", slog.String("instance", ref.String()), slog.String("username", req.Username))

	pctx, cancel := context.WithTimeoutCause(ctx, g.timeout, app.ErrAgentTimeout)
	defer cancel()
	reply, err := g.pollAgent(pctx, ref, entry.Modulus)
	if err != nil {
		if errors.Is(context.Cause(pctx), app.ErrAgentTimeout) && ctx.Err() == nil {
			return app.WindowsCredentials{}, &app.UserError{What: what,
				Why: fmt.Sprintf("the Compute Engine guest agent did not answer within %v", g.timeout),
				Fix: "Check that the VM has finished booting, that its guest agent (GCEGuestAgent service) is running " +
					"and that account management is not disabled (metadata disable-account-manager); then retry. " +
					"On a VM's first boot this can take a few minutes.",
				Err: fmt.Errorf("%w: %w", app.ErrAgentTimeout, err)}
		}
		return app.WindowsCredentials{}, app.ActionError("read the serial port output of", ref, err)
	}
	if reply.ErrorMessage != "" {
		return app.WindowsCredentials{}, &app.UserError{What: what,
			Why: "the VM's guest agent reported: " + reply.ErrorMessage,
			Fix: "Check the username (a local account, not a domain account) and the agent's messages on serial port 1, then retry.",
			Err: &app.AgentError{Message: reply.ErrorMessage}}
	}
	pw, err := decryptPassword(key, reply)
	if err != nil {
		return app.WindowsCredentials{}, &app.UserError{What: what, Why: "the guest agent's reply could not be decrypted",
			Fix: "Retry; if it keeps failing, update the VM's guest agent.", Err: err}
	}
	return app.WindowsCredentials{Instance: ref, Username: req.Username, Password: platform.Password(pw)}, nil
}

// precheck refuses what cannot work before a key is published: a VM that
// is not running, not Windows, or has its account manager disabled.
func (g *WindowsCredentialGenerator) precheck(ctx context.Context, ref app.InstanceRef, what string) error {
	in, err := g.svc.Instances.Get(ref.Project, ref.Zone, ref.Name).
		Fields("status,metadata/items,disks(guestOsFeatures,licenses)").Context(ctx).Do()
	if err != nil {
		return app.ActionError("generate Windows credentials for", ref, apiError(err))
	}
	if in.Status != "RUNNING" {
		return &app.UserError{What: what, Why: fmt.Sprintf("the VM is %s", in.Status),
			Fix: "Start the VM, wait until it is RUNNING, then retry."}
	}
	if !isWindows(in) {
		return &app.UserError{What: what, Why: "the VM does not run Windows",
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
		return &app.UserError{What: what,
			Why: "account management is disabled on this VM (metadata disable-account-manager=true), so its guest agent ignores password requests",
			Fix: "Remove disable-account-manager from the VM's (or project's) metadata, or set the password inside the VM.",
			Err: app.ErrAgentDisabled}
	}
	return nil
}
