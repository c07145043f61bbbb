package demo_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"iapdesk/app"
	"iapdesk/app/demo"
	"iapdesk/platform/systest"
)

// Environment of TestOtherUserProcess, the probe another user runs.
const (
	envProbePorts = "IAPDESK_PROBE_PORTS" // comma-separated loopback TCP ports
	envProbeKey   = "IAPDESK_PROBE_KEY"   // private key the demo VMs accept (published for them)
	envProbeOwn   = "IAPDESK_PROBE_OWN"   // the other user's own private key, which it tries to publish
	envProbeLogin = "IAPDESK_PROBE_LOGIN" // the demo's user
	envProbeDir   = "IAPDESK_PROBE_DIR"   // the demo's directory
)

// TestE2EDemoOtherUser: while the demo runs (as root here, the worst case),
// another local user can neither read nor write its fake APIs, nor get a
// token from its OAuth server or through its relay, nor log in to its VMs,
// even with a key the VMs accept: the demo's processes listen on no TCP
// port, the APIs, OAuth server and relay want secrets only the demo holds,
// and the tunnels the demo opens refuse other users. Meanwhile the demo's
// own paths (ssh through a tunnel, `iapdesk ssh --demo`'s RunSSH, RDP
// through a tunnel) work, and its secrets are on no command line or
// environment of any process.
func TestE2EDemoOtherUser(t *testing.T) {
	systest.Require(t, "/usr/sbin/sshd", "ssh", "Xvfb", "freerdp-shadow-cli")
	var pw [8]byte
	_, _ = rand.Read(pw[:])
	other, err := user.Lookup(systest.CreateUser(t, hex.EncodeToString(pw[:])))
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(other.Uid)
	gid, _ := strconv.Atoi(other.Gid)
	probe := probeDir(t, uid)
	display := systest.StartXvfb(t, "800x600x24")
	osLoginVM := app.InstanceRef{Project: "acme-dev-sandbox", Zone: "us-central1-a", Name: "dev-alice-01"}

	for _, kind := range []string{demo.SSHSystem, demo.SSHBuiltin} {
		t.Run(kind, func(t *testing.T) {
			w := start(t, demo.Config{SSHServer: kind, Display: display})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()

			// The demo's own paths work, and keep their tunnels (local
			// listening ports) open while the other user probes.
			linux := acquire(t, w, demo.LinuxVM, 22)
			alias := fmt.Sprintf("compute.%d", instance(t, w, demo.LinuxVM).ID)
			if out := runSSH(t, w, linux.LocalAddr, alias, "echo me-$(id -un)"); strings.TrimSpace(out) != "me-"+w.SSH.Username {
				t.Fatalf("ssh through the tunnel = %q, want me-%s", out, w.SSH.Username)
			}
			var stdout, stderr bytes.Buffer
			params := w.SSH
			params.Command = []string{"echo", "run-ssh-works"}
			if err := w.Connector.RunSSH(ctx, app.Request{Instance: instance(t, w, demo.LinuxVM), SSH: params},
				app.Stdio{In: strings.NewReader(""), Out: &stdout, Err: &stderr}); err != nil || !strings.Contains(stdout.String(), "run-ssh-works") {
				t.Fatalf("RunSSH = %v, stdout %q, stderr %q; want the command's output", err, stdout.String(), stderr.String())
			}
			rdp := acquire(t, w, demo.WindowsVM, 3389)
			if !rdpAnswers(rdp.LocalAddr, 20*time.Second) { // the first connection starts the server
				t.Fatalf("no RDP connection confirm through the tunnel at %s", rdp.LocalAddr)
			}

			// Published for the demo user, as if the other user had got
			// through the API: the VMs accept this key.
			stdout.Reset()
			if err := w.Connector.RunSSH(ctx, app.Request{Instance: instance(t, w, demo.LinuxVM), SSH: app.SSHParams{Command: []string{"true"}}},
				app.Stdio{In: strings.NewReader(""), Out: &stdout, Err: &stderr}); err != nil {
				t.Fatalf("RunSSH with the key published = %v, stderr %q", err, stderr.String())
			}
			key, err := w.SSHKeys.Key(ctx, app.SSHKeyEd25519)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := sshAs(t, w, linux.LocalAddr, alias, w.SSH.Username, key.PrivateKeyFile, "true"); err != nil {
				t.Fatalf("ssh with the published key = %v (%s), want it accepted", err, out)
			}
			stolen := filepath.Join(probe, kind+"-published-key")
			copyFile(t, key.PrivateKeyFile, stolen, uid, gid)
			mallory := filepath.Join(probe, kind+"-own-key")
			writeNewKey(t, mallory, uid, gid)

			ports := listeningPorts(t)
			if len(ports) < 4 { // APIs, OAuth, relay, two tunnels
				t.Fatalf("listening ports = %v, want at least the fakes' and the tunnels'", ports)
			}
			if own := descendantPorts(t); len(own) != 0 {
				t.Errorf("the demo's child processes listen on TCP ports %v, want none", own)
			}
			for _, s := range w.Secrets() {
				if where := procsContaining(t, s); len(where) != 0 {
					t.Errorf("a demo secret is in %v", where)
				}
			}

			out := runProbe(t, filepath.Join(probe, "demo.test"), uid, gid, []string{
				envProbePorts + "=" + joinInts(ports), envProbeKey + "=" + stolen, envProbeOwn + "=" + mallory,
				envProbeLogin + "=" + w.SSH.Username, envProbeDir + "=" + w.Dir,
			})
			attempts := 0
			for _, l := range strings.Split(out, "\n") {
				switch {
				case strings.HasPrefix(l, "BREACH "):
					t.Errorf("as %s: %s", other.Username, strings.TrimPrefix(l, "BREACH "))
				case strings.HasPrefix(l, "tried "):
					attempts++
				}
			}
			if !strings.Contains(out, "probe done") || attempts < 10*len(ports) {
				t.Fatalf("the probe made %d attempts on %d ports and did not finish:\n%s", attempts, len(ports), out)
			}
			t.Logf("%s made %d attempts on ports %v; none got through", other.Username, attempts, ports)

			// The keys the probe tried to publish (metadata, OS Login) did
			// not land: the VMs still refuse them.
			for _, ref := range []app.InstanceRef{demo.LinuxVM, osLoginVM} {
				tk := acquire(t, w, ref, 22)
				if out, err := sshAs(t, w, tk.LocalAddr, fmt.Sprintf("compute.%d", instance(t, w, ref).ID), w.SSH.Username, mallory, "true"); err == nil {
					t.Errorf("ssh to %s with the key the other user tried to publish succeeded (%q), want it refused", ref.Name, out)
				}
			}
		})
	}
}

