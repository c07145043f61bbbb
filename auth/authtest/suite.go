package authtest

import (
	"context"
	"errors"
	"testing"

	"iapdesk/auth"
)

// StoreSuite checks that st behaves as auth.Store promises, using account
// (which must not hold a token yet) and removing what it stored. It runs
// against every implementation: MemoryStore, MemStore and, in the Secret
// Service test, the real KeyringStore.
func StoreSuite(t *testing.T, st auth.Store, account string) {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { _ = st.Delete(context.Background(), account) })

	if v, err := st.Get(ctx, account); !errors.Is(err, auth.ErrNotStored) {
		t.Fatalf("Get(%q) before Set = %q, %v; want error wrapping ErrNotStored", account, v, err)
	}
	for _, want := range []string{"1//first-refresh-token", "1//second-refresh-token"} {
		if err := st.Set(ctx, account, want); err != nil {
			t.Fatalf("Set(%q) error = %v", account, err)
		}
		got, err := st.Get(ctx, account)
		if err != nil || got != want {
			t.Fatalf("Get(%q) = %q, %v; want %q, nil", account, got, err, want)
		}
	}
	if err := st.Delete(ctx, account); err != nil {
		t.Fatalf("Delete(%q) error = %v", account, err)
	}
	if v, err := st.Get(ctx, account); !errors.Is(err, auth.ErrNotStored) {
		t.Fatalf("Get(%q) after Delete = %q, %v; want error wrapping ErrNotStored", account, v, err)
	}
	if err := st.Delete(ctx, account); !errors.Is(err, auth.ErrNotStored) {
		t.Fatalf("Delete(%q) twice: error = %v, want ErrNotStored", account, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := st.Get(cancelled, account); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get(%q) with a cancelled context: error = %v, want context.Canceled", account, err)
	}
}
