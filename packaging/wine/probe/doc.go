// Command probe is a Windows program for the Wine tests (packaging/wine),
// never shipped. Named mstsc.exe it stands in for Remote Desktop
// Connection, which Wine does not have: it records its command line, the
// .rdp file, the login it finds in the Credential Manager (as a SHA-256)
// and what the tunnel answers. Named ssh.exe it stands in for Windows
// OpenSSH the same way (command line, and the tunnel behind -p). Named
// iapdesk.exe it records its command line: what the shell hands the
// iap-rdp: handler. Otherwise:
//
//	probe creds                 list the Credential Manager (secrets as SHA-256)
//	probe secret set|get|delete KEY   through auth.KeyringStore (set: value on stdin)
//	probe args                  record its command line
//	probe lock PATH             hold PATH's file lock (atomicfile.Lock) until stdin ends
//	probe open URL              run the user's registered handler of URL's scheme, as the shell would
//	probe gui EXE [ARG…]        start EXE without standard handles, as Windows starts a GUI program
//
// Records go to $IAPDESK_PROBE_DIR as JSON. It does nothing elsewhere.
package main