// acquire opens a tunnel to ref's port until the test ends.
func acquire(t *testing.T, w *demo.World, ref app.InstanceRef, port int) app.TunnelInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key := app.TunnelKey{Ref: instance(t, w, ref).InstanceRef, Port: port}
	info, err := w.Tunnels.Acquire(ctx, key, false)
	if err != nil {
		t.Fatalf("Acquire(%v) = %v", key, err)
	}
	t.Cleanup(func() { w.Tunnels.Release(key) })
	return info
}

func instance(t *testing.T, w *demo.World, ref app.InstanceRef) app.Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in, err := w.Instance(ctx, ref.Name)
	if err != nil {
		t.Fatalf("Instance(%q) = %v", ref.Name, err)
	}
	return in
}

// probeDir is a directory the other user can enter, holding a copy of this
// test binary: the go build directory is private.
func probeDir(t *testing.T, uid int) string {
	t.Helper()
	d, err := os.MkdirTemp("", "iapdesk-probe-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, exe, filepath.Join(d, "demo.test"), 0, 0)
	if err := os.Chmod(filepath.Join(d, "demo.test"), 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// copyFile copies src to a 0600 dst owned by uid:gid.
func copyFile(t *testing.T, src, dst string, uid, gid int) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dst, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// runProbe runs TestOtherUserProcess as uid:gid and returns its output.
func runProbe(t *testing.T, exe string, uid, gid int, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestOtherUserProcess$")
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe as uid %d: %v\n%s", uid, err, out)
	}
	return string(out)
}

// listeningPorts are the loopback (or any-address) TCP ports this process
// and its descendants listen on.
func listeningPorts(t *testing.T) []int {
	t.Helper()
	return listening(t, append([]int{os.Getpid()}, descendants(t)...))
}

// descendantPorts are the TCP ports this process's descendants (sshd,
// freerdp-shadow-cli, Xvfb) listen on.
func descendantPorts(t *testing.T) []int {
	t.Helper()
	return listening(t, descendants(t))
}

// listening returns the TCP ports in LISTEN state whose sockets pids hold.
func listening(t *testing.T, pids []int) []int {
	t.Helper()
	inodes := map[string]bool{}
	for _, pid := range pids {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
			if inode, ok := strings.CutPrefix(l, "socket:["); ok {
				inodes[strings.TrimSuffix(inode, "]")] = true
			}
		}
	}
	var ports []int
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			p, err := strconv.ParseInt(hexPort, 16, 32)
			if err != nil {
				t.Fatalf("%s: local address %q", table, f[1])
			}
			if !slices.Contains(ports, int(p)) {
				ports = append(ports, int(p))
			}
		}
	}
	slices.Sort(ports)
	return ports
}

