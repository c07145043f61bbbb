// Package proxy picks the HTTP proxy for each request of iapdesk's
// connections (the IAP relay's WebSocket, Google's APIs): the system's
// settings (the environment on Linux, WinINet on Windows, System
// Configuration on macOS, each with its auto-config URL), a manual proxy,
// or a proxy auto-config (PAC) file evaluated with a JavaScript engine
// (github.com/dop251/goja) and the standard PAC functions. Proxy
// credentials go in the proxy URL's user info, which Go's HTTP transport
// sends as Basic Proxy-Authorization on CONNECT.
package proxy
