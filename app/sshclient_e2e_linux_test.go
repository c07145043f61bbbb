package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/auth/authtest"
	"iapdesk/platform/systest"
	"iapdesk/tunnel"
	"iapdesk/tunnel/relaytest"
)

// sshWorld is newWorld's relay with linuxVM:22 routed to a real sshd, and
// the embedded SSH use case on the world's connector.
type sshWorld struct {
	*world
	sshd    *systest.SSHD
	clients *app.SSHClients
	kh      string // iapdesk's known_hosts
	creds   *app.Credentials
}

func newSSHWorld(t testing.TB, faults relaytest.Faults, cfg systest.SSHDConfig) *sshWorld {
	t.Helper()
	sshd := systest.StartSSHD(t, cfg)
	w := &sshWorld{world: newWorld(t, faults), sshd: sshd, kh: filepath.Join(t.TempDir(), "known_hosts")}
	w.relay.Route(relaytest.VM(linuxVM.Project, linuxVM.Zone, linuxVM.Name, 22), sshd.Addr)
	log := slog.New(slog.DiscardHandler)
	d := &tunnel.Dialer{TokenSource: staticToken{}, URL: w.relay.URL, Logger: log,
		Retry: tunnel.Backoff{Initial: time.Millisecond, Budget: 30 * time.Second}, ConnectRetry: 100 * time.Millisecond,
		HandshakeTimeout: 3 * time.Second}
	var err error
	if w.creds, err = app.NewCredentials(authtest.NewMemStore()); err != nil {
		t.Fatal(err)
	}
	w.clients, err = app.NewSSHClients(app.SSHClientsConfig{Connector: w.connector, Dialer: d, Passwords: w.creds,
		KnownHostsFile: w.kh, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.clients.Shutdown)
	return w
}

// request logs in as the sshd's user with its key, recording the host key
// on first use.
func (w *sshWorld) request() app.Request {
	return app.Request{Instance: linuxVM, SSH: app.SSHParams{Username: w.sshd.User, KeyFile: w.sshd.ClientKey,
		StrictHostKeyChecking: "accept-new"}}
}

func (w *sshWorld) open(t testing.TB) *app.SSHClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := w.clients.Open(ctx, w.request(), nil)
	if err != nil {
		t.Fatalf("Open = %v\nsshd log:\n%s", err, w.sshd.Log())
	}
	t.Cleanup(c.Close)
	return c
}

