package platform

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// ErrNoTerminal reports that a password prompt needs a terminal and there is
// none (stdin is a pipe or a file).
var ErrNoTerminal = errors.New("stdin is not a terminal")

// PromptPassword asks for a password on the terminal without echoing it.
func PromptPassword(prompt string, out io.Writer) (Password, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", fmt.Errorf("ask for a password: %w; pass it with --password-stdin", ErrNoTerminal)
	}
	fmt.Fprint(out, prompt)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return Password(b), nil
}
