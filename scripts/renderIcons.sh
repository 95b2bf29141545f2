#!/usr/bin/env bash
# Renders the app icon, drawn once as build/icon.svg, to what electron-builder packages
# (electron.config.ts): build/icons/<N>x<N>.png for Linux (16 to 1024), build/icon.icns for macOS
# and build/icon.ico for Windows. The outputs are committed; run this again after changing the SVG.
# Debian tools: librsvg2-bin (rsvg-convert), pngquant and optipng (small files), icoutils
# (icotool), python3 (the .icns container).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in rsvg-convert:librsvg2-bin pngquant:pngquant optipng:optipng icotool:icoutils python3:python3; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "renderIcons: missing tools; install them with: apt-get install -y ${missing[*]}" >&2
  exit 1
fi

svg=build/icon.svg
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Linux: one PNG per size; electron-builder reads the size from the file name.
rm -rf build/icons
mkdir -p build/icons
for size in 16 24 32 48 64 128 256 512 1024; do
  rsvg-convert --width "$size" --height "$size" "$svg" --output "$work/$size.png"
  # A 256-colour palette with dithering keeps the gradients and makes the files several times smaller.
  pngquant --force --skip-if-larger --quality 85-100 --speed 1 --output "$work/$size.png" "$work/$size.png" || true
  optipng -quiet -o2 -strip all "$work/$size.png"
  cp "$work/$size.png" "build/icons/${size}x${size}.png"
done

# macOS: an icns whose entries are PNG files, as Apple's iconutil writes them (macOS 10.7+). Debian's
# png2icns stores the large sizes as lossless JPEG 2000 instead, three times the size. The container
# is a 4-byte type and a 4-byte big-endian length per entry after an 'icns' header.
python3 - "$work" build/icon.icns <<'PY'
import struct, sys
work, target = sys.argv[1], sys.argv[2]
entries = [('icp4', 16), ('icp5', 32), ('ic11', 32), ('icp6', 64), ('ic12', 64), ('ic07', 128), ('ic13', 256),
           ('ic08', 256), ('ic14', 512), ('ic09', 512), ('ic10', 1024)]
body = b''
for kind, size in entries:
    data = open(f'{work}/{size}.png', 'rb').read()
    body += kind.encode() + struct.pack('>I', 8 + len(data)) + data
open(target, 'wb').write(b'icns' + struct.pack('>I', 8 + len(body)) + body)
PY

# Windows: every entry stored as PNG (--raw), which Windows reads since Vista: a fraction of BMP's size.
icotool --create --output build/icon.ico --raw="$work"/{16,24,32,48,64,128,256}.png

ls -l build/icons build/icon.icns build/icon.ico
