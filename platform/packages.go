package platform

// packages says, per OS, what provides a program that was not found.
var packages = map[string]map[string]string{
	"linux": {
		"xfreerdp3":           "freerdp3-x11",
		"sdl-freerdp3":        "freerdp3-sdl",
		"wlfreerdp3":          "freerdp3-wayland",
		"xfreerdp":            "freerdp2-x11",
		"wlfreerdp":           "freerdp2-wayland",
		"remmina":             "remmina",
		"ssh":                 "openssh-client",
		"xdg-open":            "xdg-utils",
		"x-terminal-emulator": "xterm",
		"xterm":               "xterm",
		"gnome-terminal":      "gnome-terminal",
		"konsole":             "konsole",
		"xfce4-terminal":      "xfce4-terminal",
		"alacritty":           "alacritty",
		"kitty":               "kitty",
		"wezterm":             "wezterm (from wezfurlong.org)",
		"foot":                "foot",
		"psql":                "postgresql-client",
		"mysql":               "default-mysql-client",
		"sqlcmd":              "sqlcmd (from packages.microsoft.com)",
		"redis-cli":           "redis-tools",
		"mongosh":             "mongosh (from the MongoDB repository)",
	},
	"darwin": {
		"Windows App": "Windows App from the App Store",
		"ssh":         "the Xcode command line tools",
		"osascript":   "macOS (osascript is part of it)",
		"open":        "macOS (open is part of it)",
		"psql":        "libpq (brew install libpq)",
		"mysql":       "mysql-client (brew install mysql-client)",
		"sqlcmd":      "sqlcmd (brew install sqlcmd)",
		"redis-cli":   "redis (brew install redis)",
		"mongosh":     "mongosh (brew install mongosh)",
	},
	"windows": {
		"mstsc":    "Remote Desktop Connection (mstsc.exe), which is part of Windows",
		"ssh":      "the OpenSSH Client (Settings > System > Optional features)",
		"wt":       "Windows Terminal from the Microsoft Store",
		"rundll32": "Windows (rundll32.exe is part of it)",
		"psql":     "PostgreSQL command line tools (winget install PostgreSQL.PostgreSQL)",
		"mysql":    "MySQL Shell or client (winget install Oracle.MySQL)",
		"sqlcmd":   "sqlcmd (winget install sqlcmd)",
		"mongosh":  "mongosh (winget install MongoDB.Shell)",
	},
}

// packageFor returns what to install to get program on goos, or "".
func packageFor(goos, program string) string {
	return packages[goos][program]
}
