// Package proxyreq reads the request of a proxy client, SOCKS5 (RFC 1928:
// CONNECT, no authentication, IPv4, IPv6 and domain names) or HTTP
// CONNECT (RFC 9110 §9.3.6), and writes the proxy's answer. It knows
// nothing of what the proxy connects to: `iapdesk gateway` (app.Gateway)
// routes the requests to VMs through IAP.
package proxyreq
