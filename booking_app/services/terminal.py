"""Which desk PC (端末) this is: receipts and the daily cash-up (日計表) are kept per terminal."""

from __future__ import annotations

import os
import socket

TERMINAL_ENV = "BOOKING_APP_TERMINAL"


def terminal_name() -> str:
    """``BOOKING_APP_TERMINAL`` when set (e.g. 受付1), else the machine's host name.

    The environment variable wins so that two desks cloned from one disk image, which share a
    host name, can still keep separate cash drawers.
    """
    name = os.environ.get(TERMINAL_ENV, "").strip()
    if not name:
        name = socket.gethostname().strip() or "端末"
    return name[:100]  # the column width of receipts.terminal / day_closings.terminal