// descendants returns the pids of this process's children, theirs, and so on.
func descendants(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	for pid := range parent {
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == os.Getpid() {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// procsContaining lists the /proc/PID/{cmdline,environ} files, of every
// process, that contain s.
func procsContaining(t *testing.T, s string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		for _, f := range []string{"cmdline", "environ"} {
			p := filepath.Join("/proc", e.Name(), f)
			if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(s)) {
				found = append(found, p)
			}
		}
	}
	return found
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// writeNewKey writes a new Ed25519 private key to a 0600 path owned by
// uid:gid.
func writeNewKey(t *testing.T, path string, uid, gid int) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "other-user")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func readKey(path string) (ssh.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ssh.ParsePrivateKey(b)
}

// rdpAnswers reports whether an RDP server at addr answers an X.224
// connection request with a connection confirm within d.
func rdpAnswers(addr string, d time.Duration) bool {
	c, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(d))
	// TPKT, X.224 Connection Request, RDP_NEG_REQ for TLS and CredSSP.
	cr := []byte{0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x08, 0x00, 0x03, 0, 0, 0}
	if _, err := c.Write(cr); err != nil {
		return false
	}
	var cc [6]byte
	if _, err := io.ReadFull(c, cc[:]); err != nil {
		return false
	}
	return cc[0] == 0x03 && cc[5] == 0xd0
}

