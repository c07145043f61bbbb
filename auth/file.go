package auth

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/oauth2"
)

// FileTokenSource returns a token source that reads an OAuth access token from
// path, gcloud's --access-token-file. The file holds just the token (surrounding
// white space is ignored). It is read on every call — a token is asked for once
// per relay dial, which is rare — so a helper that rewrites the file keeps a
// long tunnel authorised: each reconnect sees the newest token.
func FileTokenSource(path string) oauth2.TokenSource {
	return &fileTokenSource{path: path}
}

type fileTokenSource struct {
	path string
}

// Token implements oauth2.TokenSource.
func (f *fileTokenSource) Token() (*oauth2.Token, error) {
	b, err := os.ReadFile(f.path)
	if err != nil {
		return nil, fmt.Errorf("read access token file: %w (check --access-token-file)", err)
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return nil, fmt.Errorf("access token file %s is empty: %w", f.path, ErrNoToken)
	case strings.ContainsAny(tok, " \t\r\n"):
		return nil, fmt.Errorf("access token file %s must hold one token and nothing else: %w", f.path, ErrNoToken)
	}
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer"}, nil
}

// ErrNoToken reports that a credential source holds no usable access token.
var ErrNoToken = errors.New("no usable access token")
