package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	ecp "github.com/googleapis/enterprise-certificate-proxy/client"
	ecputil "github.com/googleapis/enterprise-certificate-proxy/client/util"
)

// CertificateMode says whether iapdesk presents the device certificate
// (certificate-based access, "context-aware access"): the user's "use my
// device certificate" setting.
type CertificateMode string

// Certificate modes.
const (
	// CertificateAuto follows GOOGLE_API_USE_CLIENT_CERTIFICATE when it is
	// set, and otherwise uses a device certificate when one is configured
	// (as Google's client libraries do).
	CertificateAuto CertificateMode = ""
	CertificateOn   CertificateMode = "on"  // always; none configured is an error
	CertificateOff  CertificateMode = "off" // never
)

// ParseCertificateMode reads "automatic" (or ""), "on" or "off".
func ParseCertificateMode(s string) (CertificateMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto", "automatic":
		return CertificateAuto, nil
	case "on", "true", "yes":
		return CertificateOn, nil
	case "off", "false", "no":
		return CertificateOff, nil
	}
	return "", fmt.Errorf("device certificate mode %q: want automatic, on or off", s)
}

// String is the mode as the settings show it.
func (m CertificateMode) String() string {
	if m == CertificateAuto {
		return "automatic"
	}
	return string(m)
}

// Environment variables of Google's client libraries that iapdesk follows.
const (
	// EnvUseClientCertificate turns the device certificate on ("true") or
	// off ("false") in automatic mode.
	EnvUseClientCertificate = "GOOGLE_API_USE_CLIENT_CERTIFICATE"
	// EnvCertificateConfig names certificate_config.json instead of
	// gcloud's default location.
	EnvCertificateConfig = "GOOGLE_API_CERTIFICATE_CONFIG"
)

// ErrNoDeviceCertificate reports that the device certificate is required
// (CertificateOn, or GOOGLE_API_USE_CLIENT_CERTIFICATE=true) but neither
// certificate_config.json nor SecureConnect's context_aware_metadata.json
// names one.
var ErrNoDeviceCertificate = errors.New("no device certificate configured")

// ErrDeviceCertificate reports a device certificate configuration that
// names a certificate iapdesk cannot use: a broken file, a certificate or
// key that does not load, a helper that fails.
var ErrDeviceCertificate = errors.New("device certificate unusable")

// DeviceCertificateError says which configuration failed and why. It
// unwraps to ErrDeviceCertificate and the cause.
type DeviceCertificateError struct {
	Path string // the configuration file
	Err  error
}

// Error names the file and the cause.
func (e *DeviceCertificateError) Error() string {
	return fmt.Sprintf("device certificate from %s: %v", e.Path, e.Err)
}

// Unwrap returns ErrDeviceCertificate and the cause.
func (e *DeviceCertificateError) Unwrap() []error { return []error{ErrDeviceCertificate, e.Err} }

// CertificateKind is where a device certificate comes from.
type CertificateKind string

// Device certificate sources, in the order they are looked for (that of
// cloud.google.com/go/auth's default certificate provider).
const (
	CertificateWorkload      CertificateKind = "workload certificate"
	CertificateECP           CertificateKind = "enterprise certificate proxy"
	CertificateSecureConnect CertificateKind = "SecureConnect"
)

// DeviceCertificateConfig says where to look for the device certificate.
// The zero value is the mode "automatic" and Google's default locations.
type DeviceCertificateConfig struct {
	Mode CertificateMode
	// ConfigFile is certificate_config.json; "": $GOOGLE_API_CERTIFICATE_CONFIG,
	// then gcloud's (~/.config/gcloud/certificate_config.json,
	// %APPDATA%\gcloud\certificate_config.json on Windows).
	ConfigFile string
	// SecureConnectFile is the legacy context_aware_metadata.json; "":
	// ~/.secureConnect/context_aware_metadata.json.
	SecureConnectFile string
	// HelperTimeout bounds one run of a SecureConnect cert_provider_command.
	// Zero: 30 s.
	HelperTimeout time.Duration
}

// DeviceCertificate is the device certificate found: Get is the TLS client
// certificate callback for the relay and the Google APIs (tls.Config
// GetClientCertificate). Close releases the enterprise certificate proxy's
// signer process, if one was started.
type DeviceCertificate struct {
	Kind CertificateKind
	Path string // the configuration file that named it

	get   func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	close func() error
}

// GetClientCertificate supplies the certificate for a TLS handshake.
func (d *DeviceCertificate) GetClientCertificate(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return d.get(cri)
}

// String describes the certificate's source, e.g. "workload certificate
// (from /home/u/.config/gcloud/certificate_config.json)".
func (d *DeviceCertificate) String() string { return fmt.Sprintf("%s (from %s)", d.Kind, d.Path) }

