# Fukufuku Desk — developer commands.
#   make run    start the app (SQLite in the user data dir)
#   make demo   start the app with demo data
#   make test   run the test suite (SQLite + a throwaway PostgreSQL cluster), at a pinned moment
#   make check  the layer contracts (import-linter) and the type checker (mypy); part of `make test`
#   make test-calendar  the date-sensitive tests once on each of the year's trap days (tests/pinning.py)
#   make bench  run every bench/*.py script
#   make bundle the one-folder desktop build in dist/FukufukuDesk (PyInstaller), then `make bundle-test`
#   make bundle-test  start the built bundle with a clean environment and check its screenshot
#   make clean  remove build output and caches (keeps .venv; `make distclean` removes it too)

SHELL      := /bin/bash
PYTHON     ?= python3
VENV       := .venv
VPY        := $(VENV)/bin/python
STAMP      := $(VENV)/.stamp
BUNDLE_STAMP := $(VENV)/.bundle-stamp
DIST       := dist
BUILD      := build
REPORT     := $(BUILD)/test-report.xml
PYTEST_ARGS ?=
PG_BIN_GLOB ?= /usr/lib/postgresql/*/bin/initdb

.PHONY: venv gui-libs run demo test check test-calendar bench clean distclean pg-server-binaries pdf-tools translations bundle bundle-test

venv: $(STAMP)

# Re-install only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# The X11/xcb libraries Qt's desktop platform needs (a fresh Debian lacks some): installed when root,
# otherwise the one apt-get command to run is printed and make stops.
gui-libs: venv
	@bash installer/gui-libs.sh $(VPY)

run: venv gui-libs
	$(VPY) -m booking_app

demo: venv gui-libs
	$(VPY) -m booking_app --demo

# PostgreSQL server binaries (initdb/pg_ctl) for the throwaway test cluster.
# Root without them: install Debian's package. Not root: warn, PostgreSQL tests skip.
pg-server-binaries:
	@if command -v initdb >/dev/null 2>&1 || ls $(PG_BIN_GLOB) >/dev/null 2>&1; then \
	    :; \
	elif [ "$$(id -u)" = "0" ]; then \
	    echo "make: PostgreSQL server binaries missing; installing Debian package 'postgresql'"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
	else \
	    echo "WARNING: PostgreSQL server binaries (initdb) not found and not root:" \
	         "PostgreSQL tests will be skipped. Install them with: sudo apt-get install postgresql"; \
	fi

# PDF checks in the tests read PDFs back with poppler (pdffonts, pdftotext, pdftoppm).
pdf-tools:
	@if command -v pdftotext >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
	    echo "make: installing poppler-utils for the PDF tests"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null; \
	else \
	    echo "WARNING: poppler-utils missing and not root: PDF tests will fail. sudo apt-get install poppler-utils"; \
	fi

# Japanese fonts are bundled in resources/fonts/ (IPAex), so no system fonts are needed.
test: venv pg-server-binaries pdf-tools check
	@mkdir -p $(BUILD)
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest --junitxml=$(REPORT) $(PYTEST_ARGS)

# The house rules a reviewer would otherwise check by eye (issue 16): the layers (.importlinter: ui >
# services > reports > store > domain, no SQL in the ui, reports take no session) and the types
# (mypy.ini: strict for domain, store and services). Either failing stops `make test` before pytest.
check: venv
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# The calendar sweep (issue 12): every date-sensitive test that does not name its own day runs once on
# each trap day (年末年始, fiscal-year end and start, a Sunday, a 振替休日 eve, 2028-02-29, today's real
# date). A test that never reads the clock runs on one day only. SQLite only, without the slow tests,
# one test file per worker (the skip bookkeeping is per process): about 10 minutes on 2 cores. A worker that
# crashes ends the run with the test named (--max-worker-restart=0); restarted workers under loadfile hung it.
CALENDAR_TESTS ?= tests/domain tests/services tests/ui
CALENDAR_REPORT := $(BUILD)/test-calendar-report.xml
SWEEP_WORKERS ?= 2
test-calendar: venv pdf-tools
	@mkdir -p $(BUILD)
	QT_QPA_PLATFORM=offscreen BOOKING_APP_TEST_NO_PG=1 $(VPY) -m pytest --calendar-sweep -q -rfE \
	    -n $(SWEEP_WORKERS) --dist loadfile --max-worker-restart=0 -m "not postgres and not slow" \
	    --junitxml=$(CALENDAR_REPORT) $(CALENDAR_TESTS) $(PYTEST_ARGS)

bench: venv
	QT_QPA_PLATFORM=offscreen $(VPY) bench/run_all.py

clean:
	rm -rf $(BUILD) $(DIST) .pytest_cache .hypothesis .mypy_cache .import_linter_cache *.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

# Refresh the translation source for an English UI (the UI's own language is Japanese).
translations: venv
	$(VENV)/bin/pyside6-lupdate booking_app/app.py booking_app/ui/*.py -source-language ja_JP \
	    -target-language en_US -ts resources/translations/booking_app_en.ts

# --------------------------------------------------------------------------- desktop build (not in `make test`: minutes)
# PyInstaller is an optional extra ('.[bundle]'), installed only for this.
$(BUNDLE_STAMP): pyproject.toml $(STAMP)
	$(VPY) -m pip install --quiet -e '.[test,bundle]'
	@touch $(BUNDLE_STAMP)

bundle: $(BUNDLE_STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --clean installer/fukufuku-desk.spec --distpath $(DIST) \
	    --workpath $(BUILD)/pyinstaller
	@du -sh $(DIST)/FukufukuDesk
	$(MAKE) bundle-test

# Starts dist/FukufukuDesk with no Python environment at all and checks the picture it saves.
bundle-test: venv
	PYTHON=$(abspath $(VPY)) bash installer/test_bundle.sh $(DIST)/FukufukuDesk
