package app_test

import (
	"testing"
	"unicode/utf8"

	"iapdesk/app"
)

func TestTerminalSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"\x1b]0;pwn\x07@example.com", `\x1b]0;pwn\x07@example.com`},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"line\nfake line\r\t", `line\nfake line\r\t`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"c1 \u009b31m csi", `c1 \u009b31m csi`},
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},
		{"iso\u2066x\u2069 \u200f", `iso\u2066x\u2069 \u200f`},
		{"sep\u2028", `sep\u2028`},
		{"bad utf8 \xff\xfe", `bad utf8 \xff\xfe`},
		{`DOMAIN\user`, `DOMAIN\user`},
		{"ünïcödé 日本 🙂", "ünïcödé 日本 🙂"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := app.TerminalSafe(tc.in); got != tc.want {
			t.Errorf("TerminalSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzTerminalSafe: the output never holds a character a terminal acts
// on, is valid UTF-8, and escaping it again changes nothing.
func FuzzTerminalSafe(f *testing.F) {
	for _, s := range []string{"a@b.c", "\x1b]0;pwn\x07", "\u202e\xff\n", "\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := app.TerminalSafe(s)
		for _, r := range got {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x202e || r == 0x2066 {
				t.Fatalf("TerminalSafe(%q) = %q, holds %U", s, got, r)
			}
		}
		if !utf8.ValidString(got) {
			t.Fatalf("TerminalSafe(%q) = %q, not valid UTF-8", s, got)
		}
		if again := app.TerminalSafe(got); again != got {
			t.Fatalf("TerminalSafe(TerminalSafe(%q)) = %q, want %q", s, again, got)
		}
	})
}
