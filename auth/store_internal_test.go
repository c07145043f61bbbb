package auth

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestMapKeyringErr(t *testing.T) {
	tests := []struct {
		name string
		in   error
		want error
	}{
		{"missing item", keyring.ErrNotFound, ErrNotStored},
		{"unsupported platform", keyring.ErrUnsupportedPlatform, ErrNoKeyring},
		{"no secret service", errors.New("The name org.freedesktop.secrets was not provided by any .service files"), ErrNoKeyring},
		{"locked", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), ErrNoKeyring},
		{"too big", keyring.ErrSetDataTooBig, keyring.ErrSetDataTooBig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := mapKeyringErr(tc.in)
			if !errors.Is(got, tc.want) {
				t.Errorf("mapKeyringErr(%q) = %v, want %v", tc.in, got, tc.want)
			}
			if errors.Is(got, ErrNoKeyring) {
				if !errors.Is(got, tc.in) {
					t.Errorf("mapKeyringErr(%q) = %v, lost the keyring's error", tc.in, got)
				}
				if !strings.Contains(got.Error(), tc.in.Error()) {
					t.Errorf("mapKeyringErr(%q) = %q, want the keyring's own message in it", tc.in, got)
				}
			}
		})
	}
}

// TestKeyringStoreNoSessionBus: without a D-Bus session the store fails
// with ErrNoKeyring at once, instead of letting godbus start a stray bus.
func TestKeyringStoreNoSessionBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the session bus check applies where the keyring is the Secret Service")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	st := KeyringStore{Service: "iapdesk-test-nobus"}
	_, err := st.Get(context.Background(), "nobody@example.com")
	if !errors.Is(err, ErrNoKeyring) || !strings.Contains(err.Error(), "D-Bus") {
		t.Errorf("Get() without a session bus: error = %v, want ErrNoKeyring naming D-Bus", err)
	}
	if err := st.Set(context.Background(), "nobody@example.com", "x"); !errors.Is(err, ErrNoKeyring) {
		t.Errorf("Set() without a session bus: error = %v, want ErrNoKeyring", err)
	}
}
