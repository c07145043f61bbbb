package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"unicode"

	"golang.org/x/oauth2"
)

// MaxTokenFileSize bounds an access token file. A Google access token is
// well under 4 KiB; 64 KiB leaves room for any token format while keeping
// a mistaken path (a log, a disk image) from being read into memory.
const MaxTokenFileSize = 64 << 10

// FileTokenSource returns a token source that reads an OAuth access token from
// path, gcloud's --access-token-file. The file holds just the token (surrounding
// white space is ignored). It is read on every call — a token is asked for once
// per relay dial, which is rare — so a helper that rewrites the file keeps a
// long tunnel authorised: each reconnect sees the newest token.
//
// The file must be a regular file (or a symbolic link to one) of at most
// MaxTokenFileSize bytes: a device such as /dev/zero, a named pipe or a
// directory is refused without being read, so reading never blocks or
// grows without bound.
func FileTokenSource(path string) oauth2.TokenSource {
	return &fileTokenSource{path: path}
}

type fileTokenSource struct {
	path string
}

// Token implements oauth2.TokenSource.
func (f *fileTokenSource) Token() (*oauth2.Token, error) {
	return f.token(context.Background())
}

// token reads the token, giving up first if ctx is done.
func (f *fileTokenSource) token(ctx context.Context) (*oauth2.Token, error) {
	b, err := readTokenFile(ctx, f.path)
	if err != nil {
		return nil, err
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return nil, fmt.Errorf("access token file %s is empty: %w", f.path, ErrNoToken)
	case strings.ContainsAny(tok, " \t\r\n"):
		return nil, fmt.Errorf("access token file %s must hold one token and nothing else: %w", f.path, ErrNoToken)
	case strings.IndexFunc(tok, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) }) >= 0:
		return nil, fmt.Errorf("access token file %s holds characters no access token has: %w", f.path, ErrNoToken)
	}
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer"}, nil
}

// readTokenFile reads path, which must be a regular file of at most
// MaxTokenFileSize bytes. It opens without blocking (O_NONBLOCK: opening a
// named pipe with no writer would otherwise wait forever, deaf to ctx and
// to signals) and checks the opened file, so a path swapped for a pipe or
// device between a check and the open is refused too. The read is bounded
// even if the file grows meanwhile.
func readTokenFile(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read access token file %s: %w", path, err)
	}
	// Stat first so a device is not even opened (opening some has side
	// effects, such as rewinding a tape).
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read access token file: %w: %w", err, ErrNoToken)
	}
	if err := checkRegular(path, fi); err != nil {
		return nil, err
	}
	// O_NONBLOCK matters only for pipes and devices, which are refused;
	// Windows ignores it (opening a pipe there never waits).
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read access token file: %w: %w", err, ErrNoToken)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("read access token file %s: %w", path, err)
	}
	if err := checkRegular(path, fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxTokenFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read access token file %s: %w", path, err)
	}
	if len(b) > MaxTokenFileSize {
		return nil, fmt.Errorf("access token file %s grew past %d bytes while being read: %w", path, MaxTokenFileSize, ErrNoToken)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read access token file %s: %w", path, err)
	}
	return b, nil
}

// checkRegular refuses what is not a regular file of at most
// MaxTokenFileSize bytes.
func checkRegular(path string, fi os.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("access token file %s is not a regular file (%s): %w", path, fileKind(fi.Mode()), ErrNoToken)
	}
	if fi.Size() > MaxTokenFileSize {
		return fmt.Errorf("access token file %s is %d bytes, more than the %d an access token needs: %w",
			path, fi.Size(), MaxTokenFileSize, ErrNoToken)
	}
	return nil
}

// fileKind names what a non-regular file is, for the error message.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}

// ErrNoToken reports that a credential source holds no usable access token.
var ErrNoToken = errors.New("no usable access token")
