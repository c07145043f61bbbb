package desk

import "iapdesk/app"

// WindowState is where the window keeps its size, splits, tab, filter and
// expanded projects between starts: window.json in the configuration
// directory. (The demo's directory is its own and removed at exit, so the
// demo starts as new every time.)
func (d *Desk) WindowState() *app.WindowStateStore { return app.NewWindowStateStore(d.dir) }
