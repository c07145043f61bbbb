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

	// StoppedSVG marks a VM that is not running whose OS is unknown.
	//
	//go:embed vm-stopped.svg
	StoppedSVG []byte

	// WindowsStoppedSVG marks a Windows VM that is not running: the
	// Windows icon greyed, with a stop mark.
	//
	//go:embed vm-windows-stopped.svg
	WindowsStoppedSVG []byte

	// LinuxStoppedSVG marks a Linux VM that is not running.
	//
	//go:embed vm-linux-stopped.svg
	LinuxStoppedSVG []byte

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
