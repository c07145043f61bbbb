package proxy

import (
	"encoding/binary"
	"strings"
)

// ParseWinINetProxy turns WinINet's ProxyServer and ProxyOverride values
// into the HTTPS proxy and a NO_PROXY-style bypass list. ProxyServer is
// either one host:port for every protocol or per-protocol entries
// ("http=a:80;https=b:443"); ProxyOverride lists hosts separated by ";",
// with wildcards ("*.corp") and "<local>" for names without a dot.
func ParseWinINetProxy(server, override string) (proxy, bypass string) {
	server = strings.TrimSpace(server)
	if strings.Contains(server, "=") {
		var fallback string
		for e := range strings.SplitSeq(server, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(e), "=")
			if !ok {
				continue
			}
			switch strings.ToLower(k) {
			case "https":
				proxy = v
			case "http":
				fallback = v
			}
		}
		if proxy == "" {
			proxy = fallback
		}
	} else {
		proxy = server
	}
	var list []string
	for e := range strings.SplitSeq(override, ";") {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case e == "<local>":
			// NO_PROXY has no "plain names" entry; localhost is the one
			// that matters for iapdesk.
			list = append(list, "localhost", "127.0.0.1", "::1")
		case strings.HasPrefix(e, "*."):
			list = append(list, e[1:])
		default:
			list = append(list, strings.TrimPrefix(e, "*"))
		}
	}
	return strings.TrimSpace(proxy), strings.Join(list, ",")
}

// ParseWinHTTPSettings reads the WinHttpSettings registry blob netsh winhttp
// writes: a little-endian header (structure size, a counter, flags), then
// the proxy and the bypass list, each a 32-bit length and that many bytes.
// ok is false for a blob it cannot read; proxy is "" for a direct setting
// (flag 2, PROXY_TYPE_PROXY, not set).
func ParseWinHTTPSettings(b []byte) (proxy, bypass string, ok bool) {
	const header = 12
	if len(b) < header+4 {
		return "", "", false
	}
	flags := binary.LittleEndian.Uint32(b[8:12])
	rest := b[header:]
	read := func() (string, bool) {
		if len(rest) < 4 {
			return "", false
		}
		n := binary.LittleEndian.Uint32(rest[:4])
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			return "", false
		}
		s := string(rest[:n])
		rest = rest[n:]
		return s, true
	}
	proxy, ok = read()
	if !ok {
		return "", "", false
	}
	bypass, _ = read()
	if flags&2 == 0 {
		return "", "", true
	}
	return proxy, bypass, true
}

// ParseScutilProxy reads `scutil --proxy` output (a dictionary dump):
// ProxyAutoConfigEnable with ProxyAutoConfigURLString, else HTTPSEnable
// with HTTPSProxy and HTTPSPort, and ExceptionsList.
func ParseScutilProxy(out string) System {
	st := System{From: "System Configuration"}
	vals := map[string]string{}
	var exceptions []string
	inExceptions := false
	for line := range strings.SplitSeq(out, "\n") {
		line = strings.TrimSpace(line)
		if inExceptions {
			if line == "}" {
				inExceptions = false
				continue
			}
			if _, v, ok := strings.Cut(line, " : "); ok {
				exceptions = append(exceptions, strings.TrimSpace(v))
			}
			continue
		}
		k, v, ok := strings.Cut(line, " : ")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "ExceptionsList" && strings.HasPrefix(v, "<array>") {
			inExceptions = true
			continue
		}
		vals[k] = v
	}
	if vals["ProxyAutoConfigEnable"] == "1" && vals["ProxyAutoConfigURLString"] != "" {
		st.AutoConfigURL = vals["ProxyAutoConfigURLString"]
		return st
	}
	if vals["HTTPSEnable"] == "1" && vals["HTTPSProxy"] != "" {
		st.Proxy = vals["HTTPSProxy"]
		if p := vals["HTTPSPort"]; p != "" {
			st.Proxy += ":" + p
		}
		for i, e := range exceptions {
			exceptions[i] = strings.TrimPrefix(e, "*")
		}
		st.Bypass = strings.Join(exceptions, ",")
	}
	return st
}
