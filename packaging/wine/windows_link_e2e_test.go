package wine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestE2EWindowsIAPRDPLink: packaging/windows/iap-rdp.reg, imported with
// `wine reg import`, registers the iap-rdp: handler for the user as
// %LOCALAPPDATA%\Programs\iapdesk\iapdesk.exe "%1" (an expandable
// string). Opening a link the way the shell does (probe open: expand, put
// the link in for %1, start the command line as is) hands the link, & and
// %-escapes intact, to the program there as its one argument: first the
// probe installed there records its argv, then the real iapdesk.exe takes
// its place and, given a malformed link, says what is wrong and exits 1
// before any window opens.
//
// Wine's own ShellExecute (start iap-rdp:…) cannot be used: Wine's
// HKEY_CLASSES_ROOT does not include the user's HKCU\Software\Classes, so
// it finds no handler for a per-user registration.
func TestE2EWindowsIAPRDPLink(t *testing.T) {
	w := requireWine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	if out, err := w.command(ctx, "reg", "import", winPath(t, filepath.Join("..", "windows", "iap-rdp.reg"))).CombinedOutput(); err != nil {
		t.Fatalf("wine reg import iap-rdp.reg: %v\n%s", err, out)
	}
	const key = `HKCU\Software\Classes\iap-rdp\shell\open\command`
	out, err := w.command(ctx, "reg", "query", key, "/ve").CombinedOutput()
	want := `REG_EXPAND_SZ    "%LOCALAPPDATA%\Programs\iapdesk\iapdesk.exe" "%1"`
	if err != nil || !strings.Contains(string(out), want) {
		t.Fatalf("wine reg query %s: %v\n%s\nwant %s", key, err, out, want)
	}
	out, err = w.command(ctx, "reg", "query", `HKCU\Software\Classes\iap-rdp`, "/v", "URL Protocol").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "URL Protocol") {
		t.Errorf("wine reg query HKCU\\Software\\Classes\\iap-rdp /v \"URL Protocol\": %v\n%s", err, out)
	}

	dir := filepath.Join(w.localAppData, "Programs", "iapdesk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	handler := filepath.Join(dir, "iapdesk.exe")
	t.Cleanup(func() { os.Remove(handler) })
	open := func(link string) (string, error) {
		t.Helper()
		probeDir := t.TempDir()
		cmd := w.command(ctx, w.probe, "open", link)
		cmd.Env = append(cmd.Env, "IAPDESK_PROBE_DIR="+winPath(t, probeDir))
		out, err := cmd.CombinedOutput()
		if recs := probeRecords(t, probeDir, "iapdesk"); len(recs) > 0 {
			r := recs[0]
			if len(recs) != 1 || len(r.Args) != 2 || !strings.EqualFold(r.Args[0], w.localAppDataWin+`\Programs\iapdesk\iapdesk.exe`) {
				t.Errorf("the handler ran %d times, first with %q; want once with [%%LOCALAPPDATA%%\\Programs\\iapdesk\\iapdesk.exe LINK]", len(recs), r.Args)
			}
			return r.Args[len(r.Args)-1], err
		}
		return string(out), err
	}

	const link = "iap-rdp:///wine-project/us-east1-b/win-1?username=alice%20b&DesktopSize=1&RdpPort=3389"
	if err := copyFile(w.probe, handler); err != nil {
		t.Fatal(err)
	}
	got, err := open(link)
	if err != nil || got != link {
		t.Errorf("the registered handler got %q (%v), want the link %q as one argument", got, err, link)
	}

	if err := copyFile(w.exe, handler); err != nil {
		t.Fatal(err)
	}
	got, err = open("iap-rdp:///wine-project/us-east1-b/?username=alice")
	if errExit(err) != 1 || !strings.Contains(got, "iapdesk:") || !strings.Contains(strings.ToLower(got), "iap-rdp") {
		t.Errorf("iapdesk.exe given a malformed link through the handler: %v\n%s\nwant exit status 1 and what is wrong with the link", err, got)
	}
	t.Logf("iapdesk.exe on a malformed link:\n%s", got)
}
