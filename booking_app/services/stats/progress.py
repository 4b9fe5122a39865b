"""The dashboard's reads: the year's users against the target, and the fingerprint it polls."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.counting import pace
from booking_app.domain.figures import Progress
from booking_app.services.centre import targets_for
from booking_app.services.common import local_now
from booking_app.services.groups import group_figures
from booking_app.services.stats.ledger import fy_range, users_by_category
from booking_app.store.models import AuditEntry, Booking, CentreEvent, MonthClosing, StatAmendment, WalkInTally


def year_progress(session: Session, *, today: date) -> Progress:
    """Users this fiscal year up to today against the target, with the pace.

    One aggregate query (UNION ALL of the three sources) plus the registered groups.
    """
    fy = jcal.fiscal_year(today)
    targets = targets_for(session, fy)  # the year's targets from settings, else the plan's figures
    lo, hi = fy_range(fy)
    # As of today: the figure a manager saw on a given day stays what it was (and pace stays honest).
    by_category = users_by_category(session, lo, min(hi, today + timedelta(days=1)))
    total = sum(by_category.values())
    groups = group_figures(session, today=today, target=targets.groups)
    return Progress(fiscal_year=fy, total=total, target=targets.users,
                    pace=pace(total, targets.users, today), groups_registered=groups.registered,
                    groups_target=targets.groups, by_category=by_category, updated_at=local_now())


def data_version(session: Session) -> str:
    """A cheap fingerprint of the counted data, polled by the dashboard every few seconds.

    Every change to counted data is audited, so the newest audit id moves with any check-out, undo,
    tally or event change; the primary keys of the data tables cover rows written without an audit
    entry (imports, bulk loads). Each part is a primary-key MAX: an index lookup, whatever the size.
    """
    parts = [session.scalar(select(func.max(m.id))) for m in (AuditEntry, WalkInTally, Booking, CentreEvent,
                                                               MonthClosing, StatAmendment)]
    return ":".join(str(p or 0) for p in parts)


__all__ = ["year_progress", "data_version"]
