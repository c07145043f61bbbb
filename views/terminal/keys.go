package terminal

import (
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/charmbracelet/x/vt"
)

// Key is a key press for Model.Key: a vt key code (a rune for printable
// keys) and modifiers.
type Key struct {
	Code rune
	Mod  vt.KeyMod
	Text string
}

// namedKeys maps Fyne's key names to vt's codes.
var namedKeys = map[fyne.KeyName]rune{
	fyne.KeyUp: vt.KeyUp, fyne.KeyDown: vt.KeyDown, fyne.KeyLeft: vt.KeyLeft, fyne.KeyRight: vt.KeyRight,
	fyne.KeyHome: vt.KeyHome, fyne.KeyEnd: vt.KeyEnd, fyne.KeyPageUp: vt.KeyPgUp, fyne.KeyPageDown: vt.KeyPgDown,
	fyne.KeyInsert: vt.KeyInsert, fyne.KeyDelete: vt.KeyDelete,
	fyne.KeyReturn: vt.KeyEnter, fyne.KeyEnter: vt.KeyEnter, fyne.KeyTab: vt.KeyTab,
	fyne.KeyBackspace: vt.KeyBackspace, fyne.KeyEscape: vt.KeyEscape, fyne.KeySpace: vt.KeySpace,
	fyne.KeyF1: vt.KeyF1, fyne.KeyF2: vt.KeyF2, fyne.KeyF3: vt.KeyF3, fyne.KeyF4: vt.KeyF4,
	fyne.KeyF5: vt.KeyF5, fyne.KeyF6: vt.KeyF6, fyne.KeyF7: vt.KeyF7, fyne.KeyF8: vt.KeyF8,
	fyne.KeyF9: vt.KeyF9, fyne.KeyF10: vt.KeyF10, fyne.KeyF11: vt.KeyF11, fyne.KeyF12: vt.KeyF12,
}

// KeyFor maps a Fyne key with modifiers to a Key; ok is false for keys
// the terminal does not send (a lone modifier, an unknown name).
func KeyFor(name fyne.KeyName, mods fyne.KeyModifier) (Key, bool) {
	var mod vt.KeyMod
	if mods&fyne.KeyModifierShift != 0 {
		mod |= vt.ModShift
	}
	if mods&fyne.KeyModifierAlt != 0 {
		mod |= vt.ModAlt
	}
	if mods&fyne.KeyModifierControl != 0 {
		mod |= vt.ModCtrl
	}
	if code, ok := namedKeys[name]; ok {
		return Key{Code: code, Mod: mod}, true
	}
	// Letters, digits and punctuation with Ctrl or Alt arrive as
	// shortcuts named by the key: "C", "1", "[".
	r := []rune(string(name))
	if len(r) != 1 {
		return Key{}, false
	}
	c := unicode.ToLower(r[0])
	if mod&vt.ModCtrl != 0 {
		// vt knows Ctrl with a-z, space and [\]^_ only; Shift does not
		// change a control code.
		mod &^= vt.ModShift
		return Key{Code: c, Mod: mod}, true
	}
	text := string(c)
	if mod&vt.ModShift != 0 {
		text = strings.ToUpper(text)
		mod &^= vt.ModShift
	}
	return Key{Code: c, Mod: mod, Text: text}, true
}

// shortcutKey is the key a Fyne shortcut stands for, for a terminal where
// Ctrl+C is an interrupt rather than Copy.
func shortcutKey(s fyne.Shortcut) (fyne.KeyName, fyne.KeyModifier, bool) {
	switch s := s.(type) {
	case *fyne.ShortcutCopy:
		return fyne.KeyC, fyne.KeyModifierShortcutDefault, true
	case *fyne.ShortcutPaste:
		return fyne.KeyV, fyne.KeyModifierShortcutDefault, true
	case *fyne.ShortcutCut:
		return fyne.KeyX, fyne.KeyModifierShortcutDefault, true
	case *fyne.ShortcutSelectAll:
		return fyne.KeyA, fyne.KeyModifierShortcutDefault, true
	case *fyne.ShortcutUndo:
		return fyne.KeyZ, fyne.KeyModifierShortcutDefault, true
	case *fyne.ShortcutRedo:
		return fyne.KeyY, fyne.KeyModifierShortcutDefault, true
	case *desktop.CustomShortcut:
		return s.KeyName, s.Modifier, true
	}
	return "", 0, false
}
