#!/usr/bin/env bash
# The tests with the machine's clock really moved (issue 12): runs the domain, services and UI tests under
# libfaketime on each of the calendar sweep's trap days, so that anything reading the wall clock behind the
# app's one clock (booking_app/clock.py) would show. The tests themselves stay pinned (tests/pinning.py);
# what this adds is the proof that nothing else in the process looks at the real date.
#
#   usage: tests/calendar_faketime.sh [DAY …]        (default: every sweep day; needs Debian's `faketime`)
#
# Left out, and why:
#   * PostgreSQL tests (-m "not postgres"): they start a server process, which would inherit the faked
#     clock through LD_PRELOAD and is not the app;
#   * slow tests (-m "not slow"): the 8-process stress and kill -9 crash runs spawn and kill processes and
#     take minutes each; they pass explicit moments to every service call anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v faketime >/dev/null || { echo "faketime missing: apt-get install faketime" >&2; exit 2; }
days=("$@")
[ ${#days[@]} -gt 0 ] || days=(2026-12-28 2026-12-30 2027-01-04 2027-03-31 2027-04-01 2027-02-07 2027-03-21 2028-02-29)
mkdir -p build
failed=()
for day in "${days[@]}"; do
    echo "== machine clock at $day 10:00 (faketime)"
    if ! FAKETIME_DONT_FAKE_MONOTONIC=1 QT_QPA_PLATFORM=offscreen BOOKING_APP_TEST_NO_PG=1 \
         faketime -f "@$day 10:00:00" .venv/bin/python -m pytest -q -rfE -p no:cacheprovider -n 2 --dist loadfile \
         -m "not postgres and not slow" tests/domain tests/services tests/ui \
         --junitxml="build/faketime-$day.xml"; then
        failed+=("$day")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "faketime: FAILED on ${failed[*]}" >&2
    exit 1
fi
echo "faketime: passed on ${days[*]}"
