package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"iapdesk/auth"
)

// writeCertPair writes a self-signed client certificate and its key as PEM
// files in dir and returns their paths.
func writeCertPair(t *testing.T, dir, cn string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+".key")
	writeFile(t, certPath, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyPath, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	return certPath, keyPath
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// leafCN is the common name of the certificate get hands out.
func leafCN(t *testing.T, d *auth.DeviceCertificate) string {
	t.Helper()
	c, err := d.GetClientCertificate(&tls.CertificateRequestInfo{})
	if err != nil {
		t.Fatalf("GetClientCertificate() error = %v", err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

// TestFindDeviceCertificate: the device certificate is found where Google's
// client libraries look (a workload certificate_config.json, SecureConnect's
// cert_provider_command), following GOOGLE_API_USE_CLIENT_CERTIFICATE in
// automatic mode; "on" without one is ErrNoDeviceCertificate and a broken
// configuration a *DeviceCertificateError.
func TestFindDeviceCertificate(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := writeCertPair(t, dir, "workload-device")
	scCert, scKey := writeCertPair(t, dir, "secureconnect-device")
	workload := filepath.Join(dir, "certificate_config.json")
	writeFile(t, workload, `{"cert_configs":{"workload":{"cert_path":"`+certPath+`","key_path":"`+keyPath+`"}}}`)
	helper := filepath.Join(dir, "helper.sh")
	writeFile(t, helper, "#!/bin/sh\ncat '"+scCert+"' '"+scKey+"'\n")
	if err := os.Chmod(helper, 0o700); err != nil {
		t.Fatal(err)
	}
	secureConnect := filepath.Join(dir, "context_aware_metadata.json")
	writeFile(t, secureConnect, `{"cert_provider_command":["`+helper+`","--print_certificate"]}`)
	failing := filepath.Join(dir, "failing.json")
	writeFile(t, failing, `{"cert_provider_command":["/bin/false"]}`)
	broken := filepath.Join(dir, "broken.json")
	writeFile(t, broken, `{"cert_configs":{"workload":{"cert_path":"`+certPath+`"}}}`)
	missingKey := filepath.Join(dir, "missing-key.json")
	writeFile(t, missingKey, `{"cert_configs":{"workload":{"cert_path":"`+certPath+`","key_path":"`+dir+`/nope.key"}}}`)
	none := filepath.Join(dir, "none.json")

	for _, tc := range []struct {
		name    string
		env     string // GOOGLE_API_USE_CLIENT_CERTIFICATE; "-" unset
		cfg     auth.DeviceCertificateConfig
		wantCN  string // "" wants no certificate
		wantErr error
	}{
		{"automatic finds the workload certificate", "-", auth.DeviceCertificateConfig{ConfigFile: workload, SecureConnectFile: none}, "workload-device", nil},
		{"environment true", "true", auth.DeviceCertificateConfig{ConfigFile: workload, SecureConnectFile: none}, "workload-device", nil},
		{"environment false", "false", auth.DeviceCertificateConfig{ConfigFile: workload, SecureConnectFile: none}, "", nil},
		{"off wins over the environment", "true", auth.DeviceCertificateConfig{Mode: auth.CertificateOff, ConfigFile: workload}, "", nil},
		{"workload before SecureConnect", "-", auth.DeviceCertificateConfig{ConfigFile: workload, SecureConnectFile: secureConnect}, "workload-device", nil},
		{"SecureConnect provider command", "-", auth.DeviceCertificateConfig{ConfigFile: none, SecureConnectFile: secureConnect}, "secureconnect-device", nil},
		{"automatic without any", "-", auth.DeviceCertificateConfig{ConfigFile: none, SecureConnectFile: none}, "", nil},
		{"on without any", "-", auth.DeviceCertificateConfig{Mode: auth.CertificateOn, ConfigFile: none, SecureConnectFile: none}, "", auth.ErrNoDeviceCertificate},
		{"environment true without any", "true", auth.DeviceCertificateConfig{ConfigFile: none, SecureConnectFile: none}, "", auth.ErrNoDeviceCertificate},
		{"workload without key_path", "-", auth.DeviceCertificateConfig{ConfigFile: broken, SecureConnectFile: none}, "", auth.ErrDeviceCertificate},
		{"workload key missing", "-", auth.DeviceCertificateConfig{ConfigFile: missingKey, SecureConnectFile: none}, "", auth.ErrDeviceCertificate},
		{"failing provider command", "-", auth.DeviceCertificateConfig{ConfigFile: none, SecureConnectFile: failing}, "", auth.ErrDeviceCertificate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env == "-" {
				t.Setenv(auth.EnvUseClientCertificate, "")
				os.Unsetenv(auth.EnvUseClientCertificate)
			} else {
				t.Setenv(auth.EnvUseClientCertificate, tc.env)
			}
			d, err := auth.FindDeviceCertificate(context.Background(), tc.cfg)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("FindDeviceCertificate(%+v) error = %v, want %v", tc.cfg, err, tc.wantErr)
			}
			defer d.Close()
			switch {
			case tc.wantCN == "" && d != nil:
				t.Fatalf("FindDeviceCertificate(%+v) = %v, want none", tc.cfg, d)
			case tc.wantCN != "" && d == nil:
				t.Fatalf("FindDeviceCertificate(%+v) = none, want %s", tc.cfg, tc.wantCN)
			case tc.wantCN != "":
				if got := leafCN(t, d); got != tc.wantCN {
					t.Errorf("FindDeviceCertificate(%+v) certificate = %q, want %q", tc.cfg, got, tc.wantCN)
				}
			}
		})
	}
}

// TestParseCertificateConfig reads the shapes gcloud and administrators
// write: a workload certificate, an enterprise certificate proxy config.
func TestParseCertificateConfig(t *testing.T) {
	for _, tc := range []struct {
		name, in     string
		wantWorkload bool
		wantECP      bool
		wantErr      bool
	}{
		{"workload", `{"cert_configs":{"workload":{"cert_path":"/c.pem","key_path":"/k.pem"}}}`, true, false, false},
		{"ecp linux", `{"cert_configs":{"pkcs11":{"slot":"0x1739427","label":"gecc","user_pin":"0000","module":"/usr/lib/softhsm/libsofthsm2.so"}},"libs":{"ecp":"/opt/ecp/bin/ecp","ecp_client":"/opt/ecp/lib/libecp.so","tls_offload":"/opt/ecp/lib/libtls_offload.so"}}`, false, true, false},
		{"ecp windows", `{"cert_configs":{"windows_store":{"store":"MY","provider":"current_user","issuer":"Google Endpoint Verification"}},"libs":{"ecp":"C:\\ecp\\ecp.exe"}}`, false, true, false},
		{"ecp without signer", `{"cert_configs":{"macos_keychain":{"issuer":"Google Endpoint Verification"}}}`, false, false, false},
		{"empty", `{}`, false, false, false},
		{"no key path", `{"cert_configs":{"workload":{"cert_path":"/c.pem"}}}`, false, false, true},
		{"not json", `cert_configs`, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := auth.ParseCertificateConfig([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseCertificateConfig(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if (c.Workload != nil) != tc.wantWorkload || c.ECP != tc.wantECP {
				t.Errorf("ParseCertificateConfig(%q) = %+v, want workload %v, ECP %v", tc.in, c, tc.wantWorkload, tc.wantECP)
			}
		})
	}
}

func FuzzParseCertificateConfig(f *testing.F) {
	f.Add([]byte(`{"cert_configs":{"workload":{"cert_path":"/c.pem","key_path":"/k.pem"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := auth.ParseCertificateConfig(b)
		if err != nil {
			return
		}
		if c.Workload != nil && (c.Workload.CertPath == "" || c.Workload.KeyPath == "") {
			t.Fatalf("ParseCertificateConfig(%q) = workload %+v with an empty path", b, *c.Workload)
		}
		if c.ECP && (c.Signer == "" || c.Workload != nil) {
			t.Fatalf("ParseCertificateConfig(%q) = %+v: ECP without a signer, or with a workload", b, c)
		}
	})
}

func FuzzParseSecureConnectMetadata(f *testing.F) {
	f.Add([]byte(`{"cert_provider_command":["/opt/google/endpoint-verification/bin/apihelper","--print_certificate"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := auth.ParseSecureConnectMetadata(b)
		if err == nil && (len(m.Command) == 0 || m.Command[0] == "") {
			t.Fatalf("ParseSecureConnectMetadata(%q) = %+v without a command", b, m)
		}
	})
}
