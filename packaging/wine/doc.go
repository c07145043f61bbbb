// Package wine runs the Windows build of iapdesk, the real iapdesk.exe that
// `make package-windows` builds, under Wine on Linux: its tests
// (TestE2EWindows…, run by `make test-windows`, part of `make test`) start
// it in a throwaway Wine prefix under build/wine and drive it through its
// command line against the fakes running on the Linux side of the same
// loopback (relaytest, gcetest, authtest, a real sshd).
//
// What Wine lacks is stood in for inside the test set-up only, never in
// what ships: shim/bcryptprimitives.c is a one-function DLL that Go's runtime
// needs and Wine 8.0 does not have, and probe (a Windows program) plays
// mstsc.exe, reads the Credential Manager and records its command line.
package wine
