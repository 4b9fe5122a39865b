#!/usr/bin/env bash
# Regenerate the pictures of docs/user-guide.md (docs/images/*.png) with the app itself.
#
#   docs/make_screenshots.sh            # from the project root or anywhere
#
# One start of the demo (a throwaway SQLite database full of demo data, deleted on exit) on a fixed
# day, 2026-11-25 (水), photographs every page and dialog: `--screenshot FOLDER --page a,b --dialog c,d`
# writes FOLDER/<name>.png (booking_app/ui/screenshots.py). No window appears (Qt offscreen).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
OUT="$ROOT/docs/images"
TODAY="2026-11-25"
PAGES="calendar,today,insurance,stats,lottery"
DIALOGS="login,lock,booking,payment,group-check,receipts-all,cashup,accidents,about,keys,waitlist"

if [ ! -x "$PYTHON" ]; then
    echo "Python が見つかりません（$PYTHON）。先に make venv を実行してください。" >&2
    exit 1
fi
mkdir -p "$OUT"
cd "$ROOT"
# The app's own QSettings and data folders are left alone: the demo database is a temporary file.
QT_QPA_PLATFORM=offscreen "$PYTHON" -m booking_app --demo --today "$TODAY" \
    --screenshot "$OUT" --page "$PAGES" --dialog "$DIALOGS" \
    2> >(grep -v "This plugin does not support" >&2)
ls -l "$OUT"/*.png
