"""The statistics' figures as plain data: the service (``services/stats``) counts them, the writers
(``reports/stats_export``) and the screens (``ui/stats``) show them.

They live here, below both services and reports, so that a report takes them without importing a
service (the layers contract in ``.importlinter``), and a test can write any report from figures it
makes by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath

from booking_app import clock
from booking_app.domain.counting import Pace
from booking_app.domain.errors import ValidationError

ROOM_CATEGORY = "部屋利用"  # users counted at check-out
EVENT_CATEGORY = "講座・行事"  # attendance of the centre's own events
NO_ROOM = "備品のみ"  # a booking of equipment without a room, in users_by_room
UNREGISTERED = "個人/未登録"  # users_by_group_type of bookings by a person or an unregistered group
# The printing figures' keys → their names (the report's headings, the amendment labels).
PRINTING_LABELS = {"uses": "利用回数", "masters": "製版数", "sheets": "印刷枚数"}


@dataclass(frozen=True)
class AmendmentView:
    """A correction (訂正) to a closed month's figure: who, when, why, old and new."""

    id: int
    year: int
    month: int
    key: str
    label: str
    old_value: int
    new_value: int
    reason: str
    source: str
    at: datetime
    staff_id: int
    staff_name: str


@dataclass(frozen=True)
class Progress:
    """The dashboard's headline: users this fiscal year against the target (目標利用者数)."""

    fiscal_year: int
    total: int
    target: int
    pace: Pace
    groups_registered: int
    groups_target: int
    by_category: dict[str, int]
    updated_at: datetime  # when these figures were read


@dataclass(frozen=True)
class MonthRow:
    """One month's users with the same month of the year before, for the bars and the tables.

    A month of the fiscal year is over, running (today is in it) or ahead. One rule for every output:

    * a month ahead has not happened: ``total`` is None (shown blank, never 0) and nothing compares;
    * the running month counts up to today (``upto`` is today's day: 「12月（16日まで）」) and compares with
      last year's same month up to the same day (``last_year_to_date``);
    * a month that is over compares with last year's whole month.

    ``last_year_total`` is always last year's whole month (a fact, for reference); comparisons use
    :attr:`last_year_comparable`, which is like-for-like.
    """

    year: int
    month: int
    total: int | None  # None: the month has not begun
    by_category: dict[str, int]
    last_year_total: int
    upto: int | None = None  # the running month: counted up to this day of it (today)
    last_year_to_date: int | None = None  # the running month: last year's same month up to the same day

    @property
    def state(self) -> str:
        """'done', 'running' or 'ahead'."""
        if self.total is None:
            return "ahead"
        return "running" if self.upto is not None else "done"

    @property
    def last_year_comparable(self) -> int | None:
        """Last year's users over the same days as this row counts (None for a month ahead)."""
        if self.total is None:
            return None
        if self.upto is not None and self.last_year_to_date is not None:
            return self.last_year_to_date
        return self.last_year_total

    @property
    def ratio(self) -> float | None:
        """This month against last year's same days (前年比), None ahead or without last year's users."""
        last = self.last_year_comparable
        return self.total / last if self.total is not None and last else None

    @property
    def label(self) -> str:
        """'12月', or '12月（16日まで）' for the running month."""
        return f"{self.month}月" + (f"（{self.upto}日まで）" if self.upto is not None else "")


def same_period(rows: Iterable[MonthRow]) -> tuple[int, int]:
    """This year's users so far and last year's over the same days (前年同期): months that are over in
    full, the running month to today's day on both sides, months ahead left out."""
    this = last = 0
    for r in rows:
        if r.total is not None:
            this += r.total
            last += r.last_year_comparable or 0
    return this, last


