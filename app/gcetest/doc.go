// Package gcetest is a fake Compute Engine, Cloud Resource Manager (v1) and
// OS Login (v1) server on loopback, for tests and the demo mode.
//
// Like net/http/httptest it runs a real HTTP server; the real
// google.golang.org/api clients talk to it through the options returned by
// [Server.ComputeOptions], [Server.ResourceManagerOptions] and
// [Server.OSLoginOptions]. It answers with Google's JSON shapes (64-bit
// integers as strings, https://www.googleapis.com/compute/v1/… resource
// URLs), pagination tokens, partial responses (the fields parameter) and
// Google's error bodies, so the googleapi.Error a client sees is the one the
// real API would produce.
//
// Beyond listing, it keeps instance and project metadata with fingerprints
// (412 on a stale one), zonal and global operations that go PENDING → DONE,
// instance start/stop/reset, serial port output kept in a ring buffer, an
// emulated Windows guest agent that answers windows-keys password requests on
// serial port 4, an OS Login user store, and a test-only endpoint
// (/iapdesk-test/authorized-keys) that says which SSH keys a VM would accept.
//
// Only tests and the demo wiring may import this package.
package gcetest
