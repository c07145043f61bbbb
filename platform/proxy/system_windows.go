//go:build windows

package proxy

import (
	"context"
	"errors"
	"os"

	"golang.org/x/sys/windows/registry"
)

// internetSettings is WinINet's per-user key: what Internet Options (and
// Settings → Network → Proxy) write, and what administrators push by
// Group Policy.
const internetSettings = `Software\Microsoft\Windows\CurrentVersion\Internet Settings`

// SystemSettings reads the system's proxy settings: on Windows, WinINet's
// (AutoConfigURL, then ProxyEnable/ProxyServer/ProxyOverride), else the
// environment when HTTPS_PROXY is set, else the machine-wide WinHTTP
// settings (netsh winhttp set proxy).
func SystemSettings(context.Context) (System, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, internetSettings, registry.QUERY_VALUE)
	if err == nil {
		defer k.Close()
		st := System{From: "WinINet"}
		if v, _, err := k.GetStringValue("AutoConfigURL"); err == nil && v != "" {
			st.AutoConfigURL = v
			return st, nil
		}
		if on, _, err := k.GetIntegerValue("ProxyEnable"); err == nil && on != 0 {
			server, _, _ := k.GetStringValue("ProxyServer")
			override, _, _ := k.GetStringValue("ProxyOverride")
			st.Proxy, st.Bypass = ParseWinINetProxy(server, override)
			if st.Proxy != "" {
				return st, nil
			}
		}
	} else if !errors.Is(err, registry.ErrNotExist) {
		return System{}, err
	}
	if os.Getenv("HTTPS_PROXY") != "" || os.Getenv("https_proxy") != "" {
		return envSystem(), nil
	}
	wk, err := registry.OpenKey(registry.LOCAL_MACHINE, winHTTPConnections, registry.QUERY_VALUE)
	if err != nil {
		return System{From: "WinINet"}, nil
	}
	defer wk.Close()
	blob, _, err := wk.GetBinaryValue("WinHttpSettings")
	if err != nil {
		return System{From: "WinINet"}, nil
	}
	proxy, bypass, ok := ParseWinHTTPSettings(blob)
	if !ok || proxy == "" {
		return System{From: "WinHTTP"}, nil
	}
	p, b := ParseWinINetProxy(proxy, bypass)
	return System{From: "WinHTTP", Proxy: p, Bypass: b}, nil
}

// winHTTPConnections holds WinHttpSettings, written by netsh winhttp.
const winHTTPConnections = `SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections`
