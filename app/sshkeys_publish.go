package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
	oslogin "google.golang.org/api/oslogin/v1"
)

// Sentinel errors of SSH key publishing.
var (
	// ErrOSLoginKeyRejected reports an OS Login import that answered but
	// did not keep the key (an admin disabled key management via the API).
	ErrOSLoginKeyRejected = errors.New("OS Login did not accept the key")
	// ErrInvalidPOSIXUsername reports a username a Linux guest would
	// refuse.
	ErrInvalidPOSIXUsername = errors.New("invalid POSIX username")
)

// DefaultSSHKeyValidity is how long a published key stays valid.
const DefaultSSHKeyValidity = 24 * time.Hour

// PublishMethod says where a key was published.
type PublishMethod string

// Publish methods.
const (
	PublishOSLogin          PublishMethod = "oslogin"           // OS Login importSshPublicKey
	PublishProjectMetadata  PublishMethod = "project-metadata"  // project ssh-keys
	PublishInstanceMetadata PublishMethod = "instance-metadata" // the VM's ssh-keys
)

// SSHPublisherConfig configures an SSHPublisher.
type SSHPublisherConfig struct {
	// ComputeOptions and OSLoginOptions select the endpoints and
	// credentials (option.WithTokenSource(ts), or a fake's options).
	ComputeOptions []option.ClientOption
	OSLoginOptions []option.ClientOption
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

// NewSSHPublisher builds a publisher. ctx is used only while the clients
// look for credentials.
func NewSSHPublisher(ctx context.Context, cfg SSHPublisherConfig) (*SSHPublisher, error) {
	svc, err := compute.NewService(ctx, cfg.ComputeOptions...)
	if err != nil {
		return nil, fmt.Errorf("create compute client: %w", err)
	}
	ol, err := oslogin.NewService(ctx, cfg.OSLoginOptions...)
	if err != nil {
		return nil, fmt.Errorf("create os login client: %w", err)
	}
	p := &SSHPublisher{svc: svc, oslogin: ol, meta: metadataEditor{svc: svc, retryDelay: cfg.RetryDelay},
		validity: cfg.Validity, now: cfg.Now, log: cfg.Logger}
	if p.validity <= 0 {
		p.validity = DefaultSSHKeyValidity
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	return p, nil
}

// PublishRequest says which key to publish for whom on which VM.
type PublishRequest struct {
	Instance InstanceRef
	Key      SSHKey
	// Account is the signed-in email: the OS Login user, and the userName
	// of managed metadata keys.
	Account string
	// Username is the POSIX user for metadata keys (the ssh.username
	// setting); empty derives it from Account (POSIXUsername). OS Login
	// ignores it: the login profile decides.
	Username string
}

// PublishedKey is where and for whom a key was published.
type PublishedKey struct {
	Username string // the POSIX user to log in as
	KeyFile  string // the private key for ssh -i
	Method   PublishMethod
	Expires  time.Time
	// Reused reports that the key was already published and still valid
	// long enough, so nothing was written.
	Reused bool
}

// Params returns base with the username and key file of the published key.
func (p PublishedKey) Params(base SSHParams) SSHParams {
	base.Username, base.KeyFile = p.Username, p.KeyFile
	return base
}

// PrepareRequest readies an SSH connect request: it takes iapdesk's key of
// keyType ("" for ed25519, the ssh.keyType setting), publishes it for
// account on req's VM and returns req with the published username and key
// file in req.SSH. req.SSH.Username, when set (the ssh.username setting), is
// the preferred metadata username.
func (p *SSHPublisher) PrepareRequest(ctx context.Context, keys *SSHKeys, account string, keyType SSHKeyType, req Request) (Request, error) {
	key, err := keys.Key(ctx, keyType)
	if err != nil {
		return Request{}, &UserError{What: "Cannot prepare your SSH key", Why: err.Error(),
			Fix: "Check that the configuration directory is writable.", Err: err}
	}
	pk, err := p.Publish(ctx, PublishRequest{Instance: req.Instance.InstanceRef, Key: key, Account: account, Username: req.SSH.Username})
	if err != nil {
		return Request{}, err
	}
	req.SSH = pk.Params(req.SSH)
	return req, nil
}

// Publish makes ref accept req.Key: with OS Login enabled (enable-oslogin,
// the VM's value winning whenever set) it imports the key into the user's
// OS Login profile and logs in as the profile's primary POSIX account;
// otherwise it adds a managed ssh-keys line to the project metadata or,
// when the VM blocks project keys (block-project-ssh-keys), carries the
// legacy sshKeys item, or the project cannot be written (403), to the VM's
// own metadata. Expired keys are removed on the way; a key still valid for
// more than half the validity is not written again.
func (p *SSHPublisher) Publish(ctx context.Context, req PublishRequest) (PublishedKey, error) {
	ref := req.Instance
	what := fmt.Sprintf("Cannot publish your SSH key to %s", ref.Name)
	if req.Account == "" {
		return PublishedKey{}, &UserError{What: what, Why: "no account is signed in", Fix: "Sign in first."}
	}
	in, err := p.svc.Instances.Get(ref.Project, ref.Zone, ref.Name).Fields("metadata/items").Context(ctx).Do()
	if err != nil {
		return PublishedKey{}, ActionError("publish an SSH key to", ref, err)
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
		return p.publishOSLogin(ctx, req, what)
	}
	user := req.Username
	if user == "" {
		user = POSIXUsername(req.Account)
	}
	if err := ValidatePOSIXUsername(user); err != nil {
		return PublishedKey{}, err
	}
	blockProject := flagOf(inst, project, "block-project-ssh-keys")
	_, legacy := metadataGet(inst, "sshKeys")
	out := PublishedKey{Username: user, KeyFile: req.Key.PrivateKeyFile}
	edit := p.sshKeysEdit(req, user, &out)
	if !blockProject && !legacy {
		out.Method = PublishProjectMetadata
		err := p.meta.editProject(ctx, ref.Project, edit)
		if err == nil {
			return out, nil
		}
		f, _ := classify(err)
		if f != failureForbidden {
			return PublishedKey{}, metadataWriteError(what, ref, err)
		}
		p.log.Debug("project metadata not writable, using instance metadata", slog.String("project", ref.Project))
	}
	out.Method, out.Reused = PublishInstanceMetadata, false
	if err := p.meta.editInstance(ctx, ref, edit); err != nil {
		return PublishedKey{}, metadataWriteError(what, ref, err)
	}
	return out, nil
}

// sshKeysEdit returns the metadata edit that adds req.Key for user to
// ssh-keys, recording the expiry in out.
func (p *SSHPublisher) sshKeysEdit(req PublishRequest, user string, out *PublishedKey) editFunc {
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
func addSSHKey(old string, key SSHKey, user, email string, now time.Time, validity time.Duration) (string, time.Time, bool) {
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

// POSIXUsername derives a POSIX username from an email as gcloud does: the
// local part, lower-cased, characters other than a-z, 0-9, _ and - turned
// into _, at most 32 characters, prefixed with "g" when it does not start
// with a letter or _.
func POSIXUsername(email string) string {
	local, _, _ := strings.Cut(email, "@")
	var b strings.Builder
	for _, r := range strings.ToLower(local) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	u := b.String()
	if u == "" {
		u = "user"
	}
	if c := u[0]; !(c >= 'a' && c <= 'z' || c == '_') {
		u = "g" + u
	}
	if len(u) > 32 {
		u = u[:32]
	}
	return u
}

var posixUsernameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,31}$`)

// ValidatePOSIXUsername checks a username for metadata keys. The error is
// a *UserError wrapping ErrInvalidPOSIXUsername.
func ValidatePOSIXUsername(u string) error {
	if posixUsernameRE.MatchString(u) {
		return nil
	}
	return &UserError{What: "Cannot use this Linux username",
		Why: fmt.Sprintf("%q is not a valid POSIX username (1-32 letters, digits, ., _ or -, starting with a letter or _)", u),
		Fix: "Change the SSH username in the settings, or clear it to derive one from your account.",
		Err: ErrInvalidPOSIXUsername}
}

// publishOSLogin imports the key into the user's OS Login profile and
// returns the profile's primary Linux account.
func (p *SSHPublisher) publishOSLogin(ctx context.Context, req PublishRequest, what string) (PublishedKey, error) {
	expires := p.now().Add(p.validity).UTC().Truncate(time.Second)
	resp, err := p.oslogin.Users.ImportSshPublicKey("users/"+req.Account,
		&oslogin.SshPublicKey{Key: req.Key.AuthorizedKey(), ExpirationTimeUsec: expires.UnixMicro()}).
		ProjectId(req.Instance.Project).Context(ctx).Do()
	if err != nil {
		f, gerr := classify(err)
		if f == failureForbidden || (gerr != nil && gerr.Code == http.StatusForbidden) {
			return PublishedKey{}, &UserError{What: what,
				Why: fmt.Sprintf("OS Login refused to manage keys for %s", req.Account),
				Fix: "Your account may not manage OS Login keys (an administrator policy, or a consumer account). Ask an administrator, or for roles/compute.osLogin on the project.",
				Err: fmt.Errorf("%w: %w", ErrPermissionDenied, err)}
		}
		return PublishedKey{}, ActionError("publish an SSH key to", req.Instance, err)
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
		return PublishedKey{}, &UserError{What: what, Why: why,
			Fix: "An administrator may have disabled \"Allow users to manage their SSH public keys via the OS Login API\"; ask them, or use a VM without OS Login.",
			Err: ErrOSLoginKeyRejected}
	}
	user := ""
	for _, a := range lp.PosixAccounts {
		if a != nil && a.Primary && (a.OperatingSystemType == "" || a.OperatingSystemType == "LINUX") {
			user = a.Username
			break
		}
	}
	if user == "" {
		return PublishedKey{}, &UserError{What: what, Why: "your OS Login profile has no primary Linux account yet",
			Fix: "Retry in a minute: OS Login creates the account on first use."}
	}
	return PublishedKey{Username: user, KeyFile: req.Key.PrivateKeyFile, Method: PublishOSLogin, Expires: expires}, nil
}
