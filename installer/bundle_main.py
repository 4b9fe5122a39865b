"""Entry point of the PyInstaller build: the same as ``python -m booking_app`` / ``fukufuku-desk``.

A script of its own outside the package: PyInstaller puts the entry script's folder on the search
path, and with booking_app/__main__.py that folder would make ``app``, ``cli``, ... importable as
top-level modules next to ``booking_app.app``, ``booking_app.cli`` (two copies of one module).
"""

import sys

from booking_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
