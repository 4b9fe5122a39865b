"""``python -m booking_app``: the same as the ``fukufuku-desk`` command."""

from booking_app.cli import main

raise SystemExit(main())
