package views

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"iapdesk/app"
)

// TerminalStep is one step of a terminal script: text typed, then text
// the screen shows when the step is done.
type TerminalStep struct {
	Input, Wait string
}

// scriptTerminal opens a terminal tab to ref as Connect does with
// ssh.client=embedded and runs steps in it; with files it shows the SFTP
// pane beside it, with an upload held at 40% (a stream that stops), for
// the README's pictures.
func (w *Window) scriptTerminal(ctx context.Context, sc Script) error {
	ref, steps, files := sc.Terminal, sc.TerminalSteps, sc.Files
	var svc *Services
	var inst app.Instance
	if err := w.onUI(ctx, func() {
		if svc = w.svc; svc != nil {
			if i, ok := svc.Explorer.Inventory().Instance(ref); ok {
				inst = *i
			}
		}
	}); err != nil {
		return err
	}
	if svc == nil || svc.SSH == nil || inst.Name == "" {
		return fmt.Errorf("script: no embedded ssh to %s", ref.Name)
	}
	s, err := svc.Connector.Connect(ctx, app.Request{Instance: inst, Protocol: app.ProtocolSSH, CanEmbed: true}, nil)
	if err != nil {
		return err
	}
	if !s.Embedded {
		return fmt.Errorf("script: ssh to %s did not open in the window (ssh.client is not embedded)", ref.Name)
	}
	var tab *sshTab
	if err := w.onUI(ctx, func() {
		w.reveal(ref)
		w.split.SetOffset(0.3) // room for the terminal
		tab = w.sessions.openSSH(s.Request)
	}); err != nil {
		return err
	}
	if err := w.scriptWait(ctx, "the shell on "+ref.Name, func() bool { return tab.shell != nil }); err != nil {
		return err
	}
	for _, st := range steps {
		tab.model.Text(st.Input)
		if err := w.scriptWait(ctx, "the terminal to show "+st.Wait, func() bool {
			return strings.Contains(screenString(tab), st.Wait)
		}); err != nil {
			return err
		}
	}
	if sc.TerminalColour != "" {
		if err := w.scriptColour(ctx, tab, sc.TerminalColour); err != nil {
			return err
		}
	}
	if !files {
		return w.onUI(ctx, func() { tab.term.Refresh() })
	}
	if err := w.onUI(ctx, tab.toggleFiles); err != nil {
		return err
	}
	var pane *sftpPane
	if err := w.scriptWait(ctx, "the file list", func() bool {
		pane = tab.files
		return pane != nil && len(pane.entries) > 0
	}); err != nil {
		return err
	}
	// A folder every Linux VM has, rather than someone's home directory;
	// the upload goes to /tmp.
	if err := w.onUI(ctx, func() { pane.navigate("/etc") }); err != nil {
		return err
	}
	if err := w.scriptWait(ctx, "the listing of /etc", func() bool { return pane.dir == "/etc" }); err != nil {
		return err
	}
	const size = 96 << 20
	name := "backup-2026-11-29.tar.gz"
	if err := w.onUI(ctx, func() {
		pane.startTransfer("Uploading "+name, func(ctx context.Context, f *app.SFTP, o app.TransferOptions) error {
			return f.UploadFrom(ctx, &heldReader{ctx: ctx, left: size * 41 / 100}, size, "/tmp/"+name, o)
		})
	}); err != nil {
		return err
	}
	return w.scriptWait(ctx, "the upload at 40%", func() bool { return pane.progress >= 0.4 })
}

// scriptColour types key until the screen shows a colour: a program
// starting up may drop keys typed too early, so a key unanswered for a
// second is typed again (it toggles, so only then).
func (w *Window) scriptColour(ctx context.Context, tab *sshTab, key string) error {
	for range 10 {
		tab.model.Text(key)
		wait, cancel := context.WithTimeout(ctx, time.Second)
		err := w.scriptWait(wait, "colours", func() bool { return tab.model.Coloured() })
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
	}
	return fmt.Errorf("script: the terminal shows no colours after typing %q", key)
}

// screenString is the text on a tab's screen.
func screenString(t *sshTab) string { return t.model.ScreenText() }

// heldReader yields left bytes of zeros, then waits until ctx ends: an
// upload that stops part-way, for a picture of the progress bar.
type heldReader struct {
	ctx  context.Context
	left int64
}

func (h *heldReader) Read(p []byte) (int, error) {
	if h.left <= 0 {
		<-h.ctx.Done()
		return 0, h.ctx.Err()
	}
	n := int(min(int64(len(p)), h.left))
	clear(p[:n])
	h.left -= int64(n)
	return n, nil
}

var _ io.Reader = (*heldReader)(nil)
