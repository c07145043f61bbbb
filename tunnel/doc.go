// Package tunnel is a client for Google's IAP TCP-forwarding protocol (relay
// v4): a net.Conn over a WebSocket that survives reconnects without losing or
// duplicating a byte, and a Forwarder that serves local TCP connections
// through it. It knows nothing of Fyne or of the Compute Engine API.
package tunnel
