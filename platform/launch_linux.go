package platform

import (
	"context"
	"errors"
	"os/exec"
)

// hostOS selects the launch plans for this OS.
const hostOS = "linux"

func applySysAttr(*exec.Cmd, sysAttr) {}

// writeCredential is only needed for mstsc on Windows.
func writeCredential(context.Context, *credential) (func() error, error) {
	return nil, errors.ErrUnsupported
}
