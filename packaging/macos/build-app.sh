#!/usr/bin/env bash
# Builds iapdesk.app, a universal (Intel + Apple silicon) macOS app bundle,
# with the app icon, the version from git, and the iap-rdp: URL scheme.
# Runs on a Mac only (cgo needs Apple's clang and SDK):
#
#   packaging/macos/build-app.sh [VERSION [OUTDIR]]     # or: make package-macos
#
# VERSION defaults to `git describe --tags --always --dirty`, OUTDIR to build.
# Result: OUTDIR/iapdesk.app, and OUTDIR/iapdesk-VERSION-macos.zip to publish.
#
# Needs: Xcode command line tools (`xcode-select --install`: clang, lipo,
# codesign, ditto), Go, and the fyne CLI, which this script installs into
# GOBIN when missing (go install fyne.io/tools/cmd/fyne@FYNE_TOOLS_VERSION).
#
# Steps: build iapdesk for amd64 and arm64 with the same -ldflags as the
# Makefile (version, commit), lipo them into one binary, wrap it with
# `fyne package -os darwin --executable …` (Info.plist, icon.icns from
# icons/iapdesk.png), merge url-scheme.plist into Info.plist, and sign the
# bundle ad hoc. The bundle is not notarized: on first start, right-click →
# Open (or `xattr -dr com.apple.quarantine iapdesk.app` for a downloaded copy).
set -euo pipefail

FYNE_TOOLS_VERSION=${FYNE_TOOLS_VERSION:-v1.7.4}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

if [ "$(uname -s)" != Darwin ]; then
  echo "$0: builds the macOS app bundle and runs on macOS only (this is $(uname -s)); see docs/install.md" >&2
  exit 1
fi
for tool in go clang lipo codesign ditto /usr/libexec/PlistBuddy; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found: install Go and the Xcode command line tools (xcode-select --install)" >&2; exit 1; }
done

version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
outdir=${2:-build}
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
short=$("$root/packaging/version.sh" semver "$version") # CFBundleShortVersionString: x.y.z
build=$(git rev-list --count HEAD 2>/dev/null || echo 1)  # CFBundleVersion: grows with every commit
ldflags="-X iapdesk/app.version=$version -X iapdesk/app.commit=$commit -s -w"

gobin=$(go env GOBIN); gobin=${gobin:-$(go env GOPATH)/bin}
fyne=$gobin/fyne
if ! "$fyne" version 2>/dev/null | grep -q "${FYNE_TOOLS_VERSION#v}"; then
  echo "installing the fyne CLI $FYNE_TOOLS_VERSION into $gobin"
  go install "fyne.io/tools/cmd/fyne@$FYNE_TOOLS_VERSION"
fi

mkdir -p "$outdir/darwin"
for arch in amd64 arm64; do
  echo "go build (darwin/$arch)"
  CGO_ENABLED=1 GOOS=darwin GOARCH=$arch go build -ldflags "$ldflags" -o "$outdir/darwin/iapdesk-$arch" .
done
lipo -create -output "$outdir/darwin/iapdesk" "$outdir/darwin/iapdesk-amd64" "$outdir/darwin/iapdesk-arm64"

# fyne package writes NAME.app into the current directory and bumps Build in
# FyneApp.toml; keep the repository as it was.
cp FyneApp.toml "$outdir/darwin/FyneApp.toml.orig"
trap 'cp "$outdir/darwin/FyneApp.toml.orig" FyneApp.toml' EXIT
rm -rf iapdesk.app "$outdir/iapdesk.app"
"$fyne" package -os darwin --executable "$outdir/darwin/iapdesk" --name iapdesk \
  --app-id io.github.iapdesk --icon icons/iapdesk.png --app-version "$short" --app-build "$build"
mv iapdesk.app "$outdir/iapdesk.app"

plist=$outdir/iapdesk.app/Contents/Info.plist
/usr/libexec/PlistBuddy -c "Delete :CFBundleURLTypes" "$plist" 2>/dev/null || true
/usr/libexec/PlistBuddy -c "Merge $here/url-scheme.plist" "$plist"
/usr/libexec/PlistBuddy -c "Set :CFBundleGetInfoString iapdesk $version (commit $commit)" "$plist" 2>/dev/null ||
  /usr/libexec/PlistBuddy -c "Add :CFBundleGetInfoString string iapdesk $version (commit $commit)" "$plist"
plutil -lint "$plist"

# Editing Info.plist invalidates any signature; Apple silicon runs only
# signed code, so sign ad hoc (a Developer ID identity goes here for releases).
codesign --force --deep --sign - "$outdir/iapdesk.app"
codesign --verify --deep --strict "$outdir/iapdesk.app"
"$outdir/iapdesk.app/Contents/MacOS/iapdesk" version

ditto -c -k --keepParent "$outdir/iapdesk.app" "$outdir/iapdesk-$version-macos.zip"
echo "$outdir/iapdesk.app"
echo "$outdir/iapdesk-$version-macos.zip"
echo "Register the iap-rdp: scheme by opening the app once, or:"
echo "  /System/Library/Frameworks/CoreServices.framework/Frameworks/LaunchServices.framework/Support/lsregister -f $outdir/iapdesk.app"
