package auth

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFileTokenSource(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	ts := FileTokenSource(path)

	if _, err := ts.Token(); err == nil {
		t.Fatal("Token() on a missing file: got nil error")
	}

	tests := []struct {
		name    string
		content string
		want    string
		wantErr error
	}{
		{"plain", "ya29.first", "ya29.first", nil},
		{"trailing newline", "ya29.second\n", "ya29.second", nil},
		{"empty", "  \n", "", ErrNoToken},
		{"two tokens", "a b", "", ErrNoToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			tok, err := ts.Token()
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Token() error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Token() error = %v", err)
			}
			if tok.AccessToken != tc.want {
				t.Errorf("Token() = %q, want %q", tok.AccessToken, tc.want)
			}
		})
	}
}
