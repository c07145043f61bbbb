package cli_test

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/internal/cli"
	"iapdesk/tunnel/relaytest"
)

// banner is what the backend behind the relay says first, as sshd does.
const banner = "SSH-2.0-enterprise-e2e"

// mtlsWorld is a relay that requires client certificates from its CA
// (certificate-based access) routing vm-1:22 to a backend that sends the
// banner, the CA in a PEM file for SSL_CERT_FILE, an access token file,
// and a fresh $HOME and config directory.
type mtlsWorld struct {
	relay     *relaytest.Server
	caFile    string
	tokenFile string
	dir       string
}

func newMTLSWorld(t *testing.T) *mtlsWorld {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_, _ = io.WriteString(c, banner+"\r\n")
				_, _ = io.Copy(io.Discard, c)
			})
		}
	})
	w := &mtlsWorld{dir: t.TempDir()}
	w.relay = relaytest.NewTLSServer(relaytest.Config{RequireClientCertificate: true,
		CheckToken: func(tok string) bool { return tok == "mtls-token" }})
	t.Cleanup(w.relay.Close)
	w.relay.Route(relaytest.VM("p", "z", "vm-1", 22), ln.Addr().String())
	if w.caFile, err = w.relay.CA().WriteFile(w.dir); err != nil {
		t.Fatal(err)
	}
	w.tokenFile = filepath.Join(w.dir, "token")
	writeTestFile(t, w.tokenFile, "mtls-token\n", 0o600)
	home := filepath.Join(w.dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("IAPDESK_CONFIG_DIR", filepath.Join(w.dir, "config"))
	t.Setenv("IAPDESK_KEYRING", "memory")
	t.Setenv("SSL_CERT_FILE", w.caFile)
	for _, k := range []string{"GOOGLE_API_USE_CLIENT_CERTIFICATE", "GOOGLE_API_CERTIFICATE_CONFIG", "HTTPS_PROXY", "https_proxy",
		"CLOUDSDK_PROXY_ADDRESS", "CLOUDSDK_PROXY_USERNAME", "CLOUDSDK_PROXY_PASSWORD"} {
		t.Setenv(k, "")
	}
	return w
}

func writeTestFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// issue writes a client certificate of the relay's CA for device cn (PEM
// files) and returns their paths.
func (w *mtlsWorld) issue(t *testing.T, cn string) (certPath, keyPath string) {
	t.Helper()
	cc, err := w.relay.CA().IssueClient(cn)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(w.dir, cn+".pem"), filepath.Join(w.dir, cn+".key")
	writeTestFile(t, certPath, string(cc.CertPEM), 0o600)
	writeTestFile(t, keyPath, string(cc.KeyPEM), 0o600)
	return certPath, keyPath
}

// tunnelArgs are `iapdesk tunnel vm-1 22 --listen-on-stdin` to the world's
// relay (--iap-tunnel-url-override) plus extra.
func (w *mtlsWorld) tunnelArgs(extra ...string) []string {
	return append([]string{"tunnel", "vm-1", "22", "--project", "p", "--zone", "z", "--listen-on-stdin",
		"--iap-tunnel-url-override", w.relay.URL, "--access-token-file", w.tokenFile}, extra...)
}

// bannerWriter is the tunnel's stdout: it closes seen once the backend's
// banner has arrived.
type bannerWriter struct {
	mu   sync.Mutex // guards buf and once
	buf  strings.Builder
	seen chan struct{}
	once sync.Once
}

func (b *bannerWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if strings.Contains(b.buf.String(), banner) {
		b.once.Do(func() { close(b.seen) })
	}
	return len(p), nil
}

// runTunnel runs `iapdesk tunnel … --listen-on-stdin` in-process: stdin
// stays open until the banner came back through the tunnel (or the command
// ended), then closes, which ends the tunnel. It returns the exit status,
// whether the banner came through, and stderr.
func runTunnel(t *testing.T, args []string) (code int, gotBanner bool, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	inR, inW := io.Pipe()
	out := &bannerWriter{seen: make(chan struct{})}
	var errOut strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, args, app.Stdio{In: inR, Out: out, Err: &syncWriter{w: &errOut}}, nil)
	}()
	select {
	case <-out.seen:
		gotBanner = true
		inW.Close()
		code = <-done
	case code = <-done:
		inW.Close()
	}
	return code, gotBanner, errOut.String()
}

