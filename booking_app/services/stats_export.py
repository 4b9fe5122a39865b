"""統計の書き出し as a use case: gather the figures in one transaction, record it, hand plain data to the writer.

The writers (``booking_app.reports.stats_export``: xlsx, csv, pdf) take plain figures and a path and know no
session; this module is the part that reads the database and writes the audit row (the layers are held by
``.importlinter``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from booking_app import clock
from booking_app.domain.errors import ValidationError
from booking_app.reports.stats_export import (
    CENTRE_NAME,
    ReportInfo,
    check_target,
    period_text,
    render_stats_pdf,
    write_stats_csv,
    write_stats_xlsx,
)
from booking_app.domain.figures import MonthFigures, MonthRow
from booking_app.services.centre import get_profile
from booking_app.services.common import Actor, audit
from booking_app.services.slips import issuer_for
from booking_app.services.stats.figures import month_figures, monthly_users, year_figures


class _StatsWriter(Protocol):
    """The signature the three writers of ``booking_app.reports.stats_export`` share (pdf returns pages)."""

    def __call__(self, fig: MonthFigures, path: Path | str, /, *, monthly: Sequence[MonthRow] | None = ...,
                 centre: str = ..., info: ReportInfo | None = ...) -> object: ...


def export_stats(session: Session, path: Path | str, *, actor: Actor, month: tuple[int, int] | None = None,
                 fiscal_year: int | None = None, centre: str | None = None, author: str = "",
                 progress: Callable[[int, int], None] | None = None, file_name: str | None = None) -> MonthFigures:
    """Gather a month's (``month=(2026, 10)``) or a fiscal year's figures and write them by suffix.

    Everything is read as of one moment (the clock's now), so the monthly rows and the year's figures
    agree on which days are counted. ``author`` is the staff member writing the report (作成者; by default
    ``actor``'s name); the designated operator (指定管理者) comes from the centre's issuer details.
    ``progress(done, steps)`` is called after gathering and after writing, for a progress bar.
    The export is recorded in the audit trail as ``actor``'s (which period, format and file), in
    the same transaction as the reading, so call it in a write transaction; ``file_name`` is the name to
    record when ``path`` is a temporary file. Returns the figures written.
    """
    if (month is None) == (fiscal_year is None):
        raise ValidationError("月（--month）か年度（--fiscal-year）のどちらか一方を指定してください。", "period")
    suffix = check_target(path)
    steps = 2
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
        monthly = monthly_users(session, fiscal_year, today=now.date())
    if progress is not None:
        progress(1, steps)
    writers: dict[str, _StatsWriter] = {".xlsx": write_stats_xlsx, ".csv": write_stats_csv,
                                        ".pdf": render_stats_pdf}
    writer = writers[suffix]
    name = file_name or Path(path).name
    # Recorded before the file is written: a refused author leaves no file behind.
    audit(session, actor, "export", "statistics", None,
          f"{period_text(fig)}の統計を書き出し（{suffix[1:].upper()}、{name}）",
          after={"file": name, "period": f"{month[0]:04d}-{month[1]:02d}" if month else f"FY{fiscal_year}",
                 "format": suffix[1:]})
    writer(fig, path, monthly=monthly, centre=centre, info=info)
    if progress is not None:
        progress(2, steps)
    return fig


__all__ = ["export_stats"]
