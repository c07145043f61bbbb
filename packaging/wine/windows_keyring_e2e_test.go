package wine_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"iapdesk/auth/authtest"
)

// credEntry is one line of `probe creds`.
type credEntry struct {
	Target     string `json:"target"`
	User       string `json:"user"`
	Persist    int    `json:"persist"`
	BlobSHA256 string `json:"blob_sha256"`
	BlobUTF16  string `json:"blob_utf16_sha256"`
}

// creds lists the Windows Credential Manager of the prefix, by target.
func (w *wineEnv) creds(t *testing.T) map[string]credEntry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := w.command(ctx, w.probe, "creds").Output()
	if err != nil {
		t.Fatalf("probe creds: %v", err)
	}
	m := map[string]credEntry{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var c credEntry
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("probe creds line %q: %v", sc.Text(), err)
		}
		m[c.Target] = c
	}
	return m
}

// flushRegistry restarts the prefix's wineserver, which writes the
// registry (Wine's Credential Manager lives there) to its files: what is on
// disk afterwards is all there is, and the next process reads it back.
func (w *wineEnv) flushRegistry(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := w.restartServer(ctx); err != nil {
		t.Fatal(err)
	}
}

// plainFiles returns the files under dirs that hold any of secrets as
// UTF-8 or UTF-16LE (Windows' own string encoding) text.
func plainFiles(t *testing.T, secrets []string, dirs ...string) []string {
	t.Helper()
	var needles [][]byte
	for _, s := range secrets {
		needles = append(needles, []byte(s))
		u := utf16.Encode([]rune(s))
		b := make([]byte, 0, 2*len(u))
		for _, c := range u {
			b = append(b, byte(c), byte(c>>8))
		}
		needles = append(needles, b)
	}
	var found []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, n := range needles {
				if bytes.Contains(b, n) {
					found = append(found, path)
					break
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("search %s for secrets: %v", dir, err)
		}
	}
	return found
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// authEnv points iapdesk.exe's sign-in at the fake Google.
func authEnv(srv *authtest.Server) []string {
	e := srv.Endpoints()
	return []string{
		"IAPDESK_OAUTH_CLIENT_ID=" + srv.ClientID, "IAPDESK_OAUTH_CLIENT_SECRET=" + srv.ClientSecret,
		"IAPDESK_OAUTH_AUTH_URL=" + e.AuthURL, "IAPDESK_OAUTH_TOKEN_URL=" + e.TokenURL,
		"IAPDESK_OAUTH_REVOKE_URL=" + e.RevokeURL, "IAPDESK_OAUTH_USERINFO_URL=" + e.UserinfoURL,
	}
}

// login runs `iapdesk.exe auth login --no-browser` and plays the browser:
// it opens the address iapdesk prints, and the fake Google redirects to
// iapdesk's loopback listener inside Wine.
func login(t *testing.T, w *wineEnv, srv *authtest.Server, email string) {
	t.Helper()
	srv.SetEmail(email)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := w.iapdesk(ctx, "auth", "login", "--no-browser")
	cmd.Env = append(cmd.Env, authEnv(srv)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var wg sync.WaitGroup
	var status int
	var visitErr error
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if u, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "http"); ok {
			wg.Go(func() { status, _, visitErr = authtest.Visit(ctx, "http"+u) })
		}
	}
	werr := cmd.Wait()
	wg.Wait()
	if werr != nil || visitErr != nil || status != 200 {
		t.Fatalf("iapdesk.exe auth login: %v; browser: %d, %v\n%s", werr, status, visitErr, out.String())
	}
	if want := "You are now signed in as " + email; !strings.Contains(out.String(), want) {
		t.Fatalf("iapdesk.exe auth login printed\n%s\nwant %q", out.String(), want)
	}
}

// refreshTokens returns the refresh tokens srv issued.
func refreshTokens(srv *authtest.Server) []string {
	var rts []string
	for _, s := range srv.Secrets() {
		if strings.HasPrefix(s, "1//authtest-") {
			rts = append(rts, s)
		}
	}
	return rts
}

