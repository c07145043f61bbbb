//go:build darwin

package proxy

import (
	"context"
	"fmt"
	"os/exec"
)

// SystemSettings reads the system's proxy settings: on macOS, System
// Configuration's, through scutil --proxy (the auto-config URL, else the
// HTTPS proxy and its exceptions).
func SystemSettings(ctx context.Context) (System, error) {
	out, err := exec.CommandContext(ctx, "/usr/sbin/scutil", "--proxy").Output()
	if err != nil {
		return System{}, fmt.Errorf("scutil --proxy: %w", err)
	}
	return ParseScutilProxy(string(out)), nil
}
