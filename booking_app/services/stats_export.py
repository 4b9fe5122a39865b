"""統計の書き出し as a use case: gather the figures in one transaction and record the export.

:func:`gather_stats` reads the database and writes the audit row; it returns a plain
:class:`~booking_app.domain.figures.StatsReport`, which the caller hands to
``booking_app.reports.stats_export.write_stats`` (xlsx, csv, pdf) in the SAME transaction, so a file that
cannot be written leaves no audit entry behind (the ui's export tab and the ``export-stats`` command do so).
Services never import reports (the layers are held by ``.importlinter``).
"""
from __future__ import annotations

from pathlib import PurePath

from sqlalchemy.orm import Session

from booking_app import clock
from booking_app.domain.errors import ValidationError
from booking_app.domain.figures import CENTRE_NAME, ReportInfo, StatsReport, check_target, period_text
from booking_app.services.centre import get_profile
from booking_app.services.common import Actor, audit
from booking_app.services.slips import issuer_for
from booking_app.services.stats.figures import month_figures, monthly_users, year_figures


def gather_stats(session: Session, actor: Actor, path: PurePath | str, *, month: tuple[int, int] | None = None,
                 fiscal_year: int | None = None, centre: str | None = None, author: str = "",
                 file_name: str | None = None) -> StatsReport:
    """A month's (``month=(2026, 10)``) or a fiscal year's figures for the file ``path``, recorded as exported.

    ``path`` is the file to be written: its suffix (.xlsx, .csv, .pdf; anything else is refused before
    anything is read) and name go into the audit trail as ``actor``'s, with the period; ``file_name`` is the
    name to record when ``path`` is a temporary file. Everything is read as of one moment (the clock's now),
    so the monthly rows and the year's figures agree on which days are counted. ``author`` is the staff
    member writing the report (作成者; by default ``actor``'s name); the designated operator (指定管理者)
    comes from the centre's issuer details. Call it in a write transaction and write the file in the same one.
    """
    if (month is None) == (fiscal_year is None):
        raise ValidationError("月（--month）か年度（--fiscal-year）のどちらか一方を指定してください。", "period")
    suffix = check_target(path)
    if centre is None:
        centre = get_profile(session).name or CENTRE_NAME
    now = clock.now()
    info = ReportInfo(created_on=now.date(), author=author or actor.name, operator=issuer_for(session).operator or "")
    monthly = None
    if month is not None:
        fig = month_figures(session, *month, now=now)
    else:
        assert fiscal_year is not None  # exactly one of month and fiscal_year, checked above
        fig = year_figures(session, fiscal_year, now=now)
        monthly = tuple(monthly_users(session, fiscal_year, today=now.date()))
    name = file_name or PurePath(path).name
    audit(session, actor, "export", "statistics", None,
          f"{period_text(fig)}の統計を書き出し（{suffix[1:].upper()}、{name}）",
          after={"file": name, "period": f"{month[0]:04d}-{month[1]:02d}" if month else f"FY{fiscal_year}",
                 "format": suffix[1:]})
    return StatsReport(fig=fig, monthly=monthly, centre=centre, info=info)


__all__ = ["gather_stats"]
