// Package demo builds iapdesk's demo world: the app's real use cases wired to
// in-process fakes (gcetest for Compute Engine and Resource Manager,
// relaytest for the IAP relay, authtest for Google sign-in) with a demo
// organisation of a few projects and dozens of Windows and Linux VMs.
// Linux VMs' port 22 reaches a real SSH server on loopback (the system sshd,
// or a built-in one), Windows VMs' port 3389 reaches freerdp-shadow-cli when
// it is installed and a display is available.
//
// Everything lives in a temporary directory and in memory: the demo never
// touches the user's accounts, keyring entries, saved profiles or
// configuration. `iapdesk --demo` and `iapdesk ssh --demo` use it.
package demo