// run runs a command on a pty and returns its output.
func run(t testing.TB, c *app.SSHClient, cmd string) string {
	t.Helper()
	sh, err := c.Shell(context.Background(), app.ShellConfig{Command: cmd, Cols: 120, Rows: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	out, err := io.ReadAll(sh)
	if err != nil {
		t.Fatal(err)
	}
	<-sh.Done()
	return string(out)
}

// TestE2ESSHClientSharesOneTunnel: two tabs to one VM share one SSH
// connection and so one relay session; each runs its own shell on it, and
// the connection closes with the last tab.
func TestE2ESSHClientSharesOneTunnel(t *testing.T) {
	w := newSSHWorld(t, relaytest.Faults{}, systest.SSHDConfig{})
	a, b := w.open(t), w.open(t)
	if got := run(t, a, "echo tab-a"); !strings.Contains(got, "tab-a") {
		t.Errorf("tab a ran %q", got)
	}
	if got := run(t, b, "echo tab-b"); !strings.Contains(got, "tab-b") {
		t.Errorf("tab b ran %q", got)
	}
	if n := len(w.relay.Sessions()); n != 1 {
		t.Errorf("relay sessions = %d, want 1 shared by both tabs", n)
	}
	if l := w.clients.List(); len(l) != 1 || l[0].Users != 2 {
		t.Errorf("List() = %+v, want one connection with 2 users", l)
	}
	a.Close()
	b.Close()
	select {
	case <-a.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the connection did not close with its last tab")
	}
	if l := w.clients.List(); len(l) != 0 {
		t.Errorf("List() after closing = %+v, want none", l)
	}
}

// TestE2ESSHClientHostKeys: the first connection records the VM's host key
// in iapdesk's known_hosts under compute.<id>, where the system ssh finds
// it; a changed key is refused with ErrHostKeyChanged, and an unknown key
// under StrictHostKeyChecking=yes with ErrHostKeyUnknown.
func TestE2ESSHClientHostKeys(t *testing.T) {
	w := newSSHWorld(t, relaytest.Faults{}, systest.SSHDConfig{})
	c := w.open(t)
	c.Close()
	alias := fmt.Sprintf("compute.%d", linuxVM.ID)
	if out, err := exec.Command("ssh-keygen", "-F", alias, "-f", w.kh).CombinedOutput(); err != nil || !strings.Contains(string(out), strings.Fields(w.sshd.HostKeyPub)[1]) {
		t.Fatalf("ssh-keygen -F %s -f known_hosts = %v\n%s", alias, err, out)
	}
	// The system ssh accepts the line the embedded client wrote.
	args := append(w.sshd.SSHArgs(t, alias), "-o", "UserKnownHostsFile="+w.kh, "-p", fmt.Sprint(w.sshd.Port), w.sshd.User+"@127.0.0.1", "true")
	if out, err := exec.Command("ssh", args...).CombinedOutput(); err != nil {
		t.Errorf("system ssh with the recorded key: %v\n%s", err, out)
	}

	other := systest.StartSSHD(t, systest.SSHDConfig{}) // another host key
	if err := os.WriteFile(w.kh, []byte(other.KnownHostsLine(alias)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := w.clients.Open(context.Background(), w.request(), nil)
	var ue *app.UserError
	if !errors.Is(err, app.ErrHostKeyChanged) || !errors.As(err, &ue) || !strings.Contains(ue.What, "has changed") {
		t.Fatalf("Open with a changed host key = %v, want ErrHostKeyChanged with a warning", err)
	}
	if b, _ := os.ReadFile(w.kh); string(b) != other.KnownHostsLine(alias) {
		t.Errorf("known_hosts after a refused key = %q, want it untouched", b)
	}

	if err := os.Remove(w.kh); err != nil {
		t.Fatal(err)
	}
	req := w.request()
	req.SSH.StrictHostKeyChecking = "yes"
	if _, err := w.clients.Open(context.Background(), req, nil); !errors.Is(err, app.ErrHostKeyUnknown) {
		t.Errorf("Open with an unknown key and strict checking = %v, want ErrHostKeyUnknown", err)
	}
}

// promptFunc is an app.SSHPrompter.
type promptFunc func(context.Context, app.SSHPrompt) (app.SSHAnswer, error)

func (f promptFunc) SSHPrompt(ctx context.Context, p app.SSHPrompt) (app.SSHAnswer, error) {
	return f(ctx, p)
}

// TestE2ESSHClientPassword: a user without a key logs in with a password
// typed at the prompt (keyboard-interactive or password, as sshd offers),
// which is saved in the keyring when asked; the next login uses it without
// asking.
func TestE2ESSHClientPassword(t *testing.T) {
	const password = "Corr3ct-Horse-Battery"
	user := systest.CreateUser(t, password)
	w := newSSHWorld(t, relaytest.Faults{}, systest.SSHDConfig{Extra: []string{
		"Match User " + user, "  PasswordAuthentication yes", "  KbdInteractiveAuthentication yes"}})
	var mu sync.Mutex
	var asked []app.SSHPrompt
	prompt := promptFunc(func(_ context.Context, p app.SSHPrompt) (app.SSHAnswer, error) {
		mu.Lock()
		asked = append(asked, p)
		mu.Unlock()
		if p.Kind != app.PromptPassword || len(p.Questions) != 1 {
			return app.SSHAnswer{}, app.ErrSSHPromptDeclined
		}
		return app.SSHAnswer{Answers: []string{password}, Save: true}, nil
	})
	req := app.Request{Instance: linuxVM, SSH: app.SSHParams{Username: user, StrictHostKeyChecking: "accept-new"}}
	c, err := w.clients.Open(context.Background(), req, prompt)
	if err != nil {
		t.Fatalf("Open with a password = %v\nsshd log:\n%s", err, w.sshd.Log())
	}
	c.Close()
	<-c.Done()
	if len(asked) != 1 || !asked[0].CanSave {
		t.Fatalf("prompts = %+v, want one password prompt that can save", asked)
	}
	if pw, ok, err := w.creds.SSHPassword(context.Background(), app.SSHPasswordSecret(linuxVM.InstanceRef, user)); err != nil || !ok || string(pw) != password {
		t.Fatalf("saved password = %v, %v, want it saved", ok, err)
	}
	c, err = w.clients.Open(context.Background(), req, prompt)
	if err != nil {
		t.Fatalf("second Open = %v", err)
	}
	c.Close()
	if len(asked) != 1 {
		t.Errorf("prompts after the password was saved = %d, want no new prompt", len(asked))
	}
	// A wrong answer is refused, with a login error.
	wrong := promptFunc(func(_ context.Context, p app.SSHPrompt) (app.SSHAnswer, error) {
		return app.SSHAnswer{Answers: make([]string, len(p.Questions))}, nil
	})
	if err := w.creds.Delete(context.Background(), app.SSHPasswordSecret(linuxVM.InstanceRef, user)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.clients.Open(context.Background(), req, wrong); !errors.Is(err, app.ErrSSHAuthFailed) {
		t.Errorf("Open with a wrong password = %v, want ErrSSHAuthFailed", err)
	}
}

// TestE2ESSHClientReconnecting: while the relay drops the connection and
// leaves the reconnect unanswered, the connection reports Reconnecting
// (the tab says "reconnecting…", List shows it); once the relay answers
// again the session carries on and nothing of the output is lost.
func TestE2ESSHClientReconnecting(t *testing.T) {
	w := newSSHWorld(t, relaytest.Faults{DropAfterSent: []uint64{64 << 10}, HoldReconnect: true}, systest.SSHDConfig{})
	c := w.open(t)
	sh, err := c.Shell(context.Background(), app.ShellConfig{Command: "seq 1 30000; echo SEQ-END", Cols: 80, Rows: 24})
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	out := make(chan string, 1)
	go func() { b, _ := io.ReadAll(sh); out <- string(b) }()
	poll := time.NewTicker(10 * time.Millisecond) // the state of a tunnel resuming: nothing to wait on
	defer poll.Stop()
	deadline := time.After(30 * time.Second)
	for !c.Reconnecting() {
		select {
		case <-poll.C:
		case <-deadline:
			t.Fatal("the connection never reported Reconnecting after the relay dropped it")
		}
	}
	if l := w.clients.List(); len(l) != 1 || !l[0].Reconnecting {
		t.Errorf("List() while reconnecting = %+v, want the connection marked Reconnecting", l)
	}
	w.relay.SetFaults(relaytest.Faults{}) // the relay answers again
	var got string
	select {
	case got = <-out:
	case <-time.After(60 * time.Second):
		t.Fatal("the session did not carry on after the relay came back")
	}
	if c.Reconnecting() {
		t.Error("still Reconnecting after the session resumed")
	}
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(got, "\r\n", "\n")), "\n")
	if len(lines) != 30001 || lines[0] != "1" || lines[29999] != "30000" || lines[30000] != "SEQ-END" {
		t.Fatalf("output after the resume: %d lines (first %q, last %q), want 1..30000 and SEQ-END", len(lines), lines[0], lines[len(lines)-1])
	}
	for i, l := range lines[:30000] {
		if l != fmt.Sprint(i+1) {
			t.Fatalf("line %d is %q, want %d", i+1, l, i+1)
		}
	}
}
