package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"iapdesk/app"
	"iapdesk/tunnel/relaytest"
)

// disconnectingRDPClient installs an xfreerdp that holds its connection to
// the /v: address until the tunnel ends it and then exits with status 131,
// as FreeRDP does on "Network disconnect!"; with exitAtOnce it fails so
// without waiting (a failure of its own).
func (w *world) disconnectingRDPClient(t testing.TB, exitAtOnce bool) {
	t.Helper()
	wait := `cat <&3 >/dev/null`
	if exitAtOnce {
		wait = ``
	}
	script := fmt.Sprintf(`#!/bin/bash
read -r password
addr=""
for a in "$@"; do case "$a" in /v:*) addr="${a#/v:}";; esac; done
exec 3<>"/dev/tcp/${addr%%:*}/${addr##*:}"
%s
exit 131
`, wait)
	if err := os.WriteFile(filepath.Join(w.bin, "xfreerdp"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestSessionClosedByUser: closing a tunnel in the tunnels panel while an
// RDP client uses it ends the session with the client's complaint, marked
// as the user's own disconnect (the window then shows no error); a client
// that fails by itself is not marked. While it runs, the session is listed
// for the quit confirmation.
func TestSessionClosedByUser(t *testing.T) {
	for _, byUser := range []bool{true, false} {
		t.Run(fmt.Sprintf("closed by user %v", byUser), func(t *testing.T) {
			w := newWorld(t, relaytest.Faults{})
			w.disconnectingRDPClient(t, !byUser)
			s, err := w.connector.Connect(context.Background(), app.Request{Instance: winVM,
				RDP: app.RDPParams{Username: "alice", Password: "pw"}}, nil)
			if err != nil {
				t.Fatalf("Connect = %v", err)
			}
			if byUser {
				if got := w.connector.Sessions(); len(got) != 1 || got[0].String() != "Remote Desktop to "+winVM.Name {
					t.Errorf("Sessions() while the client runs = %v, want the RDP session to %s", got, winVM.Name)
				}
				w.tunnels.Close(app.TunnelKey{Ref: winVM.InstanceRef, Port: 3389})
			}
			select {
			case <-s.Done():
			case <-time.After(30 * time.Second):
				t.Fatal("the client did not exit")
			}
			if s.Err() == nil || s.ClosedByUser() != byUser {
				t.Errorf("session ended with %v, ClosedByUser() = %v; want the client's error and %v", s.Err(), s.ClosedByUser(), byUser)
			}
			<-w.ended
			if got := w.connector.Sessions(); len(got) != 0 {
				t.Errorf("Sessions() after the client exited = %v, want none", got)
			}
		})
	}
}

// TestSessionSet: sessions of any kind register and leave; the list is
// oldest first; removing twice is harmless.
func TestSessionSet(t *testing.T) {
	var set app.SessionSet
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	term := set.Add(app.SessionInfo{Kind: "Terminal", Target: "web-1", Since: t0.Add(time.Minute)})
	rdp := set.Add(app.SessionInfo{Kind: "Remote Desktop", Target: "iis-1", Since: t0})
	if got := fmt.Sprint(set.List()); got != "[Remote Desktop to iis-1 Terminal to web-1]" {
		t.Errorf("List() = %s, want the RDP session, then the terminal", got)
	}
	rdp()
	rdp()
	if got := fmt.Sprint(set.List()); got != "[Terminal to web-1]" {
		t.Errorf("List() after one ended = %s, want the terminal only", got)
	}
	term()
	if got := set.List(); len(got) != 0 {
		t.Errorf("List() after both ended = %v, want none", got)
	}
}
