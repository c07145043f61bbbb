// Package terminal is the terminal of iapdesk's SSH tabs: a screen model
// around the github.com/charmbracelet/x/vt emulator (Model, tested without
// a display), a Fyne widget that draws it and turns keys, the mouse wheel,
// selection and the clipboard into input (Terminal), and the glue that
// runs a Model on an SSH shell (Attach).
package terminal