@dataclass(frozen=True)
class MonthFigures:
    """Everything the city asks for about a month or a fiscal year (月次・年度統計), no personal data.

    ``occupancy`` is a ratio 0.0–1.0 (booked minutes over open minutes) per room and period.
    ``revenue_by_kind`` is receipts issued in the period less refunds of voids done in the period.
    For a closed month every figure is the stored, submitted one; amendments are listed beside them.
    """

    period_label: str
    users_total: int
    users_by_category: dict[str, int]
    users_by_room: dict[str, int]
    users_by_group_type: dict[str, int]
    bookings: int
    cancellations: int
    no_shows: int
    occupancy: dict[str, dict[str, float]]
    new_groups: int
    groups_registered: int
    insurance_enrolments: dict[str, int]
    printing: dict[str, int]
    revenue_by_kind: dict[str, int]
    amendments: list[AmendmentView] = field(default_factory=list)
    closed: bool = False
    closed_at: datetime | None = None
    closed_by: str = ""
    # Additions beyond the published API (never renamed): which period these figures cover.
    year: int = 0  # calendar year of the month; the fiscal year for year_figures
    month: int | None = None  # None for a fiscal year
    start: date | None = None
    end: date | None = None  # inclusive
    force_reason: str = ""  # why the month was closed with bookings still unsettled
    # A period still running is counted up to ``as_of`` (today); None once it is over. ``bookings`` are
    # then the ones held so far (実績: 確定・利用中・利用済 that have begun) and ``bookings_planned`` the
    # confirmed ones still ahead (予定); users, cancellations and occupancy cover the days up to as_of.
    as_of: date | None = None
    bookings_planned: int = 0


# Fields stored in MonthClosing.figures (the submitted numbers); the rest is added when read.
STORED_FIELDS = ("period_label", "users_total", "users_by_category", "users_by_room", "users_by_group_type",
                 "bookings", "cancellations", "no_shows", "occupancy", "new_groups", "groups_registered",
                 "insurance_enrolments", "printing", "revenue_by_kind", "year", "month", "start", "end",
                 "force_reason")


# --------------------------------------------------------------------------- the statistics report

CENTRE_NAME = "しものせき市民活動センター"  # when the centre's profile has no name yet
STATS_SUFFIXES = (".xlsx", ".csv", ".pdf")


@dataclass(frozen=True)
class ReportInfo:
    """Who made the report and when (作成日・作成者・指定管理者), printed on every format's first page."""

    created_on: date | None = None  # None: the clock's today
    author: str = ""  # the staff member who wrote it
    operator: str = ""  # the designated operator (指定管理者) running the centre

    @property
    def day(self) -> date:
        return self.created_on or clock.today()


@dataclass(frozen=True)
class StatsReport:
    """Everything a statistics file is written from (``reports.stats_export.write_stats``): the figures of a
    month or a fiscal year, the fiscal year's monthly rows (None for a month), the centre and the particulars."""

    fig: MonthFigures
    monthly: tuple[MonthRow, ...] | None = None
    centre: str = CENTRE_NAME
    info: ReportInfo = field(default_factory=ReportInfo)


def period_text(fig: MonthFigures) -> str:
    """'令和8年10月分' for a month, '令和8年度' for a fiscal year (the service says '令和8年10月')."""
    label = fig.period_label
    if getattr(fig, "month", None) and not label.endswith("分"):
        return label + "分"
    return label


def check_target(path: PurePath | str) -> str:
    """The statistics file's suffix, or a Japanese refusal for one we cannot write."""
    suffix = PurePath(path).suffix.lower()
    if suffix not in STATS_SUFFIXES:
        raise ValidationError(f"書き出すファイルは .xlsx、.csv、.pdf のいずれかにしてください（「{PurePath(path).name}」）。",
                              "path")
    return suffix


__all__ = ["ROOM_CATEGORY", "EVENT_CATEGORY", "NO_ROOM", "UNREGISTERED", "PRINTING_LABELS", "AmendmentView",
           "Progress", "MonthRow", "same_period", "MonthFigures", "STORED_FIELDS",
           "CENTRE_NAME", "STATS_SUFFIXES", "ReportInfo", "StatsReport", "period_text", "check_target"]
