// Package atomicfile saves iapdesk's configuration and state files (saved
// connections, projects, the account list, SSH keys) so that neither a
// reader nor a crash ever sees half a file, and locks them between
// processes.
//
// It is a leaf: it imports only the standard library and golang.org/x/sys,
// so auth (which may not import platform) and app share one implementation.
// OS code is split by filename suffix, as in platform.
package atomicfile
