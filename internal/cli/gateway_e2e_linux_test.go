//go:build linux

package cli_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/internal/cli"
	"iapdesk/platform/systest"
	"iapdesk/tunnel/relaytest"
)

// lockedBuffer collects a command's stderr while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
	// listening receives the first "Listening on ADDR." line's ADDR.
	listening chan string
	line      strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	for _, c := range string(p) {
		if c != '\n' {
			l.line.WriteRune(c)
			continue
		}
		if a, ok := strings.CutPrefix(l.line.String(), "Listening on "); ok && l.listening != nil {
			l.listening <- strings.TrimSuffix(a, ".")
			l.listening = nil
		}
		l.line.Reset()
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startGateway runs `iapdesk gateway ARGS…` in-process until the test
// ends and returns its address and its stderr.
func startGateway(t *testing.T, args ...string) (string, *lockedBuffer) {
	t.Helper()
	t.Setenv("IAPDESK_KEYRING", "memory")
	listening := make(chan string, 1)
	errOut := &lockedBuffer{listening: listening}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, append([]string{"gateway"}, args...), app.Stdio{In: strings.NewReader(""), Out: io.Discard, Err: errOut}, nil)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("iapdesk gateway exited %d after an interrupt, want 0\n%s", code, errOut)
		}
	})
	select {
	case addr := <-listening:
		return addr, errOut
	case code := <-done:
		done <- code
		t.Fatalf("iapdesk gateway exited %d before listening:\n%s", code, errOut)
	case <-time.After(60 * time.Second):
		t.Fatalf("iapdesk gateway did not listen within 60 s:\n%s", errOut)
	}
	return "", nil
}

// webVM is an HTTP server standing for a VM's web port: it says which.
func webVM(t *testing.T, name string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s %s\n", name, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestE2EGatewayCurl: real curl through `iapdesk gateway`, by SOCKS5
// (--socks5-hostname: the gateway resolves INSTANCE.ZONE.PROJECT) and by
// HTTP CONNECT (--proxytunnel), to HTTP servers behind the relay; 20 curls
// at once to 3 VM ports share 3 tunnels; and a route IAP refuses (close
// 4003: nothing listens on the VM's port) answers SOCKS5's "connection
// refused" and HTTP 502, with the reason in the gateway's log.
func TestE2EGatewayCurl(t *testing.T) {
	curl := systest.Require(t, "curl")[0]
	const project, zone = "e2e-project", "us-east1-b"
	relay := relaytest.NewServer(relaytest.Config{CheckToken: func(tok string) bool { return tok == e2eToken },
		Dial: func(ctx context.Context, t relaytest.Target) (net.Conn, error) {
			return nil, errors.New("connection refused") // close 4003
		}})
	t.Cleanup(relay.Close)
	type route struct {
		vm   string
		port int
	}
	routes := []route{{"web-1", 80}, {"web-1", 8080}, {"web-2", 80}}
	for _, r := range routes {
		relay.Route(relaytest.VM(project, zone, r.vm, r.port), webVM(t, fmt.Sprintf("%s:%d", r.vm, r.port)))
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("IAPDESK_CONFIG_DIR", "")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(e2eToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, log := startGateway(t, "--listen=127.0.0.1:0", "--iap-tunnel-url-override="+relay.URL,
		"--access-token-file="+tokenFile, "--compute-endpoint=http://127.0.0.1:1/compute/v1/", "-v")

	curlGet := func(mode string, r route, path string) (string, error) {
		url := fmt.Sprintf("http://%s.%s.%s:%d%s", r.vm, zone, project, r.port, path)
		args := []string{"--silent", "--show-error", "--fail", "--max-time", "60", "--noproxy", "", url}
		if mode == "socks5" {
			args = append(args, "--socks5-hostname", addr)
		} else {
			args = append(args, "--proxytunnel", "--proxy", "http://"+addr)
		}
		cmd := exec.Command(curl, args...)
		cmd.Env = append(os.Environ(), "http_proxy=", "https_proxy=", "HTTPS_PROXY=", "ALL_PROXY=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, mode := range []string{"socks5", "connect"} {
		out, err := curlGet(mode, routes[0], "/"+mode)
		if want := "hello from web-1:80 /" + mode + "\n"; err != nil || out != want {
			t.Errorf("curl through the gateway (%s) = %q, %v; want %q\n%s", mode, out, err, want, log)
		}
	}

	const clients = 20
	var wg sync.WaitGroup
	for i := range clients {
		r := routes[i%len(routes)]
		mode := []string{"socks5", "connect"}[i%2]
		wg.Go(func() {
			out, err := curlGet(mode, r, fmt.Sprintf("/client-%d", i))
			if want := fmt.Sprintf("hello from %s:%d /client-%d\n", r.vm, r.port, i); err != nil || out != want {
				t.Errorf("curl %d (%s) = %q, %v; want %q", i, mode, out, err, want)
			}
		})
	}
	wg.Wait()
	opened := strings.Count(log.String(), "gateway route open")
	if opened != len(routes) {
		t.Errorf("the gateway opened %d routes (tunnels) for %d clients to %d VM ports, want %d:\n%s", opened, clients+2, len(routes), len(routes), log)
	}

	refused := route{"web-9", 80} // routed nowhere: the relay's backend dial fails
	out, err := curlGet("socks5", refused, "/")
	var ee *exec.ExitError
	// curl shows the SOCKS5 reply code: 5, connection refused.
	if !errors.As(err, &ee) || !strings.Contains(out, "SOCKS5") || !strings.Contains(out, "(5)") {
		t.Errorf("curl --socks5-hostname to a refused route = %q, %v; want SOCKS5 reply 5 (connection refused)", out, err)
	}
	out, err = curlGet("connect", refused, "/")
	if !errors.As(err, &ee) || !strings.Contains(out, "502") {
		t.Errorf("curl --proxytunnel to a refused route = %q, %v; want CONNECT answered 502", out, err)
	}
	if logs := log.String(); !strings.Contains(logs, "gateway route refused") || !strings.Contains(logs, "4003") {
		t.Errorf("the gateway's log does not give the reason for the refused route:\n%s", logs)
	}
}
