#!/usr/bin/env bash
# Compiles iapdesk's Windows resources (icon, manifest, version info) into a
# COFF object for `go build` to link. Name the output rsrc_windows_amd64.syso
# in the main package directory: Go links a .syso only for the GOOS/GOARCH
# in its name, so it never reaches a Linux build.
#
#   packaging/windows/mkrsrc.sh VERSION COMMIT OUT.syso
#
# VERSION is the Makefile's `git describe` version; the numeric FILEVERSION
# comes from packaging/version.sh. WINDRES overrides the resource compiler.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 VERSION COMMIT OUT.syso" >&2; exit 2; }
version=$1 commit=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
windres=${WINDRES:-x86_64-w64-mingw32-windres}

# The values go into C string literals and a sed replacement.
for v in "$version" "$commit"; do
  [[ $v =~ ^[A-Za-z0-9._+~-]+$ ]] || { echo "$0: version/commit $(printf %q "$v") has characters a .rc string cannot hold" >&2; exit 2; }
done
command -v "$windres" >/dev/null || {
  echo "$0: $windres not found: install the Debian package binutils-mingw-w64-x86-64 (comes with gcc-mingw-w64-x86-64)" >&2
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|@ICON@|$root/icons/iapdesk.ico|" \
    -e "s|@MANIFEST@|$here/iapdesk.exe.manifest|" \
    -e "s|@WIN_VERSION@|$("$root/packaging/version.sh" win "$version")|" \
    -e "s|@VERSION@|$version|g" \
    -e "s|@COMMIT@|$commit|g" \
    "$here/iapdesk.rc.in" >"$tmp/iapdesk.rc"
"$windres" --input-format=rc --output-format=coff --target=pe-x86-64 -i "$tmp/iapdesk.rc" -o "$out"
