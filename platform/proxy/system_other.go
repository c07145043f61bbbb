//go:build !windows && !darwin

package proxy

import "context"

// SystemSettings reads the system's proxy settings: on Linux and other
// Unix systems, the environment (HTTPS_PROXY, NO_PROXY), which desktop
// environments set from their own proxy settings.
func SystemSettings(context.Context) (System, error) { return envSystem(), nil }
