package views

import (
	"sync"

	"iapdesk/app"
)

// Hub carries the app objects' change callbacks to the window: main passes
// hub.ExplorerChanged as app.ExplorerConfig.OnChange, hub.TunnelsChanged as
// app.TunnelsConfig.OnChange and hub.SessionEnded as
// app.ConnectorConfig.OnSessionEnd, before the window exists. Its methods
// are safe from any goroutine, never block, and do nothing until a window
// is attached. The zero value is ready to use.
type Hub struct {
	mu sync.Mutex // guards w
	w  *Window
}

// attach connects the hub to w; nil detaches it.
func (h *Hub) attach(w *Window) {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.w = w
	h.mu.Unlock()
}

func (h *Hub) window() *Window {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.w
}

// ExplorerChanged reports a new inventory, filter or tree state.
func (h *Hub) ExplorerChanged() {
	if w := h.window(); w != nil {
		w.do(w.explorerChanged)
	}
}

// TunnelsChanged reports a tunnel that opened or closed.
func (h *Hub) TunnelsChanged() {
	if w := h.window(); w != nil {
		w.do(w.tunnelsChanged)
	}
}

// SessionEnded reports a client (RDP client, terminal, app) that exited;
// the window shows why when it failed. A client that exited because the
// user closed its tunnel did not fail: the user asked for the disconnect.
func (h *Hub) SessionEnded(s *app.Session) {
	if w := h.window(); w != nil && s.Err() != nil && !s.ClosedByUser() {
		w.do(func() { w.sessionFailed(s) })
	}
}

// SignInURL shows the address of a browser sign-in, for when no browser
// opens (app.AccountsConfig.ShowURL).
func (h *Hub) SignInURL(url string) {
	if w := h.window(); w != nil {
		w.do(func() { w.signin.showURL(url) })
	}
}
