package demo

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
)

// secret is a per-run credential only this process knows (the fake APIs'
// bearer token, the fake OAuth client's ID and secret). It never appears in
// logs, on a command line or in a file other users can read.
type secret string

// LogValue keeps the secret out of logs.
func (secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// newSecret returns 32 bytes from crypto/rand, base64url-encoded.
func newSecret() (secret, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("demo: generate a secret: %w", err)
	}
	return secret(base64.RawURLEncoding.EncodeToString(b[:])), nil
}
