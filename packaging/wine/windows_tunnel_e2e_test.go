package wine_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"iapdesk/platform/systest"
	"iapdesk/tunnel/relaytest"
)

const (
	testProject = "wine-project"
	testZone    = "us-east1-b"
	testToken   = "wine-e2e-token"
)

// echoServer is a Linux TCP echo server on loopback: the VM's port the
// relay forwards to.
func echoServer(t *testing.T) string {
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
				_, _ = io.Copy(c, c)
			})
		}
	})
	return ln.Addr().String()
}

// relay starts relaytest (ws, or wss with its own CA) accepting testToken,
// and writes the token file and, for wss, the CA file iapdesk.exe gets
// through SSL_CERT_FILE.
func relay(t *testing.T, tls bool, faults relaytest.Faults) (srv *relaytest.Server, tokenFile string, env []string) {
	t.Helper()
	cfg := relaytest.Config{CheckToken: func(tok string) bool { return tok == testToken }, Faults: faults}
	if tls {
		srv = relaytest.NewTLSServer(cfg)
	} else {
		srv = relaytest.NewServer(cfg)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	tokenFile = filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(testToken+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tls {
		ca, err := srv.CA().WriteFile(dir)
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, "SSL_CERT_FILE="+winPath(t, ca))
	}
	return srv, tokenFile, env
}

// listeningRE is gcloud's line, which iapdesk prints on stderr once the
// port is ready.
var listeningRE = regexp.MustCompile(`^Listening on port \[(\d+)\]\.\r?$`)

// startTunnel starts `iapdesk.exe tunnel` with args and returns the port
// it listens on; the process is stopped when the test ends.
func startTunnel(t *testing.T, w *wineEnv, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := w.iapdesk(ctx, append([]string{"tunnel"}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel() // kills the Windows process
		_ = cmd.Wait()
		wg.Wait()
		if t.Failed() {
			t.Logf("iapdesk.exe tunnel stderr:\n%s", logs.String())
		}
	})
	sc := bufio.NewScanner(stderr)
	port := ""
	for sc.Scan() {
		logs.WriteString(sc.Text() + "\n")
		if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
			port = m[1]
			break
		}
	}
	if port == "" {
		cancel()
		_ = cmd.Wait()
		t.Fatalf("iapdesk.exe tunnel printed no 'Listening on port [N].' line:\n%s", logs.String())
	}
	wg.Go(func() {
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n") // read only after wg.Wait
		}
	})
	return port
}

// TestE2EWindowsTunnel: `iapdesk.exe tunnel` under Wine listens on a local
// port and carries 64 MiB both ways through relaytest (a Linux process on
// the same loopback) over ws and over wss, where it trusts the test CA
// only through SSL_CERT_FILE; the relay drops the connection twice on the
// way, and the echoed bytes still hash the same (resumed on
// /v4/reconnect, nothing lost or repeated).
func TestE2EWindowsTunnel(t *testing.T) {
	w := requireWine(t)
	echo := echoServer(t)
	const size = 64 << 20
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "ws", true: "wss"}[tls], func(t *testing.T) {
			srv, tokenFile, env := relay(t, tls, relaytest.Faults{
				// The connection check is the first session: drop the
				// second (the data) once in each direction.
				DropAfterRecv: []uint64{size / 3},
				DropAfterSent: []uint64{size * 2 / 3},
			})
			srv.Route(relaytest.VM(testProject, testZone, "vm-1", 7), echo)
			port := startTunnel(t, w, env, "vm-1", "7", "--project="+testProject, "--zone="+testZone,
				"--local-host-port=localhost:0", "--iap-tunnel-url-override="+srv.URL,
				"--access-token-file="+winPath(t, tokenFile))

			start := time.Now()
			sent, got := echoThrough(t, "127.0.0.1:"+port, size)
			if sent != got {
				t.Fatalf("sha256 sent %s, echoed back %s", sent, got)
			}
			t.Logf("%d MiB echoed through iapdesk.exe under Wine in %v (%.0f MB/s each way)",
				size>>20, time.Since(start).Round(time.Millisecond), float64(size)/1e6/time.Since(start).Seconds())

			reconnects := 0
			for _, h := range srv.Handshakes() {
				if h.Path == "/v4/reconnect" && h.Status == 101 {
					reconnects++
				}
			}
			if reconnects < 2 {
				t.Errorf("%d successful reconnects, want 2 (one per injected drop): %+v", reconnects, srv.Handshakes())
			}
		})
	}
}

// echoThrough writes size pseudo-random bytes to addr while reading the
// echo, and returns the SHA-256 of what it sent and of what came back.
func echoThrough(t *testing.T, addr string, size int) (sent, got string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var werr error
	hs := sha256.New()
	wg.Go(func() {
		rnd := rand.NewChaCha8([32]byte{1, 4, 14})
		buf := make([]byte, 256<<10)
		for n := 0; n < size; n += len(buf) {
			_, _ = rnd.Read(buf)
			hs.Write(buf)
			if _, werr = c.Write(buf); werr != nil {
				return
			}
		}
		werr = c.(*net.TCPConn).CloseWrite()
	})
	hr := sha256.New()
	n, rerr := io.Copy(hr, io.LimitReader(c, int64(size)))
	wg.Wait()
	if werr != nil {
		t.Fatalf("write to the tunnel: %v", werr)
	}
	if rerr != nil || n != int64(size) {
		t.Fatalf("read from the tunnel: %d of %d bytes, %v", n, size, rerr)
	}
	return hex.EncodeToString(hs.Sum(nil)), hex.EncodeToString(hr.Sum(nil))
}

// TestE2EWindowsSSHProxyCommand: Linux OpenSSH logs in to a real sshd with
// ProxyCommand="wine iapdesk.exe tunnel %h 22 --listen-on-stdin …": the
// Windows exe carries ssh's stream on its standard input and output (pipes
// from a Linux process) through the relay, over ws and wss.
func TestE2EWindowsSSHProxyCommand(t *testing.T) {
	w := requireWine(t)
	sshd := systest.StartSSHD(t, systest.SSHDConfig{})
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "ws", true: "wss"}[tls], func(t *testing.T) {
			srv, tokenFile, env := relay(t, tls, relaytest.Faults{})
			srv.Route(relaytest.VM(testProject, testZone, "vm-1", 22), sshd.Addr)
			proxy := fmt.Sprintf("wine %s tunnel %%h 22 --listen-on-stdin --project %s --zone %s --iap-tunnel-url-override %s --access-token-file %s",
				shellQuote(w.exe), testProject, testZone, srv.URL, shellQuote(winPath(t, tokenFile)))
			args := append(sshd.SSHArgs(t, "compute.vm-1"), "-o", "ProxyCommand="+proxy,
				sshd.User+"@vm-1", "echo hello-from-wine; echo $((6*7))")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "ssh", args...)
			cmd.Env = append(w.env(), env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("ssh through iapdesk.exe: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "hello-from-wine\n42\n") {
				t.Errorf("ssh output = %q, want hello-from-wine and 42", out)
			}
			if got := srv.Handshakes(); len(got) != 1 || got[0].Token != testToken {
				t.Errorf("relay handshakes = %+v, want 1 with the token file's token", got)
			}
		})
	}
}

// env returns the environment of the prefix's Wine processes.
func (w *wineEnv) env() []string { return append([]string(nil), w.base...) }

// errExit is the exit status of a finished command, or -1.
func errExit(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
