#!/usr/bin/env bash
# Smoke test of the one-folder build (ふくふくデスク): does it start on a machine with no Python?
#
#   installer/test_bundle.sh [dist/FukufukuDesk] [screenshot.png]
#
# How "no Python packages" is made true here, without a second machine:
#  * the bundle folder is COPIED to a fresh temp dir and run from there, with the temp dir as cwd:
#    nothing under the repository is on any path the bundle could use (sys._MEIPASS is the copy);
#  * `env -i` wipes the environment: no PYTHONPATH/PYTHONHOME/VIRTUAL_ENV, PATH=/usr/bin:/bin only,
#    HOME a new empty folder (so the user data folder and Qt settings start empty too);
#  * where strace exists, every file the process opens is logged, and the test FAILS if any was
#    opened from the repository, the venv, a Python installation (pyenv, /usr/lib/python3*,
#    /usr/local/lib/python3*) or a site-packages folder: that proves the imports came from the bundle.
# Then the PNG the bundle saved must be a real picture: more than 50 colours and more than 5 %
# non-white pixels (checked with the venv's Qt, outside the bundle run).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
dist=$(cd "${1:-$here/dist/FukufukuDesk}" && pwd)
shot=${2:-/tmp/fukufuku-bundle-screenshot.png}
python=${PYTHON:-$here/.venv/bin/python}
exe_name=FukufukuDesk

[ -x "$dist/$exe_name" ] || { echo "test_bundle: no executable $dist/$exe_name (run make bundle)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/fukufuku-bundle-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home"
cp -a "$dist" "$tmp/$exe_name"
cd "$tmp"

run_clean() {
    env -i HOME="$tmp/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen "$@"
}

echo "test_bundle: --version"
version=$(run_clean "./$exe_name/$exe_name" --version)
expected=$("$python" -c 'import booking_app; print(booking_app.__version__)')
echo "  $version"
[[ "$version" == *"$expected"* ]] || { echo "test_bundle: FAIL: version '$version' is not $expected" >&2; exit 1; }

echo "test_bundle: --demo --screenshot (clean environment, run from $tmp)"
start=$(date +%s)
if command -v strace >/dev/null 2>&1; then
    run_clean strace -f -qq -e trace=open,openat,execve -o "$tmp/files.log" \
        "./$exe_name/$exe_name" --demo --screenshot "$tmp/shot.png"
    # Files opened successfully (not ENOENT probes) outside the copied bundle that would mean Python code
    # or packages from this machine were used.
    forbidden="$here/|/\.venv/|/\.pyenv/|/usr/lib/python3|/usr/local/lib/python3|site-packages|dist-packages"
    if grep -v ' = -1 ' "$tmp/files.log" | grep -E '"[^"]*"' -o | grep -E "$forbidden" | sort -u > "$tmp/bad.txt" \
            && [ -s "$tmp/bad.txt" ]; then
        echo "test_bundle: FAIL: the bundle opened files outside itself:" >&2
        head -20 "$tmp/bad.txt" >&2
        exit 1
    fi
    opened=$(grep -v ' = -1 ' "$tmp/files.log" | grep -c "$tmp/$exe_name/" || true)
    echo "  strace: $opened files opened from the bundle, none from the repository, venv or a Python install"
else
    run_clean "./$exe_name/$exe_name" --demo --screenshot "$tmp/shot.png"
    echo "  (strace not installed: file-access check skipped)"
fi
echo "  started, seeded the demo data and saved the screenshot in $(( $(date +%s) - start )) s"

[ -s "$tmp/shot.png" ] || { echo "test_bundle: FAIL: no screenshot written" >&2; exit 1; }
cp "$tmp/shot.png" "$shot"

QT_QPA_PLATFORM=offscreen "$python" - "$shot" <<'PY'
import sys

from PySide6.QtGui import QImage

img = QImage(sys.argv[1])
assert not img.isNull(), "screenshot is not a readable PNG"
colours, non_white, total = set(), 0, 0
for y in range(0, img.height(), 2):
    for x in range(0, img.width(), 2):
        rgb = img.pixel(x, y) & 0xFFFFFF
        colours.add(rgb)
        total += 1
        if rgb != 0xFFFFFF:
            non_white += 1
share = non_white / total
print(f"  screenshot {img.width()}x{img.height()}: {len(colours)} colours, {share:.0%} non-white")
if len(colours) <= 50 or share <= 0.05:
    sys.exit("test_bundle: FAIL: the screenshot looks blank")
PY
echo "test_bundle: OK ($shot)"
