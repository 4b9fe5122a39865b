#!/usr/bin/env bash
# Install the Linux one-folder build system-wide (run as root after `make bundle`):
#
#   sudo installer/linux/install.sh [dist/FukufukuDesk] [PREFIX=/opt/fukufuku-desk]
#
# Copies the bundle to /opt/fukufuku-desk, the desktop entry to /usr/share/applications and the icon into
# the hicolor theme. Users' data (~/.local/share/fukufuku-desk, ~/.config/fukufuku-desk) is not touched,
# and `install.sh --uninstall` removes only what this script installed.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
prefix=/opt/fukufuku-desk
apps=/usr/share/applications
icons=/usr/share/icons/hicolor

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$prefix" "$apps/fukufuku-desk.desktop" "$icons/256x256/apps/fukufuku-desk.png" \
        "$icons/scalable/apps/fukufuku-desk.svg"
    echo "removed $prefix and the menu entry; user data in ~/.local/share/fukufuku-desk is kept"
    exit 0
fi

dist=${1:-$here/dist/FukufukuDesk}
[ -x "$dist/FukufukuDesk" ] || { echo "no build at $dist (run make bundle first)" >&2; exit 1; }
rm -rf "$prefix"
cp -a "$dist" "$prefix"
install -Dm644 "$here/installer/linux/fukufuku-desk.desktop" "$apps/fukufuku-desk.desktop"
install -Dm644 "$here/resources/icons/fukufuku-desk.png" "$icons/256x256/apps/fukufuku-desk.png"
install -Dm644 "$here/resources/icons/fukufuku-desk.svg" "$icons/scalable/apps/fukufuku-desk.svg"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$icons" || true
echo "installed to $prefix; menu entry: ふくふくデスク"
