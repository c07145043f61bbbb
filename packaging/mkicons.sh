#!/usr/bin/env bash
# Renders the app icon from icons/iapdesk.svg into the committed files:
#   icons/iapdesk.png (256 px), icons/iapdesk-48.png, icons/iapdesk-128.png
#   icons/iapdesk.ico (16–256 px, for the Windows .exe)
# Run it (`make icons`) after editing the SVG. Needs rsvg-convert
# (librsvg2-bin) and ImageMagick's convert.
set -euo pipefail
cd "$(dirname "$0")/../icons"
for t in rsvg-convert convert; do
  command -v "$t" >/dev/null || { echo "$0: $t not found: apt-get install librsvg2-bin imagemagick" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in 16 24 32 48 64 128 256; do
  rsvg-convert -w "$s" -h "$s" iapdesk.svg -o "$tmp/$s.png"
done
cp "$tmp/256.png" iapdesk.png
cp "$tmp/48.png" iapdesk-48.png
cp "$tmp/128.png" iapdesk-128.png
# ImageMagick stores the 256 px image as PNG, the smaller ones as bitmaps.
convert "$tmp"/{16,24,32,48,64,128,256}.png iapdesk.ico
