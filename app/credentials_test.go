package app_test

import (
	"context"
	"errors"
	"testing"

	"iapdesk/app"
	"iapdesk/auth"
	"iapdesk/auth/authtest"
)

func TestCredentials(t *testing.T) {
	mem := authtest.NewMemStore()
	c, err := app.NewCredentials(mem)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ref := app.InstanceRef{Project: "p", Zone: "z", Name: "vm"}
	prof, inst := app.ProfileSecret("p-1"), app.InstanceSecret(ref)
	if prof == inst || string(inst) != "rdp-password:instance:projects/p/zones/z/instances/vm" {
		t.Errorf("keys = %q, %q; want distinct, prefixed keys", prof, inst)
	}

	if _, ok, err := c.RDPPassword(ctx, prof, inst); ok || err != nil {
		t.Errorf("RDPPassword(nothing saved) = %v, %v; want false, nil", ok, err)
	}
	if err := c.SetRDPPassword(ctx, inst, "vm-pass"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		keys []app.SecretKey
		want string
	}{
		{"falls back to the VM", []app.SecretKey{prof, inst}, "vm-pass"},
		{"VM only", []app.SecretKey{inst}, "vm-pass"},
		{"profile only, none saved", []app.SecretKey{prof}, ""},
	}
	for _, tc := range tests {
		pw, ok, err := c.RDPPassword(ctx, tc.keys...)
		if err != nil || ok != (tc.want != "") || string(pw) != tc.want {
			t.Errorf("%s: RDPPassword = %v, %v (matches %v); want %v", tc.name, ok, err, string(pw) == tc.want, tc.want != "")
		}
	}
	if err := c.SetRDPPassword(ctx, prof, "profile-pass"); err != nil {
		t.Fatal(err)
	}
	if pw, _, _ := c.RDPPassword(ctx, prof, inst); pw != "profile-pass" {
		t.Error("RDPPassword did not prefer the first key")
	}
	// An empty password deletes; deleting a missing one is fine.
	if err := c.SetRDPPassword(ctx, prof, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, prof); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
	if _, ok := mem.Snapshot()[string(prof)]; ok {
		t.Error("SetRDPPassword(\"\") kept the secret")
	}

	mem.SetErr(&auth.KeyringError{Err: errors.New("locked")})
	_, _, err = c.RDPPassword(ctx, inst)
	var ue *app.UserError
	if !errors.Is(err, auth.ErrNoKeyring) || !errors.As(err, &ue) || ue.Fix == "" {
		t.Errorf("RDPPassword(locked keyring) = %v, want a *UserError wrapping auth.ErrNoKeyring", err)
	}
	if err := c.SetRDPPassword(ctx, inst, "x"); !errors.Is(err, auth.ErrNoKeyring) {
		t.Errorf("SetRDPPassword(locked keyring) = %v, want auth.ErrNoKeyring", err)
	}
	if _, err := app.NewCredentials(nil); err == nil {
		t.Error("NewCredentials(nil) = nil error")
	}
}