// Close releases what the certificate holds (the ECP signer process).
func (d *DeviceCertificate) Close() error {
	if d == nil || d.close == nil {
		return nil
	}
	return d.close()
}

// FindDeviceCertificate looks for the device certificate as Google's client
// libraries do: certificate_config.json's workload certificate
// (cert_configs.workload), else its enterprise certificate proxy (keys in
// the OS store, PKCS#11, the Windows certificate store or the macOS
// keychain, through the signer helper named in libs.ecp; via
// github.com/googleapis/enterprise-certificate-proxy/client), else
// SecureConnect's cert_provider_command. It returns nil and no error when
// the certificate is off, or in automatic mode when none is configured;
// ErrNoDeviceCertificate when it is on and none is configured; a
// *DeviceCertificateError when a configuration is broken.
func FindDeviceCertificate(ctx context.Context, cfg DeviceCertificateConfig) (*DeviceCertificate, error) {
	mode := cfg.Mode
	if mode == CertificateAuto {
		if v, ok := os.LookupEnv(EnvUseClientCertificate); ok && v != "" {
			on, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%s=%q: want true or false", EnvUseClientCertificate, v)
			}
			mode = CertificateOff
			if on {
				mode = CertificateOn
			}
		}
	}
	if mode == CertificateOff {
		return nil, nil
	}
	path := cfg.ConfigFile
	if path == "" {
		path = ecputil.GetConfigFilePathFromEnv()
	}
	if path == "" {
		path = ecputil.GetDefaultConfigFilePath()
	}
	d, err := certificateFromConfig(path)
	if d != nil || err != nil {
		return d, err
	}
	scPath := cfg.SecureConnectFile
	if scPath == "" {
		home, herr := os.UserHomeDir()
		if herr == nil {
			scPath = filepath.Join(home, ".secureConnect", "context_aware_metadata.json")
		}
	}
	if scPath != "" {
		timeout := cfg.HelperTimeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		d, err := secureConnectCertificate(ctx, scPath, timeout)
		if d != nil || err != nil {
			return d, err
		}
	}
	if mode == CertificateOn {
		return nil, fmt.Errorf("%w (looked for %s and %s)", ErrNoDeviceCertificate, path, scPath)
	}
	return nil, nil
}

// CertificateConfig is the part of certificate_config.json iapdesk reads.
type CertificateConfig struct {
	// Workload is cert_configs.workload: PEM files.
	Workload *WorkloadCertificate
	// ECP is set when the file configures the enterprise certificate
	// proxy: one of cert_configs' pkcs11, windows_store or macos_keychain,
	// and libs.ecp, the signer helper.
	ECP bool
	// Signer is libs.ecp.
	Signer string
}

// WorkloadCertificate is cert_configs.workload.
type WorkloadCertificate struct {
	CertPath string `json:"cert_path"`
	KeyPath  string `json:"key_path"`
}

// ecpSections are the cert_configs entries of the enterprise certificate
// proxy.
var ecpSections = []string{"pkcs11", "windows_store", "macos_keychain"}

