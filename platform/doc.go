// Package platform holds everything that differs between Linux, macOS and
// Windows: launching RDP clients, terminals running ssh, client applications
// and the browser, and the local peer check of the tunnel. OS code is split
// by filename suffix (launch_linux.go, launch_windows.go, launch_darwin.go,
// launch_other.go, peer_linux.go, peer_other.go); the command lines and
// files are built by plain Go (FreeRDPArgs, RDPFile, RemminaProfile,
// TerminalArgv, AppleScript, SSHArgs, SSHConfigBlock, ExpandTemplate) that
// is tested for every OS on any OS.
//
// # Passwords never on a command line
//
//   - FreeRDP 2 and 3 (xfreerdp3, sdl-freerdp3, xfreerdp, wlfreerdp): the
//     password is written as one line to the client's stdin pipe after it
//     started, with /u: and /d: on the command line and /from-stdin:force.
//     Without ":force" FreeRDP reads stdin only when the server asks for
//     credentials, which a server using TLS security (not NLA) never does:
//     the client then logs in with an empty password and is disconnected.
//     Certificate handling must be non-interactive (/cert:ignore, tofu,
//     deny or a fingerprint) because stdin is used up. FreeRDP reads at
//     most 511 bytes. Verified against freerdp-shadow-cli with PAM in
//     TestE2EFreeRDP.
//   - mstsc: the .rdp file holds no password; the login goes to the Windows
//     Credential Manager as a session-only TERMSRV/<host> domain password
//     and is deleted when mstsc exits or after Config.CredentialHold.
//   - Remmina and Windows App (macOS) ask the user: a .remmina profile only
//     takes the password 3DES-encrypted with the secret stored next to it in
//     remmina.pref, and Windows App ignores .rdp passwords.
//     Process.PromptsForPassword tells the caller.
package platform
