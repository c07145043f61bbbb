#!/usr/bin/env bash
# Builds the Linux release packages from an already built binary:
#   OUTDIR/iapdesk-VERSION-linux-ARCH.tar.xz   (a prefix tree + Makefile: `sudo make install`)
#   OUTDIR/iapdesk_DEBVERSION_ARCH.deb         (dpkg-deb; installs under /usr)
#
#   packaging/linux/package.sh BINARY VERSION OUTDIR
#
# VERSION is the Makefile's `git describe` version; packaging/version.sh maps
# it for Debian. Needs dpkg-deb and dpkg-shlibdeps (Debian: dpkg-dev), xz.
# `make package-linux` builds BINARY and runs this.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 BINARY VERSION OUTDIR" >&2; exit 2; }
bin=$1 version=$2 outdir=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
id=io.github.iapdesk

for tool in dpkg-deb dpkg-shlibdeps xz; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found: apt-get install dpkg-dev xz-utils" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "$0: $bin is not an executable: build it first (make package-linux does)" >&2; exit 1; }

debversion=$("$root/packaging/version.sh" deb "$version")
arch=$(dpkg --print-architecture)
# The release date in the AppStream metadata: the commit's, so rebuilding an
# old commit gives the same file (and so does SOURCE_DATE_EPOCH for the archives).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
work=$(mktemp -d "$outdir/.package-linux.XXXXXX")
trap 'rm -rf "$work"' EXIT

# stage PREFIX installs the file set of both packages under PREFIX
# (bin/, share/…), the layout of /usr and /usr/local alike.
stage() {
  local p=$1 s
  install -D -m 0755 "$bin" "$p/bin/iapdesk"
  install -D -m 0644 "$here/$id.desktop" "$p/share/applications/$id.desktop"
  install -d -m 0755 "$p/share/metainfo"
  sed -e "s|@VERSION@|$debversion|" -e "s|@DATE@|$date|" "$here/$id.metainfo.xml.in" >"$p/share/metainfo/$id.metainfo.xml"
  chmod 0644 "$p/share/metainfo/$id.metainfo.xml"
  for s in 48 128; do
    install -D -m 0644 "$root/icons/iapdesk-$s.png" "$p/share/icons/hicolor/${s}x${s}/apps/$id.png"
  done
  install -D -m 0644 "$root/icons/iapdesk.png" "$p/share/icons/hicolor/256x256/apps/$id.png"
  install -D -m 0644 "$root/icons/iapdesk.svg" "$p/share/icons/hicolor/scalable/apps/$id.svg"
}

# --- tar.xz: prefix tree + installing Makefile -------------------------------
name=iapdesk-$version-linux-$arch
stage "$work/tar/$name"
install -m 0644 "$here/install.mk" "$work/tar/$name/Makefile"
install -m 0644 "$root/LICENSE" "$work/tar/$name/LICENSE"
tarball=$outdir/$name.tar.xz
tar -C "$work/tar" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" -cf - "$name" | xz -T0 -6 >"$tarball.tmp"
mv "$tarball.tmp" "$tarball"
echo "$tarball"

# --- .deb -------------------------------------------------------------------
d=$work/debian/iapdesk # where dpkg-shlibdeps expects a package's files
stage "$d/usr"
install -D -m 0644 "$root/LICENSE" "$d/usr/share/doc/iapdesk/copyright"

# Depends: the shared libraries the binary links, with versions, from
# dpkg-shlibdeps; plus the ones GLFW (under Fyne) dlopens at run time, which
# no tool sees: Xcursor (cursors), Xrandr (monitors, scale), Xinerama, Xi
# (input), Xxf86vm (gamma), Xrender (transparency), and GL/X11 themselves for
# a binary built before the GUI linked them.
install -d -m 0755 "$d/DEBIAN" # dpkg-shlibdeps finds the package root by it
printf 'Source: iapdesk\n\nPackage: iapdesk\nArchitecture: any\n' >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O -e"debian/iapdesk/usr/bin/iapdesk" | sed -n 's/^shlibs:Depends=//p')
depends=$shlibs
for pkg in libgl1 libx11-6 libxcursor1 libxrandr2 libxinerama1 libxi6 libxxf86vm1 libxrender1; do
  case ", $depends," in *", $pkg,"* | *", $pkg ("*) ;; *) depends="${depends:+$depends, }$pkg" ;; esac
done

cat >"$d/DEBIAN/control" <<EOF
Package: iapdesk
Version: $debversion
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-The iapdesk authors <iapdesk@users.noreply.github.com>}
Installed-Size: $(du -sk --exclude=DEBIAN "$d" | cut -f1)
Depends: $depends
Recommends: freerdp2-x11 | freerdp3-x11, openssh-client, xterm | x-terminal-emulator, xdg-utils
Suggests: gnome-keyring
Section: net
Priority: optional
Homepage: https://github.com/iapdesk/iapdesk
Description: Compute Engine RDP and SSH client through Identity-Aware Proxy
 iapdesk reaches Google Compute Engine VMs without public IP addresses
 through Identity-Aware Proxy (IAP) TCP forwarding: a project explorer of
 VMs, one-click RDP (FreeRDP) and SSH connections over IAP tunnels, saved
 profiles and credentials in the system keyring.
 .
 The headless "iapdesk tunnel" command is a drop-in for
 "gcloud compute start-iap-tunnel" in scripts.
EOF
# No maintainer scripts: the triggers of desktop-file-utils (on
# /usr/share/applications: update-desktop-database, which registers the
# iap-rdp: handler) and of the icon themes do what a postinst/postrm would, on
# install and on removal. Without a postrm, `dpkg -r` leaves no config-files
# record behind.
(cd "$d" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$d/DEBIAN/md5sums"
chmod 0644 "$d/DEBIAN/md5sums"
# Reproducible member times; dpkg-deb reads SOURCE_DATE_EPOCH for the rest.
find "$d" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
deb=$outdir/iapdesk_${debversion}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$d" "$deb.tmp" >/dev/null
mv "$deb.tmp" "$deb"
echo "$deb"