// ParseCertificateConfig parses certificate_config.json (as written by
// `gcloud auth enterprise-certificate-config create` or an administrator).
// A file that configures neither a workload certificate nor the enterprise
// certificate proxy parses to the zero CertificateConfig.
func ParseCertificateConfig(b []byte) (CertificateConfig, error) {
	var f struct {
		CertConfigs map[string]json.RawMessage `json:"cert_configs"`
		Libs        struct {
			ECP string `json:"ecp"`
		} `json:"libs"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return CertificateConfig{}, fmt.Errorf("parse certificate_config.json: %w", err)
	}
	var c CertificateConfig
	if raw, ok := f.CertConfigs["workload"]; ok {
		var w WorkloadCertificate
		if err := json.Unmarshal(raw, &w); err != nil {
			return CertificateConfig{}, fmt.Errorf("parse certificate_config.json: cert_configs.workload: %w", err)
		}
		switch {
		case w.CertPath == "":
			return CertificateConfig{}, errors.New("cert_configs.workload has no cert_path")
		case w.KeyPath == "":
			return CertificateConfig{}, errors.New("cert_configs.workload has no key_path")
		}
		c.Workload = &w
		return c, nil
	}
	for _, s := range ecpSections {
		if _, ok := f.CertConfigs[s]; ok && f.Libs.ECP != "" {
			c.ECP, c.Signer = true, f.Libs.ECP
		}
	}
	return c, nil
}

// certificateFromConfig is the certificate certificate_config.json at path
// names, or nil when there is no such file or it names none.
func certificateFromConfig(path string) (*DeviceCertificate, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &DeviceCertificateError{Path: path, Err: err}
	}
	c, err := ParseCertificateConfig(b)
	if err != nil {
		return nil, &DeviceCertificateError{Path: path, Err: err}
	}
	switch {
	case c.Workload != nil:
		w := *c.Workload
		w.CertPath, w.KeyPath = expandHome(w.CertPath), expandHome(w.KeyPath)
		// Loaded now so a wrong path shows at once, and again on every
		// handshake so a renewed certificate is picked up.
		if _, err := tls.LoadX509KeyPair(w.CertPath, w.KeyPath); err != nil {
			return nil, &DeviceCertificateError{Path: path, Err: err}
		}
		get := func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, err := tls.LoadX509KeyPair(w.CertPath, w.KeyPath)
			if err != nil {
				return nil, &DeviceCertificateError{Path: path, Err: err}
			}
			return &cert, nil
		}
		return &DeviceCertificate{Kind: CertificateWorkload, Path: path, get: get}, nil
	case c.ECP:
		return ecpCertificate(path), nil
	}
	return nil, nil
}

// ecpCertificate starts the enterprise certificate proxy's signer on first
// use (ecp.Cred runs the helper libs.ecp names, which keeps the key in the
// OS store and signs the handshake) and keeps it until Close.
func ecpCertificate(path string) *DeviceCertificate {
	var (
		mu  sync.Mutex // guards key
		key *ecp.Key
	)
	get := func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		mu.Lock()
		defer mu.Unlock()
		if key == nil {
			k, err := ecp.Cred(path)
			if err != nil {
				return nil, &DeviceCertificateError{Path: path, Err: err}
			}
			key = k
		}
		return &tls.Certificate{Certificate: key.CertificateChain(), PrivateKey: key}, nil
	}
	closeFn := func() error {
		mu.Lock()
		defer mu.Unlock()
		if key == nil {
			return nil
		}
		err := key.Close()
		key = nil
		return err
	}
	return &DeviceCertificate{Kind: CertificateECP, Path: path, get: get, close: closeFn}
}

// SecureConnectMetadata is the part of context_aware_metadata.json (the
// legacy Endpoint Verification / SecureConnect configuration) iapdesk
// reads.
type SecureConnectMetadata struct {
	// Command prints the certificate and its key, in PEM, on stdout.
	Command []string `json:"cert_provider_command"`
}

// ParseSecureConnectMetadata parses context_aware_metadata.json.
func ParseSecureConnectMetadata(b []byte) (SecureConnectMetadata, error) {
	var m SecureConnectMetadata
	if err := json.Unmarshal(b, &m); err != nil {
		return SecureConnectMetadata{}, fmt.Errorf("parse context_aware_metadata.json: %w", err)
	}
	if len(m.Command) == 0 || m.Command[0] == "" {
		return SecureConnectMetadata{}, errors.New("context_aware_metadata.json has no cert_provider_command")
	}
	return m, nil
}

// secureConnectCertificate runs the cert_provider_command of the file at
// path once (so a broken helper shows now) and again whenever the cached
// certificate expires.
func secureConnectCertificate(ctx context.Context, path string, timeout time.Duration) (*DeviceCertificate, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil
	}
	if err != nil {
		return nil, &DeviceCertificateError{Path: path, Err: err}
	}
	m, err := ParseSecureConnectMetadata(b)
	if err != nil {
		return nil, &DeviceCertificateError{Path: path, Err: err}
	}
	argv := make([]string, len(m.Command))
	for i, a := range m.Command {
		argv[i] = os.ExpandEnv(a)
	}
	var (
		mu     sync.Mutex // guards cached
		cached *tls.Certificate
	)
	load := func(ctx context.Context) (*tls.Certificate, error) {
		mu.Lock()
		defer mu.Unlock()
		if cached != nil && !certificateExpired(cached) {
			return cached, nil
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		out, err := cmd.Output()
		if err != nil {
			return nil, &DeviceCertificateError{Path: path, Err: fmt.Errorf("run cert_provider_command %s: %w", argv[0], err)}
		}
		cert, err := tls.X509KeyPair(out, out)
		if err != nil {
			return nil, &DeviceCertificateError{Path: path, Err: fmt.Errorf("cert_provider_command %s printed no certificate and key: %w", argv[0], err)}
		}
		cached = &cert
		return cached, nil
	}
	if _, err := load(ctx); err != nil {
		return nil, err
	}
	get := func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		ctx := context.Background()
		if cri != nil {
			ctx = cri.Context()
		}
		return load(ctx)
	}
	return &DeviceCertificate{Kind: CertificateSecureConnect, Path: path, get: get}, nil
}

// certificateExpired reports whether the leaf of c has expired (or cannot
// be read).
func certificateExpired(c *tls.Certificate) bool {
	if len(c.Certificate) == 0 {
		return true
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	return err != nil || time.Now().After(leaf.NotAfter)
}

// expandHome expands a leading ~ and $HOME-style variables in a path from
// certificate_config.json.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			p = home + rest
		}
	}
	return os.ExpandEnv(p)
}
