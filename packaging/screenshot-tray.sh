#!/bin/bash
# screenshot-tray.sh OUT.png [IAPDESK]: a picture of iapdesk's tray menu.
#
# iapdesk's tray is a StatusNotifierItem (fyne.io/systray, D-Bus). It needs
# a StatusNotifier host: here xfce4-panel 4.18 (Debian 12) with only its
# Status Tray plugin, on a private D-Bus session bus and Xvfb, and a private
# HOME holding the panel's xfconf configuration (so the panel does not ask
# for its first-start default config). The script starts the panel and
# `iapdesk --demo --demo-script=screenshot` (a tunnel open, saved
# connections), right-clicks the tray icon so the panel opens the menu
# from iapdesk's com.canonical.dbusmenu, grabs the panel and the menu to
# OUT.png, and stops everything it started.
#
# make screenshot-tray runs it with build/iapdesk.
set -euo pipefail

if [ "${1:-}" = "" ]; then
	echo "usage: $0 OUT.png [IAPDESK]" >&2
	exit 2
fi

# inner runs inside dbus-run-session: Xvfb, the panel, the demo, the shot.
inner() {
	local out=$1 bin=$2 dir=$3
	pids=()
	stop() {
		local p
		for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
		for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	}
	trap stop EXIT
	trap 'exit 130' INT TERM

	# waitfor WHAT SECONDS CMD...: polls CMD until it succeeds.
	waitfor() {
		local what=$1 n=$(($2 * 10))
		shift 2
		while ! "$@" >/dev/null 2>&1; do
			n=$((n - 1))
			if [ "$n" -le 0 ]; then
				echo "screenshot-tray: timed out waiting for $what" >&2
				for f in "$dir"/{xvfb,panel,iapdesk}.log; do
					[ ! -f "$f" ] || { echo "== $f" && tail -20 "$f"; } >&2
				done
				return 1
			fi
			sleep 0.1
		done
	}
	busname() {
		dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus.NameHasOwner "string:$1" | grep -q 'boolean true'
	}
	registered() {
		dbus-send --session --print-reply --dest=org.kde.StatusNotifierWatcher /StatusNotifierWatcher \
			org.freedesktop.DBus.Properties.Get string:org.kde.StatusNotifierWatcher \
			string:RegisteredStatusNotifierItems | grep -q 'string "'
	}

	exec 3>"$dir/display"
	Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$dir/xvfb.log" 2>&1 &
	pids+=($!)
	exec 3>&-
	waitfor "Xvfb" 10 test -s "$dir/display"
	export DISPLAY=":$(cat "$dir/display")"

	xfce4-panel --disable-wm-check >"$dir/panel.log" 2>&1 &
	pids+=($!)
	waitfor "the panel's StatusNotifierWatcher" 20 busname org.kde.StatusNotifierWatcher

	"$bin" --demo --demo-script=screenshot >"$dir/iapdesk.log" 2>&1 &
	pids+=($!)
	waitfor "the demo" 60 grep -q 'ready for a screenshot' "$dir/iapdesk.log"
	waitfor "the tray icon" 10 registered
	# The demo's window sits at the top left (no window manager here); move
	# it out of the picture, and give the desktop a colour.
	local win
	win=$(xdotool search --name '^iapdesk' | head -1) || true
	[ -z "$win" ] || xdotool windowmove "$win" 3000 0
	convert -size 1280x800 gradient:'#4f7cac-#263d5a' "$dir/desktop.png"
	display -window root "$dir/desktop.png" || true # sets the background, exits 1

	# The panel: bottom, full width, a spacer and the Status Tray at its
	# right end, where the icon is.
	local ids panel menu
	ids=$(xdotool search --onlyvisible --class 'xfce4-panel|wrapper')
	panel=$(bigwin "$ids")
	eval "$(xdotool getwindowgeometry --shell "$panel")"
	sleep 1 # the icon's pixmap comes in after the registration; no event says so
	xdotool mousemove $((X + WIDTH - HEIGHT / 2 - 2)) $((Y + HEIGHT / 2)) click 3
	# The menu is a new panel window; its items come over dbusmenu.
	waitfor "the tray menu" 10 menuwin "$ids"
	menu=$(menuwin "$ids")
	sleep 0.5 # the menu window is mapped; let it draw
	eval "$(xdotool getwindowgeometry --shell "$menu")"
	local left=$((X > 40 ? X - 40 : 0)) top=$((Y > 40 ? Y - 40 : 0))
	import -window root "$dir/full.png"
	convert "$dir/full.png" -crop "+$left+$top" +repage "$out"
}

# bigwin IDS: the first of the windows IDS wider than 100 pixels.
bigwin() {
	local id
	for id in $1; do
		eval "$(xdotool getwindowgeometry --shell "$id")"
		if [ "$WIDTH" -gt 100 ]; then
			echo "$id"
			return 0
		fi
	done
	return 1
}

# menuwin OLD: the visible panel window not in OLD, the menu.
menuwin() {
	local id
	for id in $(xdotool search --onlyvisible --class 'xfce4-panel|wrapper'); do
		case " ${1//$'\n'/ } " in
		*" $id "*) ;;
		*)
			echo "$id"
			return 0
			;;
		esac
	done
	return 1
}

if [ "${1:-}" = "--inner" ]; then
	shift
	inner "$@"
	exit
fi

out=$(realpath -m "$1")
bin=$(realpath "${2:-build/iapdesk}")

missing=
for p in xvfb xauth x11-utils xdotool imagemagick libgl1-mesa-dri dbus xfce4-panel; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing system packages:$missing"
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
conf="$dir/home/.config/xfce4/xfconf/xfce-perchannel-xml"
mkdir -p "$conf"
cat >"$conf/xfce4-panel.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=10;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="icon-size" type="uint" value="24"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray"/>
  </property>
</channel>
XML
# The session bus and the services it starts (xfconfd) see this HOME.
HOME="$dir/home" XDG_CONFIG_HOME="$dir/home/.config" XDG_CACHE_HOME="$dir/home/.cache" \
	XDG_DATA_HOME="$dir/home/.local/share" NO_AT_BRIDGE=1 LANG=C.UTF-8 \
	dbus-run-session -- bash "$0" --inner "$out" "$bin" "$dir" 2>"$dir/session.log" ||
	{
		cat "$dir/session.log" >&2
		exit 1
	}
echo "wrote $1"
