package app

import (
	"errors"
	"fmt"
	"testing"

	"iapdesk/auth"
)

func TestNeedsSignIn(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"no credentials", fmt.Errorf("resolve: %w", auth.ErrNoCredentials), true},
		{"sign-in expired", accountError("No usable Google credentials", auth.ErrSignInRequired), true},
		{"not signed in", accountError("Cannot sign out", auth.ErrNotSignedIn), true},
		{"401 from an API", AsUserError(fmt.Errorf("%w: token rejected", ErrUnauthenticated)), true},
		{"keyring", accountError("No usable Google credentials", auth.ErrNoKeyring), false},
		{"other", errors.New("boom"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedsSignIn(tc.err); got != tc.want {
				t.Errorf("NeedsSignIn(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
