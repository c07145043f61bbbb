package platform

import (
	"errors"
	"fmt"
	"os/exec"
)

// ErrPasswordRequired reports that the chosen RDP client cannot ask the user
// for a password itself (FreeRDP), so the spec must carry one.
var ErrPasswordRequired = errors.New("platform: the RDP client needs a password; set or generate one first")

// ErrPeerOtherUser reports that the local program connected to a tunnel port
// runs as a different OS user. The error returned by PeerIsSameUser wraps it
// and names the peer's uid.
var ErrPeerOtherUser = errors.New("platform: local peer belongs to another user")

// ErrPeerNotFound reports that the local socket of a connection's peer could
// not be found (it closed already, or lives in another network namespace).
// Callers should refuse the connection.
var ErrPeerNotFound = errors.New("platform: local peer socket not found")

// NotFoundError reports that a client program is not installed. Package says
// what to install to get it, in the words of the host OS (a Debian package, an
// App Store app, a Windows feature).
type NotFoundError struct {
	Program string // what was looked for, e.g. "xfreerdp"
	Package string // what provides it, e.g. "freerdp2-x11"
}

func (e *NotFoundError) Error() string {
	if e.Package == "" {
		return fmt.Sprintf("%s is not installed", e.Program)
	}
	return fmt.Sprintf("%s is not installed: install %s", e.Program, e.Package)
}

// Unwrap lets errors.Is(err, exec.ErrNotFound) match.
func (e *NotFoundError) Unwrap() error { return exec.ErrNotFound }

// ExitError reports that a launched client exited unsuccessfully. Output is
// the tail of what it printed (it never contains a password: secrets are not
// echoed by the clients and never on the command line).
type ExitError struct {
	Program string
	Code    int    // exit status, -1 when killed by a signal
	Output  string // last lines of stdout+stderr
	Err     error  // the underlying *exec.ExitError
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s exited with status %d", e.Program, e.Code)
	if line := lastLine(e.Output); line != "" {
		msg += ": " + line
	}
	return msg
}

// Unwrap returns the underlying *exec.ExitError.
func (e *ExitError) Unwrap() error { return e.Err }