// syncWriter serialises writes to w (slog and the tunnel both write).
type syncWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestE2ETunnelDeviceCertificate is the issue's "must show": `iapdesk
// tunnel` with GOOGLE_API_USE_CLIENT_CERTIFICATE=true and a workload
// certificate_config.json reaches a relay that requires client
// certificates (through --iap-tunnel-url-override and SSL_CERT_FILE), as
// it does with a SecureConnect cert_provider_command; without the
// certificate it fails with a message that names the missing device
// certificate, and with a certificate of another CA with one that says it
// was refused.
func TestE2ETunnelDeviceCertificate(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T, w *mtlsWorld)
		wantCode   int
		wantDevice string   // the client certificate the relay saw
		wantErr    []string // on stderr
	}{
		{"workload certificate_config.json", func(t *testing.T, w *mtlsWorld) {
			cert, key := w.issue(t, "laptop-1")
			cfg := filepath.Join(w.dir, "certificate_config.json")
			writeTestFile(t, cfg, `{"cert_configs":{"workload":{"cert_path":"`+cert+`","key_path":"`+key+`"}}}`, 0o644)
			t.Setenv("GOOGLE_API_USE_CLIENT_CERTIFICATE", "true")
			t.Setenv("GOOGLE_API_CERTIFICATE_CONFIG", cfg)
		}, 0, "laptop-1", nil},
		{"SecureConnect cert_provider_command", func(t *testing.T, w *mtlsWorld) {
			cert, key := w.issue(t, "laptop-2")
			helper := filepath.Join(w.dir, "apihelper")
			writeTestFile(t, helper, "#!/bin/sh\n[ \"$1\" = --print_certificate ] || exit 3\ncat '"+cert+"' '"+key+"'\n", 0o700)
			sc := filepath.Join(os.Getenv("HOME"), ".secureConnect")
			if err := os.MkdirAll(sc, 0o700); err != nil {
				t.Fatal(err)
			}
			writeTestFile(t, filepath.Join(sc, "context_aware_metadata.json"),
				`{"cert_provider_command":["`+helper+`","--print_certificate"]}`, 0o644)
		}, 0, "laptop-2", nil},
		{"certificate required, none configured", func(*testing.T, *mtlsWorld) {
			t.Setenv("GOOGLE_API_USE_CLIENT_CERTIFICATE", "true")
		}, 1, "", []string{"device certificate", "certificate_config.json"}},
		{"relay demands a certificate iapdesk does not have", func(*testing.T, *mtlsWorld) {}, 1, "",
			[]string{"this organisation requires a device certificate", "GOOGLE_API_USE_CLIENT_CERTIFICATE"}},
		{"certificate of another CA", func(t *testing.T, w *mtlsWorld) {
			other, err := relaytest.NewCA()
			if err != nil {
				t.Fatal(err)
			}
			cc, err := other.IssueClient("stolen")
			if err != nil {
				t.Fatal(err)
			}
			cert, key := filepath.Join(w.dir, "o.pem"), filepath.Join(w.dir, "o.key")
			writeTestFile(t, cert, string(cc.CertPEM), 0o600)
			writeTestFile(t, key, string(cc.KeyPEM), 0o600)
			cfg := filepath.Join(w.dir, "certificate_config.json")
			writeTestFile(t, cfg, `{"cert_configs":{"workload":{"cert_path":"`+cert+`","key_path":"`+key+`"}}}`, 0o644)
			t.Setenv("GOOGLE_API_CERTIFICATE_CONFIG", cfg)
		}, 1, "", []string{"refused this device's certificate"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newMTLSWorld(t)
			tc.setup(t, w)
			code, gotBanner, stderr := runTunnel(t, w.tunnelArgs())
			if code != tc.wantCode {
				t.Fatalf("iapdesk tunnel = %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			if tc.wantCode == 0 {
				if !gotBanner {
					t.Errorf("the backend's banner did not come through the tunnel; stderr:\n%s", stderr)
				}
				hs := w.relay.Handshakes()
				if len(hs) == 0 || hs[len(hs)-1].ClientCertificate != tc.wantDevice {
					t.Errorf("relay handshakes %+v, want the client certificate %s", hs, tc.wantDevice)
				}
			}
			t.Logf("stderr:\n%s", stderr)
			for _, want := range tc.wantErr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr = %q, want it to contain %q", stderr, want)
				}
			}
		})
	}
}

// TestE2ETunnelProxyPAC: the relay behind a CONNECT proxy that demands
// Basic authentication, chosen by a PAC file (--proxy-pac-url) that routes
// the relay through it and everything else direct, with gcloud's proxy
// credentials from the environment; a wrong password is an error naming
// the proxy.
func TestE2ETunnelProxyPAC(t *testing.T) {
	for _, tc := range []struct {
		name, password string
		wantCode       int
		wantErr        string
	}{
		{"right password", "corp pass", 0, ""},
		{"wrong password", "guess", 1, "refused the user name and password (HTTP 407)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newMTLSWorld(t)
			cert, key := w.issue(t, "laptop-3")
			cfg := filepath.Join(w.dir, "certificate_config.json")
			writeTestFile(t, cfg, `{"cert_configs":{"workload":{"cert_path":"`+cert+`","key_path":"`+key+`"}}}`, 0o644)
			t.Setenv("GOOGLE_API_CERTIFICATE_CONFIG", cfg)
			px := relaytest.NewProxy("alice", "corp pass")
			t.Cleanup(px.Close)
			pac := filepath.Join(w.dir, "proxy.pac")
			_, relayPort, _ := net.SplitHostPort(w.relay.Addr)
			writeTestFile(t, pac, `function FindProxyForURL(url, host) {
  if (dnsDomainIs(host, ".googleapis.com")) return "DIRECT";
  if (shExpMatch(url, "https://127.0.0.1:`+relayPort+`/*")) return "PROXY `+px.Addr+`";
  return "DIRECT";
}`, 0o644)
			t.Setenv("CLOUDSDK_PROXY_USERNAME", "alice")
			t.Setenv("CLOUDSDK_PROXY_PASSWORD", tc.password)
			code, gotBanner, stderr := runTunnel(t, w.tunnelArgs("--proxy-pac-url", "file://"+pac, "--proxy-username", "alice"))
			if code != tc.wantCode {
				t.Fatalf("iapdesk tunnel = %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			if tc.wantCode != 0 {
				if !strings.Contains(stderr, tc.wantErr) || !strings.Contains(stderr, px.Addr) {
					t.Errorf("stderr = %q, want %q naming the proxy %s", stderr, tc.wantErr, px.Addr)
				}
				if strings.Contains(stderr, tc.password) {
					t.Errorf("stderr shows the proxy password: %q", stderr)
				}
				return
			}
			if !gotBanner {
				t.Errorf("the banner did not come through the proxy; stderr:\n%s", stderr)
			}
			if got := px.Connects(); len(got) == 0 || got[0] != w.relay.Addr {
				t.Errorf("proxy CONNECTs = %q, want %s (the relay)", got, w.relay.Addr)
			}
		})
	}
}
