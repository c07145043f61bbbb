package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"iapdesk/platform/atomicfile"
)

// WindowState is how the user left the window, restored on the next start:
// its size, the split positions, the selected tab, the explorer's filter
// and the projects and zones they had expanded. Sizes are in the toolkit's
// device-independent units; zero values mean "as the window starts".
type WindowState struct {
	Width  float32 `json:"width,omitzero"`
	Height float32 `json:"height,omitzero"`
	// Split is the share of the width the left pane (tree or saved
	// connections) takes; TunnelsSplit the share of the height above the
	// tunnels panel.
	Split        float64  `json:"split,omitzero"`
	TunnelsSplit float64  `json:"tunnelsSplit,omitzero"`
	Tab          int      `json:"tab,omitzero"` // 0 Projects, 1 Saved connections
	Filter       Filter   `json:"filter,omitzero"`
	Expanded     []NodeID `json:"expanded,omitempty"`
}

// maxWindowStateFile bounds what LoadWindowState reads.
const maxWindowStateFile = 1 << 20

// WindowStateFile is the name of the window state file in the
// configuration directory.
const WindowStateFile = "window.json"

// WindowStateStore keeps the WindowState in window.json in a configuration
// directory. Safe for concurrent use (each Save replaces the file whole).
type WindowStateStore struct {
	path string
}

// NewWindowStateStore returns the store of window.json in dir.
func NewWindowStateStore(dir string) *WindowStateStore {
	return &WindowStateStore{path: filepath.Join(dir, WindowStateFile)}
}

// Load reads the state saved last. Without a file it returns the zero
// state; a damaged file is an error (the window then starts as new).
func (s *WindowStateStore) Load(ctx context.Context) (WindowState, error) {
	if err := ctx.Err(); err != nil {
		return WindowState{}, err
	}
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return WindowState{}, nil
	}
	if err != nil {
		return WindowState{}, fmt.Errorf("load window state: %w", err)
	}
	defer f.Close()
	var st WindowState
	dec := json.NewDecoder(&limitedReader{f, maxWindowStateFile})
	if err := dec.Decode(&st); err != nil {
		return WindowState{}, fmt.Errorf("load window state %s: %w", s.path, err)
	}
	return st.clean(), nil
}

// Save replaces the saved state, atomically, readable by the user only.
func (s *WindowStateStore) Save(ctx context.Context, st WindowState) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(st.clean(), "", "  ")
	if err != nil {
		return fmt.Errorf("save window state: %w", err)
	}
	if err := atomicfile.Write(s.path, append(data, '\n')); err != nil {
		return fmt.Errorf("save window state: %w", err)
	}
	return nil
}

// clean drops what a hand-edited file could hold that the window cannot
// use: sizes out of range, splits outside 0..1, an unknown tab.
func (st WindowState) clean() WindowState {
	if st.Width < 0 || st.Height < 0 || st.Width > 1e5 || st.Height > 1e5 {
		st.Width, st.Height = 0, 0
	}
	if st.Split <= 0 || st.Split >= 1 {
		st.Split = 0
	}
	if st.TunnelsSplit <= 0 || st.TunnelsSplit >= 1 {
		st.TunnelsSplit = 0
	}
	if st.Tab < 0 || st.Tab > 1 {
		st.Tab = 0
	}
	if st.Filter.OS < OSAny || st.Filter.OS > OSWindows {
		st.Filter.OS = OSAny
	}
	return st
}

// limitedReader fails a read past n bytes instead of ending silently.
type limitedReader struct {
	f *os.File
	n int64
}

func (r *limitedReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, fmt.Errorf("window state file is larger than %d bytes", maxWindowStateFile)
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	n, err := r.f.Read(p)
	r.n -= int64(n)
	return n, err
}
