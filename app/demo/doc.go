// Package demo builds iapdesk's demo world: the app's real use cases, built
// by the composition root (app/desk) on in-process fakes instead of
// Google's endpoints (gcetest for Compute Engine and Resource Manager,
// relaytest for the IAP relay, authtest for Google sign-in) with a demo
// organisation of a few projects and dozens of Windows and Linux VMs.
// Linux VMs' port 22 reaches a real SSH server (the system sshd, or a
// built-in one), Windows VMs' port 3389 reaches freerdp-shadow-cli when it
// is installed and a display is available.
//
// Other local users must not get in through the demo: its sshd would log
// them in as the user running it. So the servers behind the VMs have no TCP
// port: the relay reaches them in-process (sshd in inetd mode on a pipe,
// one process per connection; the built-in SSH and web servers over
// in-memory pipes; freerdp-shadow-cli on a Unix socket in the demo's 0700
// directory). The fakes that do listen on loopback each want a secret of
// this run: the Compute, Resource Manager and OS Login fake a random bearer
// token, the OAuth fake a random client ID and secret (and it has no
// metadata server), the relay a token from that OAuth fake; and the
// tunnels the demo opens accept only the same OS user.
//
// Everything lives in a temporary directory and in memory: the demo never
// touches the user's accounts, keyring entries, saved profiles or
// configuration. `iapdesk --demo` and `iapdesk ssh --demo` use it.
package demo
