package icons

import _ "embed"

// Project explorer icons, 24×24 SVG. Views wrap them as fyne.Resource.
var (
	// WindowsSVG marks a running Windows VM.
	//
	//go:embed vm-windows.svg
	WindowsSVG []byte

	// LinuxSVG marks a running Linux VM.
	//
	//go:embed vm-linux.svg
	LinuxSVG []byte

	// StoppedSVG marks a VM that is not running, of either OS.
	//
	//go:embed vm-stopped.svg
	StoppedSVG []byte

	// ErrorSVG marks a project whose VMs could not be listed.
	//
	//go:embed node-error.svg
	ErrorSVG []byte

	// ProjectSVG marks a project.
	//
	//go:embed project.svg
	ProjectSVG []byte

	// ZoneSVG marks a zone.
	//
	//go:embed zone.svg
	ZoneSVG []byte
)
