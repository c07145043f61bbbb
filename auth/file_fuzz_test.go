package auth_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"iapdesk/auth"
)

// FuzzFileTokenSource feeds --access-token-file arbitrary contents: reading
// must not panic; what it accepts is the trimmed content, one non-empty
// token without white space, as a Bearer token; what it refuses wraps
// ErrNoToken and does not repeat the content, which may be a secret.
func FuzzFileTokenSource(f *testing.F) {
	for _, s := range []string{
		"ya29.a0AfB_byDkq1nLdUQx3zV9-example-token_0123456789\n", "  ya29.x\r\n", "", " \n\t ",
		"ya29.first ya29.second", "ya29.\x00abc", "Bearer ya29.abcdefgh", "\ufeffya29.bom",
	} {
		f.Add([]byte(s))
	}
	// One file, rewritten for each input: a fuzz worker runs inputs one at a
	// time, and a fresh directory per input would cost more than the read.
	path := filepath.Join(f.TempDir(), "token")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8<<10 {
			return // an access token is under 4 KiB; longer files are refused by size alone
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := auth.FileTokenSource(path).Token()
		if err != nil {
			if !errors.Is(err, auth.ErrNoToken) {
				t.Fatalf("Token() of %q = %v, want an error wrapping ErrNoToken", data, err)
			}
			msg := strings.ReplaceAll(err.Error(), path, "")
			for _, w := range strings.Fields(string(data)) {
				if len(w) >= 8 && strings.Contains(msg, w) {
					t.Fatalf("Token() of %q = %v: the error repeats the file's content %q", data, err, w)
				}
			}
			return
		}
		want := strings.TrimSpace(string(data))
		if tok.AccessToken != want || want == "" || strings.ContainsAny(want, " \t\r\n") || tok.TokenType != "Bearer" {
			t.Fatalf("Token() of %q = %q (%s), want one Bearer token %q", data, tok.AccessToken, tok.TokenType, want)
		}
	})
}
