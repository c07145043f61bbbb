package app

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
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

// POSIXUsername derives a POSIX username from an email as gcloud does: the
// local part, lower-cased, characters other than a-z, 0-9, _ and - turned
// into _, at most 32 characters, prefixed with "g" when it does not start
// with a letter or _.
func POSIXUsername(email string) string {
	if subject, ok := strings.CutPrefix(email, "principal://"); ok {
		// A workforce identity: its IdP subject names the user.
		if i := strings.LastIndex(subject, "/subject/"); i >= 0 {
			email = subject[i+len("/subject/"):]
		}
	}
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