// TestOtherUserProcess is not a test on its own: TestE2EDemoOtherUser runs
// the test binary with it as another Unix user. It tries everything that
// user could do against the demo's ports and directory and prints a
// "tried" line for each attempt and a "BREACH" line for each that got
// anywhere.
func TestOtherUserProcess(t *testing.T) {
	portList := os.Getenv(envProbePorts)
	if portList == "" {
		t.Skip("helper process of TestE2EDemoOtherUser")
	}
	login, dir := os.Getenv(envProbeLogin), os.Getenv(envProbeDir)
	out := bufio.NewWriter(os.Stdout)
	report := func(breach bool, format string, args ...any) {
		if breach {
			fmt.Fprintf(out, "BREACH "+format+"\n", args...)
		}
		fmt.Fprintf(out, "tried "+format+"\n", args...)
	}
	own, err := readKey(os.Getenv(envProbeOwn))
	if err != nil {
		t.Fatal(err)
	}
	authorized := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(own.PublicKey())))
	published, err := readKey(os.Getenv(envProbeKey))
	if err != nil {
		t.Fatal(err)
	}

	var ports []int
	for _, p := range strings.Split(portList, ",") {
		n, _ := strconv.Atoi(p)
		ports = append(ports, n)
	}
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	project, zone, vm := demo.LinuxVM.Project, demo.LinuxVM.Zone, demo.LinuxVM.Name
	metadata := `{"fingerprint":"","items":[{"key":"ssh-keys","value":"` + login + `:` + authorized + `"}]}`
	type probe struct {
		method, path, body string
		header             http.Header
	}
	wsHeader := func(auth string) http.Header {
		h := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
			"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}, "Sec-Websocket-Protocol": {"relay.tunnel.cloudproxy.app"},
			"Origin": {"bot:iap-tunneler"}}
		if auth != "" {
			h.Set("Authorization", auth)
		}
		return h
	}
	probes := []probe{
		{"GET", "/", "", nil},
		{"GET", "/compute/v1/projects/" + project, "", nil},
		{"GET", "/compute/v1/projects/" + project + "/aggregated/instances", "", nil},
		{"GET", "/compute/v1/projects/" + project + "/zones/" + zone + "/instances/" + vm, "", http.Header{"Authorization": {"Bearer guessed"}}},
		{"POST", "/compute/v1/projects/" + project + "/setCommonInstanceMetadata", metadata, nil},
		{"POST", "/compute/v1/projects/" + project + "/setCommonInstanceMetadata", metadata, http.Header{"Authorization": {"Bearer guessed"}}},
		{"POST", "/compute/v1/projects/" + project + "/zones/" + zone + "/instances/" + vm + "/setMetadata", metadata, nil},
		{"GET", "/v1/projects", "", nil},
		{"GET", "/v1/users/" + demo.Account + "/loginProfile", "", nil},
		{"POST", "/v1/users/" + demo.Account + ":importSshPublicKey", `{"key":"` + authorized + `"}`, nil},
		{"GET", "/iapdesk-test/authorized-keys?project=" + project + "&zone=" + zone + "&instance=" + vm + "&user=" + login, "", nil},
		{"GET", "/computeMetadata/v1/instance/service-accounts/default/token", "", http.Header{"Metadata-Flavor": {"Google"}}},
		{"GET", "/o/oauth2/v2/auth?client_id=authtest-client.apps.googleusercontent.com&response_type=code&redirect_uri=http://127.0.0.1:9/" +
			"&scope=openid&code_challenge=x&code_challenge_method=S256", "", nil},
		{"POST", "/token", "grant_type=client_credentials", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}},
		{"GET", "/v1/userinfo", "", http.Header{"Authorization": {"Bearer guessed"}}},
		{"GET", "/v4/connect?project=" + project + "&zone=" + zone + "&instance=" + vm + "&interface=nic0&port=22", "", wsHeader("")},
		{"GET", "/v4/connect?project=" + project + "&zone=" + zone + "&instance=" + vm + "&interface=nic0&port=22", "", wsHeader("Bearer guessed")},
	}
	leaks := []string{"acme-", demo.Account, "ssh-ed25519", "access_token", "ya29."}
	for _, port := range ports {
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		for _, p := range probes {
			req, err := http.NewRequest(p.method, base+p.path, strings.NewReader(p.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range p.header {
				req.Header[k] = v
			}
			resp, err := hc.Do(req)
			if err != nil {
				report(false, "%s %d%s: %v", p.method, port, p.path, err)
				continue
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			leaked := ""
			for _, s := range leaks {
				if strings.Contains(string(body), s) {
					leaked = s
				}
			}
			report(resp.StatusCode < 400 || leaked != "", "%s %d%s = %d (body has %q)", p.method, port, p.path, resp.StatusCode, leaked)
		}
		// Log in as the demo's user with a key the VMs accept.
		c, err := ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &ssh.ClientConfig{User: login,
			Auth: []ssh.AuthMethod{ssh.PublicKeys(published, own)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
		if c != nil {
			c.Close()
		}
		report(err == nil, "ssh %s@127.0.0.1:%d: %v", login, port, err)
		// A server answers at once; a non-RDP one waits for more input.
		report(rdpAnswers(fmt.Sprintf("127.0.0.1:%d", port), time.Second), "rdp 127.0.0.1:%d", port)
	}
	_, err = os.ReadDir(dir)
	report(err == nil, "read the demo directory %s: %v", dir, err)
	for _, f := range []string{"api-token", "ssh/id_ed25519", "config/ssh"} {
		_, err := os.ReadFile(filepath.Join(dir, f))
		report(err == nil, "read %s: %v", f, err)
	}
	c, err := net.Dial("unix", filepath.Join(dir, "rdp", "rdp.sock"))
	if c != nil {
		c.Close()
	}
	report(err == nil, "connect to the rdp socket: %v", err)
	fmt.Fprintln(out, "probe done")
	out.Flush()
	tr.CloseIdleConnections()
	// Exit before the test framework prints PASS and checks for leaks.
	os.Exit(0)
}
