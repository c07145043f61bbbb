// Package icons holds iapdesk's images, embedded into the binary: the app icon
// (icons.go) and the project tree's icons (tree.go). It exports raw bytes
// only, so it has no Fyne dependency; views wrap them as fyne.Resource.
//
// The app icon's PNG and ICO renderings (for the packages) are generated from
// iapdesk.svg by `make icons` (packaging/mkicons.sh) and committed.
package icons
