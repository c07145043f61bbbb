package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"iapdesk/auth"
	"iapdesk/platform"
)

// SecretStore keeps secrets by key in the OS keyring. auth.KeyringStore
// implements it (tests use authtest.MemStore). Get of a missing key
// returns an error wrapping auth.ErrNotStored.
type SecretStore interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string) error
	Delete(ctx context.Context, key string) error
}

var _ SecretStore = auth.KeyringStore{}

// SecretKey names one secret in the keyring. Keys are prefixed so they can
// share the keyring service with the refresh tokens, which are keyed by
// email address.
type SecretKey string

// ProfileSecret is the key of a saved profile's RDP password.
func ProfileSecret(profileID string) SecretKey { return SecretKey("rdp-password:profile:" + profileID) }

// InstanceSecret is the key of a VM's RDP password (saved from the VM's
// context menu or by "Generate Windows credentials…" without a profile).
func InstanceSecret(ref InstanceRef) SecretKey {
	return SecretKey("rdp-password:instance:" + ref.String())
}

// sshPassphraseSecret is the key of an SSH private key file's passphrase.
func sshPassphraseSecret(keyFile string) SecretKey {
	return SecretKey("ssh-passphrase:" + keyFile)
}

// Credentials reads and writes passwords and passphrases in the OS keyring.
// Values never leave it except to be handed to a client (RDP password) or
// shown once on request; they are never logged, exported or written to a
// file.
type Credentials struct {
	store SecretStore
}

// NewCredentials returns Credentials backed by store.
func NewCredentials(store SecretStore) (*Credentials, error) {
	if store == nil {
		return nil, errors.New("new credentials: store is nil")
	}
	return &Credentials{store: store}, nil
}

// RDPPassword returns the first password stored under keys (e.g. the
// profile's, then the VM's). ok is false when none is stored; err reports a
// keyring that cannot be used.
func (c *Credentials) RDPPassword(ctx context.Context, keys ...SecretKey) (pw platform.Password, ok bool, err error) {
	for _, k := range keys {
		v, err := c.store.Get(ctx, string(k))
		switch {
		case err == nil:
			return platform.Password(v), true, nil
		case errors.Is(err, auth.ErrNotStored):
			continue
		}
		return "", false, keyringError("read the saved password", err)
	}
	return "", false, nil
}

// SetRDPPassword stores pw under key.
func (c *Credentials) SetRDPPassword(ctx context.Context, key SecretKey, pw platform.Password) error {
	if pw == "" {
		return c.Delete(ctx, key)
	}
	if err := c.store.Set(ctx, string(key), string(pw)); err != nil {
		return keyringError("save the password", err)
	}
	return nil
}

// Delete removes the secret under key; a missing one is not an error.
func (c *Credentials) Delete(ctx context.Context, key SecretKey) error {
	if err := c.store.Delete(ctx, string(key)); err != nil && !errors.Is(err, auth.ErrNotStored) {
		return keyringError("delete the saved password", err)
	}
	return nil
}

// copySecret copies the secret under from to to, if there is one.
func (c *Credentials) copySecret(ctx context.Context, from, to SecretKey) error {
	v, err := c.store.Get(ctx, string(from))
	if errors.Is(err, auth.ErrNotStored) {
		return nil
	}
	if err != nil {
		return keyringError("read the saved password", err)
	}
	if err := c.store.Set(ctx, string(to), v); err != nil {
		return keyringError("save the password", err)
	}
	return nil
}

// SSHPassphrase returns the passphrase of an SSH private key file; ok is
// false when none is stored.
func (c *Credentials) SSHPassphrase(ctx context.Context, keyFile string) (p Passphrase, ok bool, err error) {
	v, err := c.store.Get(ctx, string(sshPassphraseSecret(keyFile)))
	switch {
	case err == nil:
		return Passphrase(v), true, nil
	case errors.Is(err, auth.ErrNotStored):
		return "", false, nil
	}
	return "", false, keyringError("read the SSH key passphrase", err)
}

// SetSSHPassphrase stores the passphrase of an SSH private key file.
func (c *Credentials) SetSSHPassphrase(ctx context.Context, keyFile string, p Passphrase) error {
	if err := c.store.Set(ctx, string(sshPassphraseSecret(keyFile)), string(p)); err != nil {
		return keyringError("save the SSH key passphrase", err)
	}
	return nil
}

// Passphrase is an SSH key passphrase. It prints and logs as "REDACTED".
type Passphrase string

// String returns "REDACTED".
func (Passphrase) String() string { return "REDACTED" }

// GoString returns "REDACTED".
func (Passphrase) GoString() string { return "REDACTED" }

// LogValue returns "REDACTED".
func (Passphrase) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// keyringError explains a keyring failure.
func keyringError(what string, err error) error {
	ue := &UserError{What: fmt.Sprintf("Cannot %s", what), Why: "the system keyring is not available", Err: err}
	switch {
	case errors.Is(err, auth.ErrNoKeyring):
		a := authFailure(ue.What, err, eitherSurface) // one wording for the keyring
		ue.Why, ue.Fix = a.Why, a.Fix
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		ue.Why = "the keyring did not answer in time"
		ue.Fix = "Retry; if a keyring unlock prompt is open, answer it."
	default:
		ue.Why = err.Error()
		ue.Fix = "Retry; if it keeps failing, check the system keyring."
	}
	return ue
}
