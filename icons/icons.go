package icons

import _ "embed"

// App icon. The packages (.deb, tar.xz, Windows .ico, macOS .app) install
// the files in this directory; these copies are for the running app itself.
var (
	// AppPNG is the application icon as a 256×256 RGBA PNG (iapdesk.png),
	// for the window icon and the About dialog.
	//
	//go:embed iapdesk.png
	AppPNG []byte

	// AppSVG is the application icon as SVG (iapdesk.svg), the source the
	// PNG renderings are made from; it scales without blurring.
	//
	//go:embed iapdesk.svg
	AppSVG []byte
)
