package auth

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// TestFileTokenSourceSize: a file of up to MaxTokenFileSize bytes is read;
// a larger one is refused, with the size in the message, before any token
// is looked for.
func TestFileTokenSourceSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	ts := FileTokenSource(path)
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{"at the cap", MaxTokenFileSize, false},
		{"65 KiB", 65 << 10, true},
		{"1 MiB", 1 << 20, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("a"), tc.size), 0o600); err != nil {
				t.Fatal(err)
			}
			tok, err := ts.Token()
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("Token() of a %d-byte file: error = %v, want the token", tc.size, err)
				}
				if len(tok.AccessToken) != tc.size {
					t.Fatalf("Token() of a %d-byte file = %d bytes, want all of them", tc.size, len(tok.AccessToken))
				}
				return
			}
			if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), fmt.Sprintf("%d bytes", tc.size)) {
				t.Fatalf("Token() of a %d-byte file: error = %v, want ErrNoToken naming the size", tc.size, err)
			}
		})
	}
}

// TestFileTokenSourceNotRegular: a directory is refused as not a regular
// file, and a token with control characters (which would end up in an
// HTTP header and on terminals) is refused.
func TestFileTokenSourceNotRegular(t *testing.T) {
	dir := t.TempDir()
	if _, err := FileTokenSource(dir).Token(); !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "a directory") {
		t.Errorf("Token() of a directory: error = %v, want ErrNoToken saying it is a directory", err)
	}
	path := filepath.Join(dir, "token")
	if err := os.WriteFile(path, []byte("ya29.\x1b]0;pwn\x07"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := FileTokenSource(path).Token(); !errors.Is(err, ErrNoToken) {
		t.Errorf("Token() of a token with control characters: error = %v, want ErrNoToken", err)
	}
}
