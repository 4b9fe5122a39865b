#!/usr/bin/env bash
# The X11/xcb libraries Qt's desktop ("xcb") platform needs, which a fresh Debian machine lacks.
# Called by `make run` / `make demo` (issue 12): lists what Qt's platform plugins cannot load (ldd), then
# installs the Debian packages when root, or says the one command to run and stops.
#   usage: installer/gui-libs.sh PYTHON
set -euo pipefail
py=${1:-python3}

[ "$(uname -s)" = "Linux" ] || exit 0
case "${QT_QPA_PLATFORM:-}" in offscreen|minimal|vnc*) exit 0 ;; esac

qt=$("$py" -c 'import os, PySide6; print(os.path.join(os.path.dirname(PySide6.__file__), "Qt"))')
files=("$qt/plugins/platforms/libqxcb.so" "$qt"/lib/libQt6XcbQpa.so.* "$qt"/lib/libQt6Gui.so.*
       "$qt"/lib/libQt6Widgets.so.* "$qt"/lib/libQt6DBus.so.*)

# soname -> Debian package (bookworm names; the same on current Ubuntu).
declare -A pkg=(
  [libxcb-cursor.so.0]=libxcb-cursor0 [libxcb-icccm.so.4]=libxcb-icccm4 [libxcb-image.so.0]=libxcb-image0
  [libxcb-keysyms.so.1]=libxcb-keysyms1 [libxcb-randr.so.0]=libxcb-randr0
  [libxcb-render-util.so.0]=libxcb-render-util0 [libxcb-render.so.0]=libxcb-render0
  [libxcb-shape.so.0]=libxcb-shape0 [libxcb-shm.so.0]=libxcb-shm0 [libxcb-sync.so.1]=libxcb-sync1
  [libxcb-xfixes.so.0]=libxcb-xfixes0 [libxcb-xinerama.so.0]=libxcb-xinerama0 [libxcb-xkb.so.1]=libxcb-xkb1
  [libxcb-xinput.so.0]=libxcb-xinput0 [libxcb-util.so.1]=libxcb-util1 [libxcb-glx.so.0]=libxcb-glx0
  [libxcb.so.1]=libxcb1 [libX11-xcb.so.1]=libx11-xcb1 [libX11.so.6]=libx11-6
  [libxkbcommon-x11.so.0]=libxkbcommon-x11-0 [libxkbcommon.so.0]=libxkbcommon0
  [libEGL.so.1]=libegl1 [libGL.so.1]=libgl1 [libOpenGL.so.0]=libopengl0 [libGLX.so.0]=libglx0
  [libfontconfig.so.1]=libfontconfig1 [libfreetype.so.6]=libfreetype6 [libdbus-1.so.3]=libdbus-1-3
  [libglib-2.0.so.0]=libglib2.0-0 [libgthread-2.0.so.0]=libglib2.0-0 [libICE.so.6]=libice6 [libSM.so.6]=libsm6
  [libwayland-client.so.0]=libwayland-client0 [libwayland-cursor.so.0]=libwayland-cursor0
)

missing=$(for f in "${files[@]}"; do [ -e "$f" ] && ldd "$f" 2>/dev/null; done \
          | awk '/not found/ {print $1}' | sort -u)
[ -z "$missing" ] && exit 0

packages=() unknown=()
for so in $missing; do
  if [ -n "${pkg[$so]:-}" ]; then packages+=("${pkg[$so]}"); else unknown+=("$so"); fi
done
packages=($(printf '%s\n' "${packages[@]}" | sort -u))

echo "Qt の画面表示に必要なライブラリが不足しています / Qt's desktop platform lacks: $(echo $missing)"
if [ ${#packages[@]} -gt 0 ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "make: installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  still=$(for f in "${files[@]}"; do [ -e "$f" ] && ldd "$f" 2>/dev/null; done | awk '/not found/ {print $1}' | sort -u)
  [ -z "$still" ] && exit 0
  echo "still missing after the install: $still" >&2
  exit 1
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "Install them, then run the command again:" >&2
  echo "    sudo apt-get install ${packages[*]}" >&2
fi
[ ${#unknown[@]} -gt 0 ] && echo "(no package known for: ${unknown[*]}; search with: apt-file search NAME)" >&2
exit 1
