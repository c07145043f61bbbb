package app

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// TerminalSafe returns s fit to print on a terminal when s comes from a
// file or an API (an e-mail address from accounts.json, a VM name, an error
// message from Google). Every character that could drive the terminal
// instead of being shown is written as a Go escape: \n, \r and \t; \xNN
// for the other ASCII controls and for invalid UTF-8 bytes; \uNNNN above
// ASCII. Those characters are the C0 controls (newline and tab included: s
// is one value, so a line break in it could fake a line of output), DEL,
// the C1 controls, the Unicode line and paragraph separators, and the
// bidirectional embeddings, overrides, isolates and marks that reorder what
// is displayed. So "\x1b]0;pwn\x07" (a sequence that sets the window title)
// prints as the 14 characters `\x1b]0;pwn\x07`. Everything else,
// backslashes included, is left alone: the result is for showing, not for
// parsing back.
func TerminalSafe(s string) string {
	i := unsafeIndex(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r < 0x80 && unsafeRune(r) && r != '\n' && r != '\r' && r != '\t':
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		case unsafeRune(r):
			q := strconv.QuoteRuneToASCII(r) // '\n', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeIndex is the byte index of the first character TerminalSafe
// escapes, or -1.
func unsafeIndex(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports whether a terminal may act on r instead of showing it.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f: // C0, DEL, C1
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // bidi marks (ALM, LRM, RLM)
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return true
	}
	return false
}
