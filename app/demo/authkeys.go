package demo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"iapdesk/app"
)

// The demo's sshd learns which keys a VM accepts the way a real VM's sshd
// does with OS Login (AuthorizedKeysCommand /usr/bin/google_authorized_keys):
// by running a command at login. The command asks the fake Compute API
// (gcetest's /iapdesk-test/authorized-keys, which applies the guest agent's
// rules: ssh-keys, block-project-ssh-keys, enable-oslogin, expiry) for the
// VM the connection is for.
//
// sshd runs an AuthorizedKeysCommand only from a root-owned path that no one
// else can write to, which a non-root user cannot create. So the command
// is /usr/bin/env (root-owned everywhere) running this very binary with
// envAuthorizedKeys set, and init below answers such a run before main:
// iapdesk, and any test binary that links the demo, can be the command.
//
// The API wants the demo's bearer token. sshd gives the command a minimal
// environment and the command line is public (ps, /proc), so the command
// line names only the file holding the token, which is 0600 in the demo's
// 0700 directory: the command runs as the demo's user, who alone reads it.

// envAuthorizedKeys holds the URL (with project, zone and instance) that
// the AuthorizedKeysCommand run fetches; the user is the first argument.
const envAuthorizedKeys = "IAPDESK_DEMO_AUTHORIZED_KEYS"

// envTokenFile names the file holding the API's bearer token.
const envTokenFile = "IAPDESK_DEMO_TOKEN_FILE"

// envPath is the root-owned program sshd runs as AuthorizedKeysCommand.
const envPath = "/usr/bin/env"

func init() {
	if u := os.Getenv(envAuthorizedKeys); u != "" {
		os.Exit(authorizedKeysCommand(u, os.Getenv(envTokenFile), os.Args[1:], os.Stdout, os.Stderr))
	}
}

// authorizedKeysCommand prints the authorized_keys lines of base for the
// user args[0], authenticating with the bearer token in tokenFile, and
// returns the exit status.
func authorizedKeysCommand(base, tokenFile string, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" || tokenFile == "" {
		fmt.Fprintln(stderr, "usage: "+envAuthorizedKeys+"=URL "+envTokenFile+"=FILE iapdesk USER")
		return 2
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	req, err := http.NewRequest(http.MethodGet, base+"&user="+url.QueryEscape(args[0]), nil)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, resp.Status)
		return 1
	}
	if _, err := io.Copy(stdout, io.LimitReader(resp.Body, 1<<20)); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// KeysCommandConfig returns the sshd_config lines that make an sshd ask the
// fake API at gceURL (gcetest's /iapdesk-test/authorized-keys) which keys
// the VM ref accepts, as a real VM's sshd asks its guest agent: an
// AuthorizedKeysCommand, run as login, that is this very program (any
// program that links this package answers such a run before main),
// authenticating with the bearer token in tokenFile (keep it 0600). It
// fails when this system has no /usr/bin/env.
func KeysCommandConfig(gceURL, tokenFile string, ref app.InstanceRef, login string) ([]string, error) {
	if _, err := os.Stat(envPath); err != nil {
		return nil, fmt.Errorf("no %s for sshd's AuthorizedKeysCommand: %w", envPath, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program for sshd's AuthorizedKeysCommand: %w", err)
	}
	q := url.Values{"project": {ref.Project}, "zone": {ref.Zone}, "instance": {ref.Name}}
	u := gceURL + "/iapdesk-test/authorized-keys?" + q.Encode()
	return []string{
		fmt.Sprintf("AuthorizedKeysCommand %s %s=%s %s=%s %s %%u", envPath,
			envAuthorizedKeys, sshdQuote(u), envTokenFile, sshdQuote(tokenFile), sshdQuote(exe)),
		"AuthorizedKeysCommandUser " + login,
	}, nil
}

// authorizedKeysCommandOptions are KeysCommandConfig as sshd -o options.
func authorizedKeysCommandOptions(gceURL, tokenFile string, ref app.InstanceRef, login string) ([]string, error) {
	lines, err := KeysCommandConfig(gceURL, tokenFile, ref, login)
	if err != nil {
		return nil, err
	}
	var opts []string
	for _, l := range lines {
		opts = append(opts, "-o", l)
	}
	return opts, nil
}

// sshdQuote quotes an AuthorizedKeysCommand argument: sshd splits the
// command at spaces, honouring double quotes and backslashes, and expands
// %-tokens in each argument.
func sshdQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if !strings.ContainsAny(s, " \t\"\\'") {
		return s
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// keyAccepted reports whether the VM would let user in with key: the demo
// key, or a key published to it (the built-in server's check, the same
// rules as the sshd's AuthorizedKeysCommand).
func (k *sshKeys) keyAccepted(gce keySource, ref app.InstanceRef, user string, key ssh.PublicKey) (bool, error) {
	if bytes.Equal(key.Marshal(), k.userPub.Marshal()) {
		return true, nil
	}
	if gce == nil {
		return false, nil
	}
	lines, err := gce.AuthorizedKeys(ref.Project, ref.Zone, ref.Name, user)
	if err != nil {
		return false, err
	}
	var errs []error
	for _, l := range lines {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(l))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if bytes.Equal(pub.Marshal(), key.Marshal()) {
			return true, nil
		}
	}
	return false, errors.Join(errs...)
}

// keySource says which keys a VM accepts: *gcetest.Server.
type keySource interface {
	AuthorizedKeys(project, zone, name, user string) ([]string, error)
}
