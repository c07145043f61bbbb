package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf16"

	"github.com/danieljoos/wincred"
	"golang.org/x/sys/windows/registry"

	"iapdesk/auth"
	"iapdesk/platform/atomicfile"
)

func main() {
	switch name := strings.TrimSuffix(strings.ToLower(filepath.Base(os.Args[0])), ".exe"); name {
	case "mstsc":
		os.Exit(exit(mstsc(os.Args[1:])))
	case "iapdesk":
		// Installed where iap-rdp.reg registers iapdesk.exe: what a link
		// opened through the shell hands the handler.
		os.Exit(exit(record(name, Record{Args: os.Args})))
	case "ssh":
		os.Exit(exit(ssh(os.Args[1:])))
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe creds | secret set|get|delete KEY | args")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "creds":
		err = listCreds(os.Stdout)
	case "secret":
		err = secret(os.Args[2:])
	case "args":
		err = record("args", Record{Args: os.Args})
	case "lock":
		err = lock(os.Args[2:])
	case "open":
		err = open(os.Args[2:])
	case "gui":
		err = gui(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	os.Exit(exit(err))
}

func exit(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, auth.ErrNotStored):
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 3
	}
	fmt.Fprintln(os.Stderr, "probe:", err)
	return 1
}

// Record is what the probe writes to $IAPDESK_PROBE_DIR: as mstsc, its
// command line, the .rdp file it was given and the login it found in the
// Credential Manager (the password as a SHA-256 only); as `args`, its
// command line.
type Record struct {
	Args []string `json:"args"`

	RDPFile            string `json:"rdp_file,omitempty"`
	RDP                string `json:"rdp,omitempty"`
	CredTarget         string `json:"cred_target,omitempty"`
	CredUser           string `json:"cred_user,omitempty"`
	CredPasswordSHA256 string `json:"cred_password_sha256,omitempty"`
	CredError          string `json:"cred_error,omitempty"`
	// TunnelReply is the line the server behind the .rdp file's "full
	// address" (mstsc) or -p PORT (ssh) answered to "mstsc\n" or "ssh\n".
	TunnelReply string `json:"tunnel_reply,omitempty"`
}

// record writes r as JSON to $IAPDESK_PROBE_DIR/KIND-PID.json, atomically
// (temp file, then rename), so that the test never reads half a record.
func record(kind string, r Record) error {
	dir := os.Getenv("IAPDESK_PROBE_DIR")
	if dir == "" {
		return errors.New("IAPDESK_PROBE_DIR is not set")
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, kind+"-*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, fmt.Sprintf("%s-%d.json", kind, os.Getpid())))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write record: %w", err)
	}
	return nil
}

// ssh stands in for Windows OpenSSH's ssh.exe, which Wine lacks: it records
// its command line and, given -p PORT, talks to 127.0.0.1:PORT (the tunnel).
func ssh(args []string) error {
	r := Record{Args: os.Args}
	var err error
	for i, a := range args {
		if a == "-p" && i+1 < len(args) {
			r.TunnelReply, err = hello(net.JoinHostPort("127.0.0.1", args[i+1]), "ssh")
		}
	}
	if rerr := record("ssh", r); err == nil {
		err = rerr
	}
	return err
}

// mstsc stands in for mstsc.exe FILE.rdp: it reads the file (UTF-16LE with
// a BOM, as mstsc writes it), looks the login up as mstsc does
// (TERMSRV/HOST, a domain-password credential), talks to the tunnel the
// file points at, and records all of it.
func mstsc(args []string) error {
	r := Record{Args: os.Args}
	if len(args) != 1 {
		_ = record("mstsc", r)
		return fmt.Errorf("mstsc stand-in: want one .rdp file, got %q", args)
	}
	r.RDPFile = args[0]
	raw, err := os.ReadFile(args[0])
	if err != nil {
		_ = record("mstsc", r)
		return err
	}
	r.RDP = decodeUTF16(raw)
	addr := rdpField(r.RDP, "full address:s:")
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		_ = record("mstsc", r)
		return fmt.Errorf("full address %q: %w", addr, err)
	}
	r.CredTarget = "TERMSRV/" + host
	if c, err := wincred.GetDomainPassword(r.CredTarget); err != nil {
		r.CredError = err.Error()
	} else {
		r.CredUser = c.UserName
		r.CredPasswordSHA256 = sha(decodeUTF16(c.CredentialBlob))
	}
	r.TunnelReply, err = hello(addr, "mstsc")
	if rerr := record("mstsc", r); err == nil {
		err = rerr
	}
	return err
}

// hello sends name and a newline to addr and returns the line it answers.
func hello(addr, name string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, name+"\n"); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

func rdpField(rdp, prefix string) string {
	for _, l := range strings.Split(rdp, "\r\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return v
		}
	}
	return ""
}

