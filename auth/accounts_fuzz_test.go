package auth

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzLoadAccounts feeds the account list reader arbitrary accounts.json
// files (damaged by a crash or a full disk, or edited by hand): loading must
// not panic; a list it accepts is version 1, lists every entry sorted by
// email, finds each, and saves and loads back to the same accounts.
func FuzzLoadAccounts(f *testing.F) {
	for _, s := range []string{
		`{"version":1,"active":"alice@example.com","accounts":[{"email":"alice@example.com","added_at":"2024-05-01T10:00:00Z"},` +
			`{"email":"bob@example.com","added_at":"2024-04-01T08:30:00+02:00","sign_in_required":true}]}`,
		`{"version":1,"accounts":[]}`,
		`{"version":2,"accounts":[]}`,
		`{"version":1,"active":"A@x","accounts":[{"email":"a@x"},{"email":"A@X"}]}`,
		`{"version":1,"accounts":[{"email":"a@x","added_at":"0000-01-01T00:00:00Z"}]}`,
	} {
		f.Add([]byte(s))
	}
	// One directory for every input: a fuzz worker runs them one at a time.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 16<<10 {
			return // larger lists only slow each run
		}
		if err := os.WriteFile(filepath.Join(dir, accountsFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		db := &accountDB{dir: dir}
		st, err := db.load()
		if err != nil {
			return
		}
		if st.Version != 1 {
			t.Fatalf("load(%q) = version %d, want 1", data, st.Version)
		}
		list := st.list()
		if len(list) != len(st.Accounts) {
			t.Fatalf("load(%q).list() = %d accounts, want %d", data, len(list), len(st.Accounts))
		}
		if !slices.IsSortedFunc(list, func(a, b Account) int { return strings.Compare(a.Email, b.Email) }) {
			t.Fatalf("load(%q).list() is not sorted by email", data)
		}
		for _, a := range list {
			if st.find(a.Email) < 0 {
				t.Fatalf("load(%q).find(%q) = -1, want the listed account", data, a.Email)
			}
		}
		// Saved as saveLocked encodes it (without its fsync, which would
		// make each run a thousand times slower) and read back.
		saved, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			t.Fatalf("load(%q) accepted a list that cannot be saved: %v", data, err)
		}
		var back accountState
		if err := json.Unmarshal(saved, &back); err != nil {
			t.Fatalf("saved list does not load: %v\n%s", err, saved)
		}
		got := back.list()
		if len(got) != len(list) {
			t.Fatalf("saved list has %d accounts, want %d", len(got), len(list))
		}
		for i := range list {
			a, b := list[i], got[i]
			if a.Email != b.Email || a.Active != b.Active || a.SignInRequired != b.SignInRequired || !a.AddedAt.Equal(b.AddedAt) {
				t.Fatalf("saving changed account %d: %+v, then %+v", i, a, b)
			}
		}
	})
}
