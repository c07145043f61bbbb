package wine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"iapdesk/app/gcetest"
	"iapdesk/tunnel/relaytest"
)

// probeRecord is what probe writes (packaging/wine/probe Record).
type probeRecord struct {
	Args               []string `json:"args"`
	RDPFile            string   `json:"rdp_file"`
	RDP                string   `json:"rdp"`
	CredTarget         string   `json:"cred_target"`
	CredUser           string   `json:"cred_user"`
	CredPasswordSHA256 string   `json:"cred_password_sha256"`
	CredError          string   `json:"cred_error"`
	TunnelReply        string   `json:"tunnel_reply"`
}

// probeRecords reads the records of kind ("mstsc", "ssh", "iapdesk") in dir.
func probeRecords(t *testing.T, dir, kind string) []probeRecord {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, kind+"-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []probeRecord
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var r probeRecord
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// helloServer answers each connection's first line L with "hello L": the
// VM's port, as far as the stand-ins can tell. Connections still open when
// the test ends (the connection check's, which sends nothing) are closed.
func helloServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns and closed
	conns := map[net.Conn]bool{}
	closed := false
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			if closed {
				c.Close()
			}
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				_ = c.SetDeadline(time.Now().Add(time.Minute))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err == nil {
					_, _ = c.Write([]byte("hello " + line))
				}
			})
		}
	})
	return ln.Addr().String()
}

