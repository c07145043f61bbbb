#!/usr/bin/env bash
# Builds the release packages and checks them the way users meet them:
#   - Linux tar.xz: expected files; its Makefile installs system-wide
#     (DESTDIR) and per user (PREFIX=~/.local) and uninstalls cleanly; the
#     .desktop file passes desktop-file-validate, the metainfo
#     appstreamcli validate; the binary runs `iapdesk version`.
#   - .deb: fields and files; Depends covers every library the binary links;
#     `dpkg -i` installs it (iap-rdp: handler registered), `iapdesk version`
#     runs, `dpkg -r` removes every file. Needs root: skipped with a message
#     when not root, a failure under CI=1.
#   - Windows .exe: PE32+ x86-64 GUI program with icon, manifest and a
#     version resource that matches the build (packaging/pecheck).
#   - macOS: build-app.sh only parses (`bash -n`); it runs on a Mac.
#
#   packaging/test-packages.sh          # or: make package-test
set -euo pipefail
cd "$(dirname "$0")/.."

step_start=$SECONDS
timings=()
step() {
  if [ -n "${step_name:-}" ]; then timings+=("$(printf '%4ds  %s' $((SECONDS - step_start)) "$step_name")"); fi
  step_name=$1 step_start=$SECONDS
  printf '\n=== %s\n' "$step_name"
}
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

tmp=$(mktemp -d)
installed_deb=
cleanup() {
  if [ -n "$installed_deb" ]; then dpkg -r iapdesk >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Package file names: the versions as the Makefile computes them.
eval "$(make -s --no-print-directory package-info)"
arch=$(dpkg --print-architecture)
tarball=build/iapdesk-$VERSION-linux-$arch.tar.xz
deb=build/iapdesk_${DEB_VERSION}_$arch.deb
id=io.github.iapdesk
echo "VERSION=$VERSION DEB_VERSION=$DEB_VERSION WIN_VERSION=$WIN_VERSION"

# expect_version BINARY: `BINARY version` prints "iapdesk VERSION (…".
expect_version() {
  local out
  out=$("$1" version) || fail "$1 version: exit $?"
  case $out in "iapdesk $VERSION ("*) ok "$1 version: $out" ;; *) fail "$1 version printed '$out', want 'iapdesk $VERSION (…'" ;; esac
}

# The file set both packages install, relative to the prefix.
prefix_files="bin/iapdesk
share/applications/$id.desktop
share/icons/hicolor/128x128/apps/$id.png
share/icons/hicolor/256x256/apps/$id.png
share/icons/hicolor/48x48/apps/$id.png
share/icons/hicolor/scalable/apps/$id.svg
share/metainfo/$id.metainfo.xml"

step "make package-linux"
make --no-print-directory package-linux
[ -s "$tarball" ] || fail "$tarball not built"
[ -s "$deb" ] || fail "$deb not built"
ls -l "$tarball" "$deb"

step "tar.xz contents"
top=iapdesk-$VERSION-linux-$arch
got=$(tar -tJf "$tarball" | grep -v '/$' | LC_ALL=C sort)
want=$( (printf '%s\n' "$prefix_files" Makefile LICENSE) | sed "s|^|$top/|" | LC_ALL=C sort)
[ "$got" = "$want" ] || fail "$tarball holds:
$got
want:
$want"
ok "$(echo "$got" | wc -l) files under $top/"
tar -xJf "$tarball" -C "$tmp"
expect_version "$tmp/$top/bin/iapdesk"

step "validate .desktop and AppStream metainfo"
desktop-file-validate "$tmp/$top/share/applications/$id.desktop"
ok "desktop-file-validate $id.desktop"
grep -qx 'MimeType=x-scheme-handler/iap-rdp;' "$tmp/$top/share/applications/$id.desktop" ||
  fail "$id.desktop does not declare MimeType=x-scheme-handler/iap-rdp;"
appstreamcli validate --no-net "$tmp/$top/share/metainfo/$id.metainfo.xml"
grep -q "<release version=\"$DEB_VERSION\" date=\"[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\"/>" "$tmp/$top/share/metainfo/$id.metainfo.xml" ||
  fail "metainfo has no <release> for $DEB_VERSION"

