package app

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// SessionInfo describes a live session, for the quit confirmation: a client
// iapdesk started (an RDP client, a terminal running ssh, an app), or one
// the window embeds (a terminal tab, a file transfer).
type SessionInfo struct {
	Kind   string // what it is: "Remote Desktop", "SSH", "Terminal", …
	Target string // the VM or saved connection it is connected to
	Since  time.Time
}

// String is "Kind to Target", e.g. "Remote Desktop to iis-prod-01".
func (s SessionInfo) String() string {
	if s.Target == "" {
		return s.Kind
	}
	return s.Kind + " to " + s.Target
}

// SessionSet is the set of live sessions. Whatever starts a session adds it
// and calls the returned function when it ends, so that a new kind of
// session only has to register to be listed; the window asks before it
// quits while any is live. Safe for concurrent use; the zero value is
// ready to use.
type SessionSet struct {
	mu   sync.Mutex // guards next and live
	next uint64
	live map[uint64]SessionInfo
}

// Add registers a live session and returns the function that removes it
// (idempotent). A zero Since is now.
func (s *SessionSet) Add(info SessionInfo) (remove func()) {
	if info.Since.IsZero() {
		info.Since = time.Now()
	}
	s.mu.Lock()
	if s.live == nil {
		s.live = map[uint64]SessionInfo{}
	}
	s.next++
	id := s.next
	s.live[id] = info
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.live, id)
			s.mu.Unlock()
		})
	}
}

// List returns the live sessions, oldest first.
func (s *SessionSet) List() []SessionInfo {
	s.mu.Lock()
	out := make([]SessionInfo, 0, len(s.live))
	for _, info := range s.live {
		out = append(out, info)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b SessionInfo) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.String(), b.String())
	})
	return out
}

// sessionKind names the client a request launches, for SessionInfo.
func sessionKind(req Request) string {
	switch req.Protocol {
	case ProtocolRDP:
		return "Remote Desktop"
	case ProtocolSSH:
		return "SSH"
	case ProtocolApp:
		if req.App.Name != "" {
			return req.App.Name
		}
	}
	return req.Protocol.String()
}