// TestE2EWindowsRDP: `iapdesk.exe rdp` under Wine launches Remote Desktop
// the Windows way, observed through the mstsc.exe stand-in (probe) in
// system32: it reads the VM from the Compute API (gcetest), opens the
// tunnel, writes a UTF-16 .rdp file pointing at it and hands the password
// (read from stdin) to the Credential Manager as TERMSRV/127.0.0.1, never
// on a command line or in the file; mstsc reaches the VM's port through
// the tunnel. When mstsc exits, the .rdp file and the credential are gone.
func TestE2EWindowsRDP(t *testing.T) {
	w := requireWine(t)
	gce, err := gcetest.NewServer(gcetest.Config{
		AccessToken: testToken,
		Projects: []gcetest.Project{{ID: testProject, Instances: []gcetest.Instance{
			{Name: "win-1", Zone: testZone, OS: gcetest.Windows, ID: 4711},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gce.Close)
	srv, tokenFile, env := relay(t, false, relaytest.Faults{})
	srv.Route(relaytest.VM(testProject, testZone, "win-1", 3389), helloServer(t))
	probeDir := t.TempDir()

	const password = `Pa55 "wörd" & ^%PATH%`
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := w.iapdesk(ctx, "rdp", "win-1", "--project="+testProject, "--zone="+testZone, "--user=alice",
		"--password-stdin", "--compute-endpoint="+gce.URL+"/compute/v1/",
		"--iap-tunnel-url-override="+srv.URL, "--access-token-file="+winPath(t, tokenFile))
	cmd.Env = append(cmd.Env, env...)
	cmd.Env = append(cmd.Env, "IAPDESK_PROBE_DIR="+winPath(t, probeDir))
	cmd.Stdin = strings.NewReader(password + "\r\n")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("iapdesk.exe rdp ran %v", time.Since(start))
	if err != nil {
		t.Fatalf("iapdesk.exe rdp: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Connected to win-1 through 127.0.0.1:") {
		t.Errorf("iapdesk.exe rdp printed %q, want the tunnel's port", out)
	}

	recs := probeRecords(t, probeDir, "mstsc")
	if len(recs) != 1 {
		t.Fatalf("mstsc started %d times, want once: %+v", len(recs), recs)
	}
	r := recs[0]
	if len(r.Args) != 2 || !strings.EqualFold(r.Args[0], `C:\windows\system32\mstsc.exe`) || !strings.HasSuffix(r.Args[1], ".rdp") {
		t.Errorf("mstsc command line = %q, want [C:\\windows\\system32\\mstsc.exe FILE.rdp]", r.Args)
	}
	for _, a := range r.Args {
		if strings.Contains(a, "Pa55") {
			t.Errorf("the password is on mstsc's command line: %q", r.Args)
		}
	}
	for _, want := range []string{"full address:s:127.0.0.1:", "username:s:alice\r\n", "prompt for credentials:i:0\r\n"} {
		if !strings.Contains(r.RDP, want) {
			t.Errorf(".rdp file lacks %q:\n%s", want, r.RDP)
		}
	}
	if strings.Contains(r.RDP, "Pa55") || strings.Contains(r.RDP, "password") {
		t.Errorf(".rdp file holds a password:\n%s", r.RDP)
	}
	if r.CredTarget != "TERMSRV/127.0.0.1" || r.CredUser != "alice" || r.CredPasswordSHA256 != sha(password) {
		t.Errorf("mstsc found credential %s user %q password sha256 %s (error %q), want TERMSRV/127.0.0.1, alice and the password",
			r.CredTarget, r.CredUser, r.CredPasswordSHA256, r.CredError)
	}
	if r.TunnelReply != "hello mstsc" {
		t.Errorf("through the .rdp file's address mstsc got %q, want %q from the VM's port", r.TunnelReply, "hello mstsc")
	}

	rdp, err := w.unixPath(r.Args[len(r.Args)-1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rdp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the .rdp file %s is still there after mstsc exited (%v)", r.Args[len(r.Args)-1], err)
	}
	if c, ok := w.creds(t)["TERMSRV/127.0.0.1"]; ok {
		t.Errorf("Credential Manager still holds %+v after mstsc exited", c)
	}
}

// TestE2EWindowsSSH: `iapdesk.exe ssh` under Wine reads the VM from the
// Compute API (gcetest), opens a tunnel and runs ssh.exe, Windows OpenSSH,
// in the foreground, here the probe standing in for it: its command line
// points at the tunnel's port, names the user and the command, checks the
// host key under the VM's ID in iapdesk's own known_hosts in
// %APPDATA%\iapdesk; through the port, the probe reaches the VM's port 22.
// (The key iapdesk generates and publishes is the window's; the command
// uses ssh's own keys, so it has none to write.)
func TestE2EWindowsSSH(t *testing.T) {
	w := requireWine(t)
	gce, err := gcetest.NewServer(gcetest.Config{
		AccessToken: testToken,
		Projects: []gcetest.Project{{ID: testProject, Instances: []gcetest.Instance{
			{Name: "vm-1", Zone: testZone, OS: gcetest.Linux, ID: 7001},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gce.Close)
	srv, tokenFile, env := relay(t, false, relaytest.Faults{})
	srv.Route(relaytest.VM(testProject, testZone, "vm-1", 22), helloServer(t))

	probeDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := w.iapdesk(ctx, "ssh", "vm-1", "--project="+testProject, "--zone="+testZone, "--user=alice",
		"--compute-endpoint="+gce.URL+"/compute/v1/", "--iap-tunnel-url-override="+srv.URL,
		"--access-token-file="+winPath(t, tokenFile), "--", "uname", "-a")
	cmd.Env = append(cmd.Env, env...)
	cmd.Env = append(cmd.Env, "IAPDESK_PROBE_DIR="+winPath(t, probeDir))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("iapdesk.exe ssh: %v\n%s", err, out)
	}
	recs := probeRecords(t, probeDir, "ssh")
	if len(recs) != 1 {
		t.Fatalf("ssh.exe started %d times, want once\n%s", len(recs), out)
	}
	r := recs[0]
	t.Logf("ssh.exe command line: %q", r.Args)
	if len(r.Args) < 3 || !strings.EqualFold(r.Args[0], `C:\windows\system32\ssh.exe`) || r.Args[len(r.Args)-2] != "uname" || r.Args[len(r.Args)-1] != "-a" {
		t.Errorf("ssh.exe command line = %q, want system32\\ssh.exe … uname -a", r.Args)
	}
	joined := strings.ToLower(strings.Join(r.Args, " "))
	// The known_hosts path is quoted for ssh's own option parser, which
	// undoes \\ escapes.
	knownHosts := strings.ReplaceAll(w.appDataWin+`\iapdesk\known_hosts`, `\`, `\\`)
	for _, want := range []string{"alice@127.0.0.1", "hostkeyalias=compute.7001", "userknownhostsfile=\"" + knownHosts + "\""} {
		if !strings.Contains(joined, strings.ToLower(want)) {
			t.Errorf("ssh.exe command line %q lacks %q", r.Args, want)
		}
	}
	if r.TunnelReply != "hello ssh" {
		t.Errorf("through -p PORT ssh.exe got %q, want %q from the VM's port 22", r.TunnelReply, "hello ssh")
	}
}
