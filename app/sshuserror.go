package app

import (
	"errors"
	"fmt"
	"strings"

	"iapdesk/tunnel"
)

// ErrSSHAuthFailed reports that the SSH server accepted none of the login
// methods (key, password, verification code).
var ErrSSHAuthFailed = errors.New("ssh authentication failed")

// hostKeyError explains a host key that known_hosts does not vouch for.
func hostKeyError(req Request, err error) *UserError {
	var he *HostKeyError
	if !errors.As(err, &he) {
		return &UserError{What: fmt.Sprintf("Cannot check the host key of %s", req.Instance.Name), Why: err.Error(),
			Fix: "Check that the known_hosts file is readable and writable.", Err: err}
	}
	if errors.Is(err, ErrHostKeyChanged) {
		return &UserError{
			What: fmt.Sprintf("WARNING: the host key of %s has changed", req.Instance.Name),
			Why: fmt.Sprintf("%s offered the key %s, but %s line %d records another key for %s: "+
				"the VM was re-created, or someone is intercepting the connection", req.Instance.Name, he.Fingerprint, he.File, he.Line, he.Alias),
			Fix: fmt.Sprintf("If you know why the key changed, remove the old key (ssh-keygen -R %s -f %s) and connect again; otherwise do not connect.", he.Alias, he.File),
			Err: err,
		}
	}
	return &UserError{
		What: fmt.Sprintf("Cannot verify the host key of %s", req.Instance.Name),
		Why:  fmt.Sprintf("%s is not in %s and host key checking is strict", he.Alias, he.File),
		Fix:  "Connect once with the ssh.strictHostKeyChecking setting at accept-new or ask, or add the key to known_hosts.",
		Err:  err,
	}
}

// sshLoginError explains a failed SSH handshake or login; keyErr is why
// the key file could not be used, if it could not.
func sshLoginError(req Request, err, keyErr error) *UserError {
	inst := req.Instance.Name
	if keyErr != nil {
		err = errors.Join(err, keyErr)
	}
	if strings.Contains(err.Error(), "unable to authenticate") {
		ue := &UserError{What: fmt.Sprintf("Cannot log in to %s as %s", inst, req.SSH.Username),
			Why: "the SSH server accepted neither the key nor a password",
			Fix: "Check the SSH user name in the settings and that your account may log in (OS Login roles, or the key in metadata).",
			Err: errors.Join(ErrSSHAuthFailed, err)}
		if keyErr != nil {
			ue.Why = "the SSH key could not be used (" + keyErr.Error() + ") and the server accepted no password"
		}
		return ue
	}
	var ce *tunnel.CloseError
	if errors.As(err, &ce) || errors.Is(err, tunnel.ErrSessionLost) {
		return connectError(req.Instance.InstanceRef, req.Port, err, surfaceOf(req))
	}
	return &UserError{What: fmt.Sprintf("Cannot open an SSH session to %s", inst),
		Why: "the SSH handshake failed: " + err.Error(),
		Fix: "Check that sshd runs on the VM and listens on port " + fmt.Sprint(req.Port) + ".", Err: err}
}

// surfaceOf is where req's errors are read.
func surfaceOf(req Request) surface {
	if req.CommandLine {
		return onCommandLine
	}
	return inWindow
}

// SessionEndedError explains why an embedded SSH session (a terminal tab,
// an SFTP pane) ended; nil for a normal end (exit, logout).
func SessionEndedError(ref InstanceRef, port int, err error) *UserError {
	if err == nil {
		return nil
	}
	if errors.Is(err, tunnel.ErrSessionLost) || errors.As(err, new(*tunnel.CloseError)) {
		return ConnectError(ref, port, err)
	}
	return &UserError{What: fmt.Sprintf("The SSH session to %s ended", ref.Name),
		Why: err.Error(), Fix: "Reconnect.", Err: err}
}