step "tar.xz Makefile: system install (DESTDIR), validate-tree, uninstall"
root=$tmp/root
make --no-print-directory -s -C "$tmp/$top" install DESTDIR="$root" PREFIX=/usr
got=$(cd "$root/usr" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
[ "$got" = "$prefix_files" ] || fail "make install DESTDIR=… PREFIX=/usr installed:
$got
want:
$prefix_files"
grep -qx 'Exec="/usr/bin/iapdesk" %u' "$root/usr/share/applications/$id.desktop" || fail "installed .desktop has $(grep ^Exec= "$root/usr/share/applications/$id.desktop")"
desktop-file-validate "$root/usr/share/applications/$id.desktop"
# validate-tree checks the metainfo together with the .desktop file it launches.
appstreamcli validate-tree --no-net "$root"
make --no-print-directory -s -C "$tmp/$top" uninstall DESTDIR="$root" PREFIX=/usr
left=$(find "$root" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
ok "installed $(echo "$prefix_files" | wc -l) files, validate-tree passed, uninstall removed them all"

step "tar.xz Makefile: per-user install (PREFIX=~/.local)"
home=$tmp/home
env HOME="$home" XDG_DATA_HOME="$home/.local/share" make --no-print-directory -s -C "$tmp/$top" install PREFIX="$home/.local"
expect_version "$home/.local/bin/iapdesk"
grep -qx "Exec=\"$home/.local/bin/iapdesk\" %u" "$home/.local/share/applications/$id.desktop" ||
  fail "per-user .desktop has $(grep ^Exec= "$home/.local/share/applications/$id.desktop")"
desktop-file-validate "$home/.local/share/applications/$id.desktop"
if command -v update-desktop-database >/dev/null; then
  grep -q "^x-scheme-handler/iap-rdp=.*$id.desktop" "$home/.local/share/applications/mimeinfo.cache" ||
    fail "per-user install did not register the iap-rdp: handler in mimeinfo.cache"
  ok "iap-rdp: handler registered for the user"
fi
env HOME="$home" make --no-print-directory -s -C "$tmp/$top" uninstall PREFIX="$home/.local"
left=$(find "$home/.local" -type f ! -name mimeinfo.cache ! -name icon-theme.cache)
[ -z "$left" ] || fail "per-user uninstall left: $left"
ok "per-user install and uninstall"

step ".deb fields, files and Depends"
dpkg-deb --info "$deb"
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = iapdesk ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$DEB_VERSION" ] || fail "Version: $(field Version), want $DEB_VERSION"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture)"
got=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '/$' | sed 's|^\./usr/||' | LC_ALL=C sort)
want=$( (printf '%s\n' "$prefix_files" share/doc/iapdesk/copyright) | LC_ALL=C sort)
[ "$got" = "$want" ] || fail "$deb holds:
$got
want (under /usr):
$want"
ok "$(echo "$got" | wc -l) files under /usr"
# Every library the binary links must come from a package in Depends.
depends=$(field Depends)
bin=$tmp/$top/bin/iapdesk
for lib in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
  pkgs=$(dpkg -S "*/$lib" 2>/dev/null | cut -d: -f1 | tr ',' '\n' | sed 's/ //g' | sort -u)
  [ -n "$pkgs" ] || fail "no installed package provides $lib (NEEDED by iapdesk)"
  found=
  for p in $pkgs; do
    case ", $depends," in *", $p,"* | *", $p ("*) found=$p ;; esac
  done
  [ -n "$found" ] || fail "$lib comes from $pkgs, none of which is in Depends: $depends"
  ok "$lib <- $found"
done
for p in libgl1 libx11-6 libxcursor1 libxrandr2 libxinerama1 libxi6 libxxf86vm1; do
  case ", $depends," in *", $p,"* | *", $p ("*) ;; *) fail "Depends lacks $p (the GUI needs it): $depends" ;; esac
done
ok "Depends: $depends"

step "dpkg -i, iapdesk version, dpkg -r"
if [ "$(id -u)" != 0 ]; then
  [ "${CI:-}" != 1 ] || fail "CI=1 but not root: the .deb install test needs root"
  echo "SKIP: not root, so the .deb is not installed here (CI runs this as root)"
elif dpkg-query -W -f='${Status}' iapdesk 2>/dev/null | grep -q 'ok installed'; then
  [ "${CI:-}" != 1 ] || fail "iapdesk is already installed on the CI machine"
  echo "SKIP: an iapdesk package is already installed here; not replacing it"
else
  installed_deb=1
  dpkg -i "$deb"
  [ "$(dpkg-query -W -f='${Status} ${Version}' iapdesk)" = "install ok installed $DEB_VERSION" ] ||
    fail "dpkg-query after dpkg -i: $(dpkg-query -W -f='${Status} ${Version}' iapdesk)"
  expect_version /usr/bin/iapdesk
  if ldd /usr/bin/iapdesk | grep 'not found'; then fail "installed iapdesk misses libraries"; fi
  for f in $prefix_files; do [ -e "/usr/$f" ] || fail "/usr/$f not installed"; done
  if command -v update-desktop-database >/dev/null; then
    grep -q "^x-scheme-handler/iap-rdp=.*$id.desktop" /usr/share/applications/mimeinfo.cache ||
      fail "dpkg -i did not register the iap-rdp: handler in /usr/share/applications/mimeinfo.cache"
    ok "iap-rdp: handler registered"
  fi
  dpkg -r iapdesk
  installed_deb=
  for f in $prefix_files share/doc/iapdesk/copyright; do [ ! -e "/usr/$f" ] || fail "/usr/$f still there after dpkg -r"; done
  [ ! -e /usr/share/doc/iapdesk ] || fail "/usr/share/doc/iapdesk still there after dpkg -r"
  if status=$(dpkg -s iapdesk 2>&1); then fail "dpkg -s iapdesk after dpkg -r: $status"; fi
  case $status in *"not installed"*) ok "dpkg -s: $status" ;; *) fail "dpkg -s iapdesk after dpkg -r: $status" ;; esac
  if [ -f /usr/share/applications/mimeinfo.cache ] && grep -q "$id.desktop" /usr/share/applications/mimeinfo.cache; then
    fail "dpkg -r left $id.desktop in mimeinfo.cache"
  fi
  ok "installed, ran, removed cleanly"
fi

step "make package-windows"
make --no-print-directory package-windows
[ ! -e rsrc_windows_amd64.syso ] || fail "package-windows left rsrc_windows_amd64.syso in the source tree"

step "Windows .exe: GUI subsystem, icon, manifest, version resource"
go run ./packaging/pecheck -version "$VERSION" -file-version "$WIN_VERSION" build/windows/iapdesk.exe
cmp -s build/windows/iapdesk.exe "build/iapdesk-$VERSION-windows-amd64.exe" || fail "versioned copy of the .exe differs"

step "macOS script syntax"
bash -n packaging/macos/build-app.sh
ok "bash -n packaging/macos/build-app.sh (it runs on a Mac only)"

step done
printf '\nall package checks passed. Timings:\n'
printf '%s\n' "${timings[@]}"
