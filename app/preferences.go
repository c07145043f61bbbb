package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"iapdesk/auth"
	"iapdesk/platform/atomicfile"
	"iapdesk/platform/proxy"
)

// Preferences are iapdesk's app-wide settings: Settings → Access (the
// device certificate) and Settings → Network (the proxy). They live in
// preferences.json in the config directory, not in the per-VM settings
// (app/settings): they are needed before any project or VM is known (the
// composition root builds the relay dialer and the API clients with them),
// and a proxy or a device certificate per VM would mean nothing. The proxy
// password is in the keyring (Credentials.ProxyPassword), never here.
type Preferences struct {
	// DeviceCertificate is "use my device certificate": automatic, on or
	// off.
	DeviceCertificate auth.CertificateMode `json:"device_certificate,omitempty"`
	// Proxy is the proxy setting.
	Proxy ProxyPreferences `json:"proxy"`
}

// ProxyPreferences is Settings → Network: system, manual or a PAC file,
// with the proxy's user name (its password is in the keyring).
type ProxyPreferences struct {
	Mode     proxy.Mode `json:"mode,omitempty"`
	Address  string     `json:"address,omitempty"`
	PACURL   string     `json:"pac_url,omitempty"`
	NoProxy  string     `json:"no_proxy,omitempty"`
	Username string     `json:"username,omitempty"`
}

// PreferencesFile is the name of the preferences under the config
// directory.
const PreferencesFile = "preferences.json"

// LoadPreferences reads dir/preferences.json; a missing file is the
// defaults (automatic device certificate, the system's proxy settings).
func LoadPreferences(dir string) (Preferences, error) {
	path := filepath.Join(dir, PreferencesFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Preferences{}, nil
	}
	if err != nil {
		return Preferences{}, fmt.Errorf("read preferences: %w", err)
	}
	var p Preferences
	if err := json.Unmarshal(b, &p); err != nil {
		return Preferences{}, fmt.Errorf("read preferences %s: %w", path, err)
	}
	if _, err := auth.ParseCertificateMode(string(p.DeviceCertificate)); err != nil {
		return Preferences{}, fmt.Errorf("read preferences %s: %w", path, err)
	}
	if _, err := proxy.ParseMode(string(p.Proxy.Mode)); err != nil {
		return Preferences{}, fmt.Errorf("read preferences %s: %w", path, err)
	}
	return p, nil
}

// SavePreferences writes p to dir/preferences.json (0600, atomically).
func SavePreferences(dir string, p Preferences) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save preferences: %w", err)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("save preferences: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, PreferencesFile), append(b, '\n')); err != nil {
		return fmt.Errorf("save preferences: %w", err)
	}
	return nil
}

// proxySecret is the keyring key of the proxy password of user.
func proxySecret(user string) SecretKey { return SecretKey("proxy-password:" + user) }

// ProxyPassword returns the proxy password kept for user; ok is false when
// none is.
func (c *Credentials) ProxyPassword(ctx context.Context, user string) (pw string, ok bool, err error) {
	v, err := c.store.Get(ctx, string(proxySecret(user)))
	if errors.Is(err, auth.ErrNotStored) {
		return "", false, nil
	}
	if err != nil {
		return "", false, keyringError("read the proxy password", err)
	}
	return v, true, nil
}

// SetProxyPassword keeps the proxy password of user in the keyring; an
// empty one deletes it.
func (c *Credentials) SetProxyPassword(ctx context.Context, user, pw string) error {
	if pw == "" {
		if err := c.store.Delete(ctx, string(proxySecret(user))); err != nil && !errors.Is(err, auth.ErrNotStored) {
			return keyringError("delete the proxy password", err)
		}
		return nil
	}
	if err := c.store.Set(ctx, string(proxySecret(user)), pw); err != nil {
		return keyringError("save the proxy password", err)
	}
	return nil
}

// PreferencesStore reads and writes the preferences and the proxy password
// (in the keyring) for Settings → Access and Settings → Network. Changes
// apply to the services opened after Save (the window restarts them).
type PreferencesStore struct {
	dir   string
	creds *Credentials
}

// NewPreferencesStore returns the store of the preferences in dir, with
// the proxy password in store.
func NewPreferencesStore(dir string, store SecretStore) (*PreferencesStore, error) {
	c, err := NewCredentials(store)
	if err != nil {
		return nil, err
	}
	return &PreferencesStore{dir: dir, creds: c}, nil
}

// Load returns the preferences and the proxy user's password ("" when none
// is kept).
func (s *PreferencesStore) Load(ctx context.Context) (Preferences, string, error) {
	p, err := LoadPreferences(s.dir)
	if err != nil {
		return Preferences{}, "", &UserError{What: "Cannot read the access and network settings", Why: err.Error(),
			Fix: "Fix or delete " + filepath.Join(s.dir, PreferencesFile) + ".", Err: err}
	}
	if p.Proxy.Username == "" {
		return p, "", nil
	}
	pw, _, err := s.creds.ProxyPassword(ctx, p.Proxy.Username)
	return p, pw, err
}

// Save checks and writes the preferences, and keeps password for the proxy
// user in the keyring ("" deletes it).
func (s *PreferencesStore) Save(ctx context.Context, p Preferences, password string) error {
	if p.Proxy.Mode == proxy.ModeManual {
		if _, err := proxy.ParseAddress(p.Proxy.Address); err != nil {
			return &UserError{What: "Cannot save the proxy setting", Why: err.Error(), Fix: "Enter the proxy as host:port.", Err: err}
		}
	}
	if p.Proxy.Mode == proxy.ModePAC && p.Proxy.PACURL == "" {
		return &UserError{What: "Cannot save the proxy setting", Why: "no PAC file address", Fix: "Enter the address of the PAC file (http, https or file)."}
	}
	if p.Proxy.Username != "" {
		if err := s.creds.SetProxyPassword(ctx, p.Proxy.Username, password); err != nil {
			return err
		}
	}
	if err := SavePreferences(s.dir, p); err != nil {
		return &UserError{What: "Cannot save the access and network settings", Why: err.Error(), Err: err}
	}
	return nil
}
