package app

import (
	"context"
	"errors"

	"iapdesk/auth"
	"iapdesk/platform"
)

// SSHPassword returns the saved SSH password under key
// (SSHPasswordSecret); ok is false when none is saved.
func (c *Credentials) SSHPassword(ctx context.Context, key SecretKey) (pw platform.Password, ok bool, err error) {
	v, err := c.store.Get(ctx, string(key))
	switch {
	case err == nil:
		return platform.Password(v), true, nil
	case errors.Is(err, auth.ErrNotStored):
		return "", false, nil
	}
	return "", false, keyringError("read the saved SSH password", err)
}

// SetSSHPassword saves an SSH password under key; an empty one deletes it.
func (c *Credentials) SetSSHPassword(ctx context.Context, key SecretKey, pw platform.Password) error {
	if pw == "" {
		return c.Delete(ctx, key)
	}
	if err := c.store.Set(ctx, string(key), string(pw)); err != nil {
		return keyringError("save the SSH password", err)
	}
	return nil
}
