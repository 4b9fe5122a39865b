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
allocation      issue 18's figures of a period: the lottery per room, キャンセル待ち outcomes, 減免 and 還付
                totals (``allocation_figures``, MonthFigures.allocation)
month_close     the manager's acts: ``close_month`` (月次締め), ``amend`` (訂正); ``unsettled_bookings``
progress        the dashboard: ``year_progress``, ``data_version``
==============  ================================================================================
"""
