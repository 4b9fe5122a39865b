"""The statistics' figures as plain data: the service (``services/stats``) counts them, the writers
(``reports/stats_export``) and the screens (``ui/stats``) show them.

They live here, below both services and reports, so that a report takes them without importing a
service (the layers contract in ``.importlinter``), and a test can write any report from figures it
makes by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

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


# --------------------------------------------------------------------------- issue 18: allocation and money

# キャンセル待ち outcomes (WaitlistEntry.status) → their names, in the order the tables list them.
WAITLIST_LABELS = {"waiting": "待機中", "offered": "連絡済（回答待ち）", "accepted": "承諾（予約済）",
                   "declined": "辞退", "expired": "回答期限切れ", "withdrawn": "取下げ"}
REFUND_FULL_REASON = "全額還付の理由"  # a refund for a reason of RefundRules.full_reasons (any day)
REFUND_BY_DAYS = "日数による"  # a refund by days before the day of use (its rate as the detail)


@dataclass(frozen=True)
class LotteryRoomFigures:
    """One lottery room's entries (抽選) for the months of use in the period.

    ``entries``: entries not withdrawn with a wish in this room; each is exactly one of ``won`` (a wish in
    this room holds the draw's 仮予約), ``won_elsewhere`` (the entry won in another room), ``lost`` (落選)
    or ``pending`` (not drawn yet). ``won_slots``: the 区分 of this room the draw booked."""

    room: str
    entries: int
    won: int
    won_elsewhere: int
    lost: int
    pending: int
    won_slots: int


@dataclass(frozen=True)
class LotteryMonth:
    """A month of use in the period and the day its draw was run (None: not run)."""

    month: date
    drawn_on: date | None


@dataclass(frozen=True)
class CountYen:
    """A count and its yen (a 減免 label, a 還付 class): ``yen`` is always the money as a positive figure."""

    label: str
    count: int
    yen: int
    detail: str = ""


@dataclass(frozen=True)
class AllocationFigures:
    """The lottery, the waiting lists, 減免 and 還付 of a period (issue 18).

    * ``rooms``: per lottery room (:class:`LotteryRoomFigures`); ``entries`` … ``withdrawn`` the period's
      entries counted once each (an entry wishing for two rooms is in both rooms' rows, once here);
    * ``waitlist``: キャンセル待ち requested in the period by their outcome (WAITLIST_LABELS' names);
    * ``reductions``: 減免 lines on receipts issued in the period and not voided, per label (the line's
      description): count and the yen taken off, as a positive figure;
    * ``refunds``: 還付 made in the period by class (REFUND_FULL_REASON with the reason as the detail, or
      REFUND_BY_DAYS with the rate): count and yen paid back.
    """

    rooms: tuple[LotteryRoomFigures, ...] = ()
    months: tuple[LotteryMonth, ...] = ()
    entries: int = 0
    won: int = 0
    lost: int = 0
    pending: int = 0
    withdrawn: int = 0
    won_slots: int = 0
    waitlist: dict[str, int] = field(default_factory=dict)
    reductions: tuple[CountYen, ...] = ()
    refunds: tuple[CountYen, ...] = ()

    @property
    def drawn(self) -> bool:
        """Whether every month of use in the period has had its draw (False when there is none)."""
        return bool(self.months) and all(m.drawn_on is not None for m in self.months)

    @property
    def reduction_yen(self) -> int:
        return sum(r.yen for r in self.reductions)

    @property
    def refund_yen(self) -> int:
        return sum(r.yen for r in self.refunds)

    def to_json(self) -> dict[str, Any]:
        """As stored in MonthClosing.figures (dates as ISO text)."""
        return {
            "rooms": [asdict(r) for r in self.rooms],
            "months": [{"month": m.month.isoformat(),
                        "drawn_on": m.drawn_on.isoformat() if m.drawn_on else None} for m in self.months],
            "entries": self.entries, "won": self.won, "lost": self.lost, "pending": self.pending,
            "withdrawn": self.withdrawn, "won_slots": self.won_slots, "waitlist": dict(self.waitlist),
            "reductions": [asdict(r) for r in self.reductions], "refunds": [asdict(r) for r in self.refunds],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AllocationFigures:
        return cls(
            rooms=tuple(LotteryRoomFigures(**r) for r in d.get("rooms", ())),
            months=tuple(LotteryMonth(date.fromisoformat(m["month"]),
                                      date.fromisoformat(m["drawn_on"]) if m.get("drawn_on") else None)
                         for m in d.get("months", ())),
            **{k: int(d.get(k, 0)) for k in ("entries", "won", "lost", "pending", "withdrawn", "won_slots")},
            waitlist={str(k): int(v) for k, v in (d.get("waitlist") or {}).items()},
            reductions=tuple(CountYen(**r) for r in d.get("reductions", ())),
            refunds=tuple(CountYen(**r) for r in d.get("refunds", ())),
        )


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
    # Issue 18: the lottery, キャンセル待ち, 減免 and 還付 of the period (None: not counted, e.g. built by hand).
    allocation: AllocationFigures | None = None


# Fields stored in MonthClosing.figures (the submitted numbers); the rest is added when read.
STORED_FIELDS = ("period_label", "users_total", "users_by_category", "users_by_room", "users_by_group_type",
                 "bookings", "cancellations", "no_shows", "occupancy", "new_groups", "groups_registered",
                 "insurance_enrolments", "printing", "revenue_by_kind", "year", "month", "start", "end",
                 "force_reason", "allocation")


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


__all__ = ["WAITLIST_LABELS", "REFUND_FULL_REASON", "REFUND_BY_DAYS", "LotteryRoomFigures", "LotteryMonth",
           "CountYen", "AllocationFigures", "ROOM_CATEGORY", "EVENT_CATEGORY", "NO_ROOM", "UNREGISTERED", "PRINTING_LABELS", "AmendmentView",
           "Progress", "MonthRow", "same_period", "MonthFigures", "STORED_FIELDS",
           "CENTRE_NAME", "STATS_SUFFIXES", "ReportInfo", "StatsReport", "period_text", "check_target"]
