package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"iapdesk/app"
	"iapdesk/icons"
)

// Explorer icons, from package icons.
var (
	iconWindows = fyne.NewStaticResource("vm-windows.svg", icons.WindowsSVG)
	iconLinux   = fyne.NewStaticResource("vm-linux.svg", icons.LinuxSVG)
	iconStopped = fyne.NewStaticResource("vm-stopped.svg", icons.StoppedSVG)
	// A stopped VM keeps its OS's icon, greyed and with a stop mark.
	iconWindowsStopped = fyne.NewStaticResource("vm-windows-stopped.svg", icons.WindowsStoppedSVG)
	iconLinuxStopped   = fyne.NewStaticResource("vm-linux-stopped.svg", icons.LinuxStoppedSVG)
	iconError          = fyne.NewStaticResource("node-error.svg", icons.ErrorSVG)
	iconProject        = fyne.NewStaticResource("project.svg", icons.ProjectSVG)
	iconZone           = fyne.NewStaticResource("zone.svg", icons.ZoneSVG)
	iconApp            = fyne.NewStaticResource("iapdesk.png", icons.AppPNG)
)

// nodeIcon picks a tree node's icon.
func nodeIcon(n app.Node) fyne.Resource {
	switch n.Kind {
	case app.NodeProject:
		if n.Err != nil {
			return iconError
		}
		return iconProject
	case app.NodeZone:
		return iconZone
	case app.NodeInstance:
		running := n.Instance.Running()
		switch {
		case n.Instance.OS == app.OSWindows && running:
			return iconWindows
		case n.Instance.OS == app.OSWindows:
			return iconWindowsStopped
		case n.Instance.OS == app.OSLinux && running:
			return iconLinux
		case n.Instance.OS == app.OSLinux:
			return iconLinuxStopped
		case !running:
			return iconStopped
		}
		return iconLinux
	}
	return theme.QuestionIcon()
}
