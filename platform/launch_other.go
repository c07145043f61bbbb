//go:build !windows && !darwin && !linux

package platform

import (
	"context"
	"errors"
	"os/exec"
)

// hostOS is empty: launching clients is not supported here, and every
// Launch returns errors.ErrUnsupported.
const hostOS = ""

func applySysAttr(*exec.Cmd, sysAttr) {}

func writeCredential(context.Context, *credential) (func() error, error) {
	return nil, errors.ErrUnsupported
}