// decodeUTF16 decodes UTF-16LE, without its BOM if there is one.
func decodeUTF16(b []byte) string {
	if len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE {
		b = b[2:]
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// listCreds prints one JSON line per credential in the Credential Manager:
// its target, user name, persistence and a SHA-256 of its secret (the
// secret itself never leaves it).
func listCreds(w io.Writer) error {
	creds, err := wincred.List()
	if err != nil {
		return fmt.Errorf("list credentials: %w", err)
	}
	enc := json.NewEncoder(w)
	for _, c := range creds {
		if err := enc.Encode(struct {
			Target     string `json:"target"`
			User       string `json:"user"`
			Persist    int    `json:"persist"`
			BlobSHA256 string `json:"blob_sha256"`
			BlobUTF16  string `json:"blob_utf16_sha256"`
		}{c.TargetName, c.UserName, int(c.Persist), sha(string(c.CredentialBlob)), sha(decodeUTF16(c.CredentialBlob))}); err != nil {
			return err
		}
	}
	return nil
}

// secret stores, reads or deletes KEY through auth.KeyringStore, the code
// path the app keeps refresh tokens and RDP passwords with. set reads the
// value from the first line of stdin; get prints its SHA-256 only.
func secret(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: probe secret set|get|delete KEY")
	}
	ctx := context.Background()
	var st auth.KeyringStore
	switch key := args[1]; args[0] {
	case "set":
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil {
			return fmt.Errorf("read the value from stdin: %w", err)
		}
		return st.Set(ctx, key, strings.TrimRight(line, "\r\n"))
	case "get":
		v, err := st.Get(ctx, key)
		if err != nil {
			return err
		}
		fmt.Println(sha(v))
		return nil
	case "delete":
		return st.Delete(ctx, key)
	}
	return fmt.Errorf("secret %q: want set, get or delete", args[0])
}

// lock takes PATH's file lock the way iapdesk does (atomicfile.Lock:
// LockFileEx), prints "locked" and holds it until stdin ends.
func lock(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: probe lock PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	unlock, err := atomicfile.Lock(ctx, args[0])
	if err != nil {
		return err
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return unlock()
}

// open does what the Windows shell does with a URL whose scheme a user
// registered (HKCU\Software\Classes\SCHEME\shell\open\command): it
// expands the command's environment variables, puts the URL in for %1 and
// starts the command line as it is, leaving the program to split it
// (CommandLineToArgvW rules). Wine's ShellExecute cannot: its
// HKEY_CLASSES_ROOT does not include the user's classes.
func open(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: probe open URL")
	}
	url := args[0]
	scheme, _, ok := strings.Cut(url, ":")
	if !ok {
		return fmt.Errorf("%q has no scheme", url)
	}
	key := `Software\Classes\` + scheme + `\shell\open\command`
	k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.QUERY_VALUE)
	if err != nil {
		return fmt.Errorf("open HKCU\\%s: %w", key, err)
	}
	defer k.Close()
	line, typ, err := k.GetStringValue("")
	if err != nil {
		return fmt.Errorf("HKCU\\%s: %w", key, err)
	}
	if typ == registry.EXPAND_SZ {
		if line, err = registry.ExpandString(line); err != nil {
			return err
		}
	}
	line = strings.ReplaceAll(line, "%1", url)
	exe, ok := strings.CutPrefix(line, `"`)
	if !ok {
		return fmt.Errorf("command %q: want a quoted program path first", line)
	}
	exe, _, _ = strings.Cut(exe, `"`)
	fmt.Fprintf(os.Stderr, "probe open: %s\n", line)
	cmd := exec.Command(exe)
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: line}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode()) // the handler's own status
		}
		return err
	}
	return nil
}

// gui starts EXE ARGS… the way Windows starts a GUI-subsystem program from
// a console: with no standard handles (the parent's console ones are not
// passed to a GUI program), and waits for it. Wine passes them anyway, so
// without this a Windows GUI build's console handling goes untested.
func gui(args []string) error {
	if len(args) < 1 {
		return errors.New("usage: probe gui EXE [ARG…]")
	}
	exe, err := exec.LookPath(args[0])
	if err != nil {
		return err
	}
	// Files of 0: STARTF_USESTDHANDLES with null handles.
	pid, h, err := syscall.StartProcess(exe, args, &syscall.ProcAttr{Files: []uintptr{0, 0, 0}})
	if err != nil {
		return fmt.Errorf("start %s: %w", exe, err)
	}
	defer syscall.CloseHandle(syscall.Handle(h))
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	st, err := p.Wait()
	if err != nil {
		return err
	}
	if c := st.ExitCode(); c != 0 {
		os.Exit(c) // the program's own status
	}
	return nil
}