// TestE2EWindowsKeyring: the Windows exe keeps refresh tokens, and
// auth.KeyringStore RDP passwords, in the Windows Credential Manager (as
// Wine implements it, wincred): `iapdesk.exe auth login` signs two accounts
// in against the fake Google; each token is stored under iapdesk:EMAIL,
// survives a restart of Wine (so it is on disk) and is in no file in
// plain text, UTF-8 or UTF-16; a new process refreshes with it; `auth
// revoke --all` revokes and deletes both. An RDP password is stored, read
// and deleted the same way (probe secret, through auth.KeyringStore).
// accounts.json, the account list, is in %APPDATA%\iapdesk, rewritten in
// place by the second sign-in, with no temporary file left.
func TestE2EWindowsKeyring(t *testing.T) {
	w := requireWine(t)
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	run := func(stdin string, args ...string) (string, error) {
		t.Helper()
		cmd := w.iapdesk(ctx, args...)
		if args[0] == "probe" {
			cmd = w.command(ctx, w.probe, args[1:]...)
		}
		cmd.Env = append(cmd.Env, authEnv(srv)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	login(t, w, srv, "alice@example.com")
	accounts := filepath.Join(w.appData, "iapdesk", "accounts.json")
	first, err := os.ReadFile(accounts)
	if err != nil {
		t.Fatalf("accounts.json after the first sign-in: %v", err)
	}
	login(t, w, srv, "bob@example.com")
	second, err := os.ReadFile(accounts)
	if err != nil {
		t.Fatalf("accounts.json after the second sign-in: %v", err)
	}
	if !strings.Contains(string(first), "alice@example.com") || !strings.Contains(string(second), "alice@example.com") ||
		!strings.Contains(string(second), "bob@example.com") {
		t.Errorf("%s: first sign-in wrote\n%s\nsecond\n%s\nwant alice, then alice and bob", accounts, first, second)
	}
	checkNoTemps(t, filepath.Dir(accounts))
	if out, err := run("", "auth", "list"); err != nil || !activeRE("bob@example.com").MatchString(out) || !strings.Contains(out, "alice@example.com") {
		t.Errorf("iapdesk.exe auth list: %v\n%s\nwant alice and bob, bob active", err, out)
	}

	rts := refreshTokens(srv)
	if len(rts) != 2 {
		t.Fatalf("the fake Google issued %d refresh tokens, want 2", len(rts))
	}
	const rdpKey = "rdp-password:instance:" + testProject + "/" + testZone + "/win-1"
	const rdpPassword = "Wine-RDP-pässword-4711!"
	if out, err := run(rdpPassword+"\r\n", "probe", "secret", "set", rdpKey); err != nil {
		t.Fatalf("probe secret set %s: %v\n%s", rdpKey, err, out)
	}

	// Restart Wine: the registry, Credential Manager included, is written
	// to disk, and the next process reads it back from there.
	w.flushRegistry(t)
	if files := plainFiles(t, append(rts, rdpPassword), w.root); len(files) > 0 {
		t.Errorf("a refresh token or the RDP password is in plain text in %s", strings.Join(files, ", "))
	}
	creds := w.creds(t)
	for i, email := range []string{"alice@example.com", "bob@example.com"} {
		c, ok := creds["iapdesk:"+email]
		if !ok || c.User != email || c.BlobSHA256 != sha(rts[i]) {
			t.Errorf("Credential Manager iapdesk:%s = %+v (present %v), want user %s and the issued refresh token", email, c, ok, email)
		}
	}
	if c := creds["iapdesk:"+rdpKey]; c.BlobSHA256 != sha(rdpPassword) {
		t.Errorf("Credential Manager iapdesk:%s = %+v, want the RDP password", rdpKey, c)
	}
	if out, err := run("", "probe", "secret", "get", rdpKey); err != nil || strings.TrimSpace(out) != sha(rdpPassword) {
		t.Errorf("probe secret get %s = %q, %v; want the password's SHA-256", rdpKey, out, err)
	}

	// Saves of the account list take accounts.lock (LockFileEx): while
	// another Windows process holds it, `auth switch` waits, then saves.
	release := holdLock(t, w, w.appDataWin+`\iapdesk\accounts.lock`)
	switched := make(chan error, 1)
	cmd := w.iapdesk(ctx, "auth", "switch", "alice@example.com")
	var switchOut strings.Builder
	cmd.Stdout, cmd.Stderr = &switchOut, &switchOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { switched <- cmd.Wait() }() // received below on every path
	select {
	case err := <-switched:
		release()
		t.Fatalf("iapdesk.exe auth switch finished while another process held accounts.lock: %v\n%s", err, switchOut.String())
	case <-time.After(3 * time.Second): // still waiting for the lock, as it should
	}
	release()
	if err := <-switched; err != nil {
		t.Fatalf("iapdesk.exe auth switch after the lock was released: %v\n%s", err, switchOut.String())
	}
	if out, err := run("", "auth", "list"); err != nil || !activeRE("alice@example.com").MatchString(out) {
		t.Errorf("iapdesk.exe auth list after the switch: %v\n%s\nwant alice active", err, out)
	}
	checkNoTemps(t, filepath.Dir(accounts))

	// A new process refreshes with the active account's stored token.
	refreshes := srv.Refreshes()
	out, err := run("", "auth", "print-access-token")
	if err != nil {
		t.Fatalf("iapdesk.exe auth print-access-token: %v\n%s", err, out)
	}
	if email, ok := srv.CheckAccessToken(strings.TrimSpace(out)); !ok || email != "alice@example.com" {
		t.Errorf("iapdesk.exe auth print-access-token printed a token for %q (valid %v), want alice@example.com", email, ok)
	}
	if srv.Refreshes() != refreshes+1 {
		t.Errorf("refreshes = %d, want %d: the token did not come from the stored refresh token", srv.Refreshes(), refreshes+1)
	}

	if out, err := run("", "probe", "secret", "delete", rdpKey); err != nil {
		t.Errorf("probe secret delete %s: %v\n%s", rdpKey, err, out)
	}
	if out, err := run("", "probe", "secret", "get", rdpKey); errExit(err) != 3 {
		t.Errorf("probe secret get %s after delete: %v\n%s\nwant exit 3 (not stored)", rdpKey, err, out)
	}
	if out, err := run("", "auth", "revoke", "--all"); err != nil {
		t.Fatalf("iapdesk.exe auth revoke --all: %v\n%s", err, out)
	}
	for _, rt := range rts {
		if !srv.Revoked(rt) {
			t.Errorf("a refresh token was not revoked at the fake Google")
		}
	}
	for target := range w.creds(t) {
		if strings.HasPrefix(target, "iapdesk:") {
			t.Errorf("Credential Manager still holds %s after revoke and delete", target)
		}
	}
	checkNoTemps(t, filepath.Dir(accounts))
}

// activeRE matches the line of `auth list` that marks email active.
func activeRE(email string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^\*\s+` + regexp.QuoteMeta(email) + `\s`)
}

// checkNoTemps fails when dir holds a temporary file of an atomic write.
func checkNoTemps(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
		if strings.Contains(e.Name(), ".tmp") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s: temporary file %s left behind", dir, e.Name())
		}
	}
	t.Logf("%s: %s", dir, strings.Join(names, " "))
}

// holdLock makes another Windows process (probe lock) take the file lock
// at path (a Windows path) as iapdesk does, and returns once it holds it.
// release lets it go and waits for the process to exit.
func holdLock(t *testing.T, w *wineEnv, path string) (release func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := w.command(ctx, w.probe, "lock", path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("probe lock %s: %v\n%s", path, err, stderr.String())
			}
			cancel()
		})
	}
	t.Cleanup(release)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("probe lock %s printed %q, %v\n%s", path, line, err, stderr.String())
	}
	return release
}
