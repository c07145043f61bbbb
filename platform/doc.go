// Package platform holds everything that differs between Linux, macOS and
// Windows: launching RDP clients, terminals and the browser, URL handler
// registration, and local peer checks. OS code is split by filename suffix;
// the command lines are built by plain Go that is tested on every OS.
package platform
