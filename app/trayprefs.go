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

// CloseChoice is what closing the window does while tunnels or sessions
// are open, where the desktop has a system tray: the user is asked the
// first time, and the answer is kept.
type CloseChoice string

// The choices.
const (
	CloseAsk    CloseChoice = ""     // not asked yet
	CloseToTray CloseChoice = "tray" // hide the window; iapdesk stays in the tray
	CloseQuits  CloseChoice = "quit" // quit, closing the tunnels
)

// TrayPrefsFile is the file of the close choice in the config directory.
const TrayPrefsFile = "tray.json"

// TrayPrefs keeps the CloseChoice in Dir/tray.json (0600, written
// atomically). It is an app-wide preference, not a connection setting:
// settings are inherited per project, zone and VM.
type TrayPrefs struct {
	path string
}

// NewTrayPrefs returns the store of the choice in dir.
func NewTrayPrefs(dir string) *TrayPrefs { return &TrayPrefs{path: filepath.Join(dir, TrayPrefsFile)} }

type trayPrefsFile struct {
	Close CloseChoice `json:"close"`
}

// Load returns the choice; CloseAsk when none was made (or the file is
// unreadable: the user is asked again).
func (p *TrayPrefs) Load(context.Context) (CloseChoice, error) {
	b, err := os.ReadFile(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return CloseAsk, nil
	}
	if err != nil {
		return CloseAsk, fmt.Errorf("read %s: %w", p.path, err)
	}
	var f trayPrefsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return CloseAsk, fmt.Errorf("read %s: %w", p.path, err)
	}
	switch f.Close {
	case CloseAsk, CloseToTray, CloseQuits:
		return f.Close, nil
	}
	return CloseAsk, fmt.Errorf("read %s: unknown close choice %q", p.path, f.Close)
}

// Save keeps c.
func (p *TrayPrefs) Save(_ context.Context, c CloseChoice) error {
	b, err := json.Marshal(trayPrefsFile{Close: c})
	if err != nil {
		return err
	}
	if err := atomicfile.Write(p.path, append(b, '\n')); err != nil {
		return fmt.Errorf("save the close choice: %w", err)
	}
	return nil
}
