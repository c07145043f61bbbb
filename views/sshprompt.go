package views

import (
	"context"
	"strings"
	"unicode/utf8"

	"iapdesk/app"
)

var _ app.SSHPrompter = (*sshTab)(nil)

// SSHPrompt asks a login question in the terminal, as ssh does in a
// terminal: the host key confirmation, a password (and whether to save it
// in the keyring), OS Login's 2-step verification. The server's words are
// escaped before they are shown. Ctrl+C or Ctrl+D gives up. Off the UI
// thread (the session's loop).
func (t *sshTab) SSHPrompt(ctx context.Context, p app.SSHPrompt) (app.SSHAnswer, error) {
	t.prompting.Store(true)
	defer t.prompting.Store(false)
	t.w.do(func() { t.w.win.Canvas().Focus(t.term) })
	var head strings.Builder
	for _, s := range []string{p.Name, p.Instruction} {
		if s = strings.TrimSpace(s); s != "" {
			head.WriteString(crlf(app.TerminalSafe(s)) + "\r\n")
		}
	}
	t.show(head.String())
	var a app.SSHAnswer
	for _, q := range p.Questions {
		t.show(crlf(app.TerminalSafe(q.Prompt)))
		line, err := t.readLine(ctx, q.Echo)
		if err != nil {
			return app.SSHAnswer{}, err
		}
		a.Answers = append(a.Answers, line)
	}
	if p.Kind == app.PromptPassword && p.CanSave {
		t.show("Save this password in the keyring for " + app.TerminalSafe(p.Instance.Name) + "? [y/N] ")
		line, err := t.readLine(ctx, true)
		if err != nil {
			return app.SSHAnswer{}, err
		}
		a.Save = strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "y")
	}
	return a, nil
}

func (t *sshTab) show(s string) {
	if s != "" {
		_, _ = t.model.Write([]byte(s))
	}
}

// crlf makes the server's line breaks the terminal's.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// readLine reads a line typed in the terminal, echoing it (or not):
// Backspace edits, Enter ends, Ctrl+C and Ctrl+D give up, escape
// sequences (arrows, function keys) are ignored.
func (t *sshTab) readLine(ctx context.Context, echo bool) (string, error) {
	var line []byte
	buf := make([]byte, 256)
	inEscape := false
	for {
		n, err := t.model.ReadInput(ctx, buf)
		if err != nil {
			return "", err
		}
		for _, b := range buf[:n] {
			switch {
			case inEscape:
				// CSI/SS3 sequences end with a letter or ~.
				if b >= 0x40 && b <= 0x7e && b != '[' && b != 'O' {
					inEscape = false
				}
			case b == 0x1b:
				inEscape = true
			case b == '\r' || b == '\n':
				t.show("\r\n")
				return string(line), nil
			case b == 0x03 || b == 0x04:
				t.show("^C\r\n")
				return "", app.ErrSSHPromptDeclined
			case b == 0x7f || b == 0x08:
				if len(line) > 0 {
					_, size := utf8.DecodeLastRune(line)
					line = line[:len(line)-size]
					if echo {
						t.show("\b \b")
					}
				}
			case b < 0x20:
			default:
				line = append(line, b)
				if echo {
					t.show(string(b))
				}
			}
		}
	}
}
