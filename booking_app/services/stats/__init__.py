"""User counts (利用者数) toward the city's yearly target, month closing and the statistics the city asks for.

Import the module that does what you need; the plain data the figures are made of (MonthFigures,
MonthRow, AmendmentView, Progress, same_period) lives in ``booking_app.domain.figures``.

==============  ================================================================================
ledger          the three sources of users (rooms, walk-ins, events) as one aggregate query; the
                shared date helpers; ``walkin_categories``
month_lock      ``ensure_month_open``: a closed month locks its counted data (imports no other stats module)
tallies         walk-in tallies at the counter (来館者カウント): ``add_tally``, ``undo_tally``, ``tally_counts``
events          the centre's own events (講座・研修・交流会): ``save_event``, ``list_events``
amendments      amendments as read (訂正): keys, ``amendment_label``, the month's / year's lists
figures         the city's figures: ``month_figures``, ``year_figures``, ``monthly_users``, ``users_by_room``
month_close     the manager's acts: ``close_month`` (月次締め), ``amend`` (訂正); ``unsettled_bookings``
progress        the dashboard: ``year_progress``, ``data_version``
==============  ================================================================================

The names below are imported here only for callers in files other engineers own or are editing now,
which still take them from the package: tests/services/test_demo.py (year_progress, monthly_users,
list_events, EVENT_CATEGORY), tests/services/test_db_login.py (add_tally, undo_tally, save_event,
close_month), tests/ui/test_bad_input_dialogs.py (close_month), bench/stress_lib.py (tally_counts,
monthly_users, users_by_room, ROOM_CATEGORY), booking_app/demo/ and services/demo.py (save_event,
walkin_categories); and ``MonthClosed`` for its old home (tests/domain/test_errors.py). Remove each once
its callers import the module that defines it.
"""

from booking_app.domain.errors import MonthClosed as MonthClosed
from booking_app.domain.figures import EVENT_CATEGORY as EVENT_CATEGORY
from booking_app.domain.figures import ROOM_CATEGORY as ROOM_CATEGORY
from booking_app.services.stats.events import list_events as list_events
from booking_app.services.stats.events import save_event as save_event
from booking_app.services.stats.figures import monthly_users as monthly_users
from booking_app.services.stats.figures import users_by_room as users_by_room
from booking_app.services.stats.ledger import walkin_categories as walkin_categories
from booking_app.services.stats.month_close import close_month as close_month
from booking_app.services.stats.progress import year_progress as year_progress
from booking_app.services.stats.tallies import add_tally as add_tally
from booking_app.services.stats.tallies import tally_counts as tally_counts
from booking_app.services.stats.tallies import undo_tally as undo_tally
