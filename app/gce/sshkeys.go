package gce

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	compute "google.golang.org/api/compute/v1"
	oslogin "google.golang.org/api/oslogin/v1"

	"iapdesk/app"
	"iapdesk/auth"
)

// SSHPublisherConfig configures an SSHPublisher.
type SSHPublisherConfig struct {
	// API is where Compute Engine and OS Login are and the credentials
	// to call them with.
	API API
	// Validity is how long a published key is valid; 0 means
	// DefaultSSHKeyValidity. A key still valid for more than half of it is
	// not published again.
	Validity time.Duration
	// RetryDelay is the pause after a metadata fingerprint conflict; 0
	// means 100 ms.
	RetryDelay time.Duration
	// Now is the clock for expiries; nil means time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// SSHPublisher makes a VM accept an SSH key: through OS Login when the VM
// has it enabled, else through ssh-keys metadata (gce-credentials.md §2).
type SSHPublisher struct {
	svc      *compute.Service
	oslogin  *oslogin.Service
	meta     metadataEditor
	validity time.Duration
	now      func() time.Time
	log      *slog.Logger
}

var _ app.KeyPublisher = (*SSHPublisher)(nil)

// NewSSHPublisher builds a publisher. ctx is used only while the clients
// look for credentials.
func NewSSHPublisher(ctx context.Context, cfg SSHPublisherConfig) (*SSHPublisher, error) {
	svc, err := compute.NewService(ctx, cfg.API.options(cfg.API.ComputeURL)...)
	if err != nil {
		return nil, fmt.Errorf("create compute client: %w", err)
	}
	ol, err := oslogin.NewService(ctx, cfg.API.options(cfg.API.OSLoginURL)...)
	if err != nil {
		return nil, fmt.Errorf("create os login client: %w", err)
	}
	p := &SSHPublisher{svc: svc, oslogin: ol, meta: metadataEditor{svc: svc, retryDelay: cfg.RetryDelay},
		validity: cfg.Validity, now: cfg.Now, log: cfg.Logger}
	if p.validity <= 0 {
		p.validity = app.DefaultSSHKeyValidity
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	return p, nil
}

// Publish makes ref accept req.Key: with OS Login enabled (enable-oslogin,
// the VM's value winning whenever set) it imports the key into the user's
// OS Login profile and logs in as the profile's primary POSIX account;
// otherwise it adds a managed ssh-keys line to the project metadata or,
// when the VM blocks project keys (block-project-ssh-keys), carries the
// legacy sshKeys item, or the project cannot be written (403), to the VM's
// own metadata. Expired keys are removed on the way; a key still valid for
// more than half the validity is not written again.
func (p *SSHPublisher) Publish(ctx context.Context, req app.PublishRequest) (app.PublishedKey, error) {
	ref := req.Instance
	what := fmt.Sprintf("Cannot publish your SSH key to %s", ref.Name)
	if req.Account == "" {
		return app.PublishedKey{}, &app.UserError{What: what, Why: "no account is signed in", Fix: "Sign in first."}
	}
	in, err := p.svc.Instances.Get(ref.Project, ref.Zone, ref.Name).Fields("metadata/items").Context(ctx).Do()
	if err != nil {
		return app.PublishedKey{}, app.ActionError("publish an SSH key to", ref, apiError(err))
	}
	var inst, project []*compute.MetadataItems
	if in.Metadata != nil {
		inst = in.Metadata.Items
	}
	pr, err := p.svc.Projects.Get(ref.Project).Fields("commonInstanceMetadata/items").Context(ctx).Do()
	if err != nil {
		// Without the project's flags the VM's own still decide; IAP
		// Desktop fails here, but a user with rights on the VM only can
		// still connect.
		p.log.Debug("read project metadata", slog.String("project", ref.Project), slog.Any("error", err))
	} else if pr.CommonInstanceMetadata != nil {
		project = pr.CommonInstanceMetadata.Items
	}
	if flagOf(inst, project, "enable-oslogin") {
		if !auth.IsWorkforcePrincipal(req.Account) {
			return p.publishOSLogin(ctx, req, what)
		}
		// OS Login imports no keys for workforce identities: fall back
		// to metadata keys, as IAP Desktop does.
		p.log.Info("OS Login unavailable to workforce identities; publishing in metadata",
			slog.String("instance", ref.String()))
	}
	user := req.Username
	if user == "" {
		user = app.POSIXUsername(req.Account)
	}
	if err := app.ValidatePOSIXUsername(user); err != nil {
		return app.PublishedKey{}, err
	}
	blockProject := flagOf(inst, project, "block-project-ssh-keys")
	_, legacy := metadataGet(inst, "sshKeys")
	out := app.PublishedKey{Username: user, KeyFile: req.Key.PrivateKeyFile}
	edit := p.sshKeysEdit(req, user, &out)
	if !blockProject && !legacy {
		out.Method = app.PublishProjectMetadata
		err := p.meta.editProject(ctx, ref.Project, edit)
		if err == nil {
			return out, nil
		}
		if !forbidden(err) {
			return app.PublishedKey{}, metadataWriteError(what, ref, err)
		}
		p.log.Debug("project metadata not writable, using instance metadata", slog.String("project", ref.Project))
	}
	out.Method, out.Reused = app.PublishInstanceMetadata, false
	if err := p.meta.editInstance(ctx, ref, edit); err != nil {
		return app.PublishedKey{}, metadataWriteError(what, ref, err)
	}
	return out, nil
}

// sshKeysEdit returns the metadata edit that adds req.Key for user to
// ssh-keys, recording the expiry in out.
func (p *SSHPublisher) sshKeysEdit(req app.PublishRequest, user string, out *app.PublishedKey) editFunc {
	return func(items []*compute.MetadataItems) ([]*compute.MetadataItems, bool, error) {
		now := p.now()
		old, _ := metadataGet(items, "ssh-keys")
		val, expires, changed := addSSHKey(old, req.Key, user, req.Account, now, p.validity)
		out.Expires, out.Reused = expires, !changed
		if !changed {
			return nil, false, nil
		}
		return metadataPut(items, "ssh-keys", val), true, nil
	}
}

// sshKeyLine is a parsed ssh-keys line.
type sshKeyLine struct {
	user, keyType, blob string
	managed             bool
	expireOn            string
}

// parseSSHKeyLine parses "USER:TYPE BLOB [COMMENT]" and the managed form
// "USER:TYPE BLOB google-ssh {json}".
func parseSSHKeyLine(l string) (sshKeyLine, bool) {
	user, rest, ok := strings.Cut(strings.TrimSpace(l), ":")
	if !ok {
		return sshKeyLine{}, false
	}
	f := strings.Fields(rest)
	if len(f) < 2 {
		return sshKeyLine{}, false
	}
	k := sshKeyLine{user: user, keyType: f[0], blob: f[1]}
	if len(f) >= 4 && f[2] == "google-ssh" {
		k.managed = true
		var m struct {
			ExpireOn string `json:"expireOn"`
		}
		_, js, _ := strings.Cut(rest, "google-ssh")
		if json.Unmarshal([]byte(strings.TrimSpace(js)), &m) == nil {
			k.expireOn = m.ExpireOn
		}
	}
	return k, true
}

// sshExpireLayout is the expireOn format the Linux guest agents parse.
const sshExpireLayout = "2006-01-02T15:04:05-0700"

// addSSHKey returns the ssh-keys value with key added for user: expired
// managed lines are dropped, lines of the same key for the same user are
// replaced, and the key is not added again while it is there for longer
// than half the validity. Unparseable and unmanaged lines are kept. It
// returns the key's expiry (zero: an unmanaged line that never expires) and
// whether the value changed.
func addSSHKey(old string, key app.SSHKey, user, email string, now time.Time, validity time.Duration) (string, time.Time, bool) {
	wire := strings.Fields(string(ssh.MarshalAuthorizedKey(key.PublicKey)))
	var kept []string
	changed, present := false, false
	var expires time.Time
	for _, l := range strings.Split(old, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		k, ok := parseSSHKeyLine(l)
		if ok && k.managed && keyExpired(k.expireOn, now) {
			changed = true
			continue
		}
		if ok && k.user == user && k.keyType == wire[0] && k.blob == wire[1] {
			var exp time.Time // unmanaged: never expires
			if k.managed {
				exp, _ = parseExpireOn(k.expireOn)
			}
			if !present && (exp.IsZero() || exp.Sub(now) > validity/2) {
				present, expires = true, exp
				kept = append(kept, l)
				continue
			}
			changed = true // a stale or duplicate line of our key: replaced
			continue
		}
		kept = append(kept, l)
	}
	if !present {
		expires = now.Add(validity).UTC().Truncate(time.Second)
		meta, _ := json.Marshal(struct {
			UserName string `json:"userName"`
			ExpireOn string `json:"expireOn"`
		}{email, expires.Format(sshExpireLayout)}) // two strings: cannot fail
		kept = append(kept, fmt.Sprintf("%s:%s %s google-ssh %s", user, wire[0], wire[1], meta))
		changed = true
	}
	return strings.Join(kept, "\n"), expires, changed
}

func parseExpireOn(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse(sshExpireLayout, s)
	}
	return t, err
}

// publishOSLogin imports the key into the user's OS Login profile and
// returns the profile's primary Linux account.
func (p *SSHPublisher) publishOSLogin(ctx context.Context, req app.PublishRequest, what string) (app.PublishedKey, error) {
	expires := p.now().Add(p.validity).UTC().Truncate(time.Second)
	resp, err := p.oslogin.Users.ImportSshPublicKey("users/"+req.Account,
		&oslogin.SshPublicKey{Key: req.Key.AuthorizedKey(), ExpirationTimeUsec: expires.UnixMicro()}).
		ProjectId(req.Instance.Project).Context(ctx).Do()
	if err != nil {
		if status(err) == http.StatusForbidden {
			return app.PublishedKey{}, &app.UserError{What: what,
				Why: fmt.Sprintf("OS Login refused to manage keys for %s", req.Account),
				Fix: "Your account may not manage OS Login keys (an administrator policy, or a consumer account). Ask an administrator, or for roles/compute.osLogin on the project.",
				Err: fmt.Errorf("%w: %w", app.ErrPermissionDenied, apiError(err))}
		}
		return app.PublishedKey{}, app.ActionError("publish an SSH key to", req.Instance, apiError(err))
	}
	wire := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(req.Key.PublicKey)))
	lp := resp.LoginProfile
	found := false
	if lp != nil {
		for _, k := range lp.SshPublicKeys {
			if strings.Contains(k.Key, wire) {
				found = true
				break
			}
		}
	}
	if !found {
		why := "the key was not added to your OS Login profile"
		if resp.Details != "" {
			why += ": " + resp.Details
		}
		return app.PublishedKey{}, &app.UserError{What: what, Why: why,
			Fix: "An administrator may have disabled \"Allow users to manage their SSH public keys via the OS Login API\"; ask them, or use a VM without OS Login.",
			Err: app.ErrOSLoginKeyRejected}
	}
	user := ""
	for _, a := range lp.PosixAccounts {
		if a != nil && a.Primary && (a.OperatingSystemType == "" || a.OperatingSystemType == "LINUX") {
			user = a.Username
			break
		}
	}
	if user == "" {
		return app.PublishedKey{}, &app.UserError{What: what, Why: "your OS Login profile has no primary Linux account yet",
			Fix: "Retry in a minute: OS Login creates the account on first use."}
	}
	return app.PublishedKey{Username: user, KeyFile: req.Key.PrivateKeyFile, Method: app.PublishOSLogin, Expires: expires}, nil
}
