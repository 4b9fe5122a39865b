"""User counts (利用者数) toward the city's yearly target, month closing and the statistics the city asks for.

Users are counted once, from three sources, on the date they happened:

* room use: bookings checked out (status 'completed') count their ``actual_users`` on the booking's date;
* walk-ins (来館者カウント): tallies clicked at the counter count on their date until undone;
* the centre's own events (講座・研修・交流会): their attendance on their day.

All of it feeds one fiscal-year ledger (April to March). The dashboard's figures come from a few
aggregate queries over indexed date ranges (``year_progress`` is one UNION ALL plus the group
count), never from loops over rows, so they stay fast with a year of data on every terminal.

A manager closes a month (月次締め): its figures are stored as submitted in MonthClosing.figures and
counted data dated in that month can no longer change; a later correction is an amendment (訂正,
StatAmendment) with who, when, why and old and new figure, listed by the next report. The submitted
figures themselves are never rewritten.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, case, func, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import hours
from booking_app.domain.booking_rules import OCCUPYING, UNSETTLED, BookingStatus
from booking_app.domain.counting import EVENT_KINDS, WALKIN_CATEGORIES, Pace, fiscal_months, pace
from booking_app.domain.errors import MonthClosed as MonthClosed  # re-export: its old home
from booking_app.domain.errors import NotFound, RuleError, ValidationError
from booking_app.domain.groups import GROUP_TYPES, effective_status
from booking_app.services.bookings import BookingView, views_for
from booking_app.services.centre import get_profile, targets_for
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.groups import group_figures
from booking_app.services.payments import CATEGORY_LABELS
from booking_app.services.terminal import terminal_name
from booking_app.store.models import (
    AuditEntry,
    Booking,
    CentreEvent,
    Charge,
    InsuranceEnrolment,
    InsurancePlan,
    MemberGroup,
    MonthClosing,
    PrintingLog,
    Receipt,
    ReceiptLine,
    ReceiptVoid,
    Room,
    StatAmendment,
    Staff,
    WalkInTally,
)

ROOM_CATEGORY = "部屋利用"  # users counted at check-out
EVENT_CATEGORY = "講座・行事"  # attendance of the centre's own events
NO_ROOM = "備品のみ"  # a booking of equipment without a room, in users_by_room
UNREGISTERED = "個人/未登録"  # users_by_group_type of bookings by a person or an unregistered group
MAX_TALLY = 999
MAX_ATTENDANCE = 10_000

COMPLETED = BookingStatus.COMPLETED.value
# OCCUPYING (the occupancy rate's bookings) and UNSETTLED (past bookings still waiting for 利用済 or
# 無断キャンセル) are defined once in domain/booking_rules.py.
# revenue_by_kind keys, in the order of the city's table (the cash-up's categories).
REVENUE_KINDS = ("room", "equipment", "printing", "insurance", "other")


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class TallyView:
    """One click of a walk-in counter (来館者カウント)."""

    id: int
    at: datetime
    category: str
    count: int
    staff_id: int
    staff_name: str
    terminal: str
    undone_at: datetime | None = None
    undone_by_name: str = ""

    @property
    def undone(self) -> bool:
        return self.undone_at is not None


@dataclass(frozen=True)
class EventView:
    """An event run by the centre (講座・研修・交流会) and its attendance."""

    id: int
    name: str
    kind: str
    day: date
    room_id: int | None
    room_name: str
    attendance: int | None
    note: str


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


def same_period(rows) -> tuple[int, int]:
    """This year's users so far and last year's over the same days (前年同期): months that are over in
    full, the running month to today's day on both sides, months ahead left out."""
    counted = [r for r in rows if r.total is not None]
    return sum(r.total for r in counted), sum(r.last_year_comparable or 0 for r in counted)


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
_STORED = ("period_label", "users_total", "users_by_category", "users_by_room", "users_by_group_type",
           "bookings", "cancellations", "no_shows", "occupancy", "new_groups", "groups_registered",
           "insurance_enrolments", "printing", "revenue_by_kind", "year", "month", "start", "end",
           "force_reason")


# --------------------------------------------------------------------------- helpers


def _dt(d: date) -> datetime:
    return datetime.combine(d, time())


def _month_range(year: int, month: int) -> tuple[date, date]:
    """[first day, first day of the next month)."""
    first = date(year, month, 1)
    return first, date(year + (month == 12), month % 12 + 1, 1)


def _fy_range(fiscal_year: int) -> tuple[date, date]:
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 4, 1)


def _month_label(year: int, month: int) -> str:
    return f"{jcal.wareki_year(date(year, month, 1))}{month}月"


def _staff_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Staff.id, Staff.name)).all())


def walkin_categories(session: Session) -> tuple[str, ...]:
    """The counter's categories: the profile's list when the settings define one, else the defaults."""
    extra = getattr(get_profile(session), "walkin_categories", None)
    return tuple(extra) if extra else WALKIN_CATEGORIES


def _category_order(session: Session, found: dict[str, int], walkins: tuple[str, ...] | None = None
                    ) -> dict[str, int]:
    """Zero-filled categories in a stable order: rooms, each walk-in category, events, then any other."""
    keys = [ROOM_CATEGORY, *(walkins or walkin_categories(session)), EVENT_CATEGORY]
    keys += sorted(k for k in found if k not in keys)  # e.g. a category removed from the settings since
    return {k: int(found.get(k, 0) or 0) for k in keys}


def _month_key(col, dialect: str):
    """'YYYY-MM' of a date or timestamp column. SQLite stores both as ISO text, so a prefix is the
    month, several times cheaper than extract() (a date parse per row); PostgreSQL formats it."""
    if dialect == "sqlite":
        return func.substr(col, 1, 7)
    return func.to_char(col, "YYYY-MM")


def _room_users():
    """SUM of the actual users of checked-out bookings (0 over no rows)."""
    return func.coalesce(func.sum(case((Booking.status == COMPLETED, Booking.actual_users), else_=0)), 0)


def _user_sources(lo: date, hi: date, *, by_month: bool, dialect: str = "sqlite"):
    """One UNION ALL of the three sources of users in [lo, hi), each an aggregate over a date range.

    Bookings: status is tested inside the SUM, not in WHERE, so the planner drives the query from the
    start_at range (ix_bookings_start) instead of the (status, hold_until) index, which would read
    every booking ever checked out. Tallies: ix_walkin_tallies_at; events: ix_centre_events_day.
    Returned columns: category, ['YYYY-MM',] users.
    """
    def month_cols(col):
        return [_month_key(col, dialect).label("ym")] if by_month else []

    b_cols = month_cols(Booking.start_at)
    rooms = (select(literal(ROOM_CATEGORY, String).label("cat"), *b_cols, _room_users().label("n"))
             .where(Booking.start_at >= _dt(lo), Booking.start_at < _dt(hi)))
    t_cols = month_cols(WalkInTally.at)
    tallies = (select(WalkInTally.category.label("cat"), *t_cols, func.sum(WalkInTally.count).label("n"))
               .where(WalkInTally.at >= _dt(lo), WalkInTally.at < _dt(hi), WalkInTally.undone_at.is_(None))
               .group_by(WalkInTally.category, *t_cols))
    e_cols = month_cols(CentreEvent.day)
    events = (select(literal(EVENT_CATEGORY, String).label("cat"), *e_cols,
                     func.coalesce(func.sum(CentreEvent.attendance), 0).label("n"))
              .where(CentreEvent.day >= lo, CentreEvent.day < hi))
    if by_month:
        rooms = rooms.group_by(*b_cols)
        events = events.group_by(*e_cols)
    return union_all(rooms, tallies, events)


def _users_by_category(session: Session, lo: date, hi: date) -> dict[str, int]:
    found: dict[str, int] = {}
    for cat, n in session.execute(_user_sources(lo, hi, by_month=False)):
        found[cat] = found.get(cat, 0) + int(n or 0)
    return _category_order(session, found)


def _users_by_month(session: Session, lo: date, hi: date) -> dict[tuple[int, int], dict[str, int]]:
    out: dict[tuple[int, int], dict[str, int]] = {}
    dialect = session.get_bind().dialect.name
    for cat, ym, n in session.execute(_user_sources(lo, hi, by_month=True, dialect=dialect)):
        if ym is None:  # an aggregate over no rows
            continue
        cell = out.setdefault((int(ym[:4]), int(ym[5:7])), {})
        cell[cat] = cell.get(cat, 0) + int(n or 0)
    return out


# --------------------------------------------------------------------------- closed months


def is_month_closed(session: Session, year: int, month: int) -> bool:
    return session.scalar(select(MonthClosing.id).where(MonthClosing.year == year,
                                                        MonthClosing.month == month)) is not None


def closed_message(year: int, month: int) -> str:
    return f"{year}年{month}月は締め済みです。訂正は管理者が「訂正」で行ってください。"


def ensure_month_open(session: Session, day: date) -> None:
    """Refuse a change to counted data dated ``day`` when its month is closed (one indexed lookup)."""
    if is_month_closed(session, day.year, day.month):
        raise MonthClosed(closed_message(day.year, day.month))


# --------------------------------------------------------------------------- walk-in tallies


def _tally_view(t: WalkInTally, staff: dict[int, str]) -> TallyView:
    return TallyView(t.id, t.at, t.category, t.count, t.staff_id, staff.get(t.staff_id, ""), t.terminal,
                     t.undone_at, staff.get(t.undone_by, "") if t.undone_by else "")


def add_tally(session: Session, actor: Actor, category: str, count: int = 1, *, now: datetime | None = None,
              terminal: str | None = None) -> TallyView:
    """Count walk-ins (来館者) of a category at the counter: +1 or +n."""
    now = now or local_now()
    category = (category or "").strip()
    if category not in walkin_categories(session):
        raise ValidationError(f"「{category}」はカウントの区分にありません。区分を選び直してください。",
                              field="category")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_TALLY:
        raise ValidationError(f"人数は1〜{MAX_TALLY}の数で入力してください。", field="count")
    ensure_month_open(session, now.date())
    t = WalkInTally(at=now, category=category, count=count, staff_id=actor.id,
                    terminal=(terminal or terminal_name())[:100])
    session.add(t)
    session.flush()
    audit(session, actor, "tally", "walkin_tally", t.id, f"来館者カウント：{category} +{count}",
          after={"category": category, "count": count, "terminal": t.terminal}, now=now)
    return _tally_view(t, {actor.id: actor.name})


def undo_tally(session: Session, actor: Actor, tally_id: int, *, now: datetime | None = None) -> TallyView:
    """Undo a mistaken click, the same day only; the row stays, stamped with who undid it and when."""
    now = now or local_now()
    # FIX (issue 7, bench/stress_terminals.py): lock the row so that two terminals undoing the same
    # click at once on PostgreSQL cannot both see it live (it was undone twice: two audit entries,
    # undone_by overwritten); the second now waits, then sees it undone. SQLite renders no FOR UPDATE
    # and needs none: BEGIN IMMEDIATE already serialises writers.
    t = session.get(WalkInTally, tally_id, with_for_update=True)
    if t is None:
        raise NotFound("取り消すカウントが見つかりません。")
    if t.undone_at is not None:
        raise RuleError("このカウントは既に取り消されています。")
    if t.at.date() != now.date():
        raise RuleError("カウントの取消はその日のうちだけできます。過去の日の訂正は管理者に依頼してください。")
    ensure_month_open(session, t.at.date())
    t.undone_at, t.undone_by = now, actor.id
    session.flush()
    audit(session, actor, "undo", "walkin_tally", t.id, f"来館者カウントを取消：{t.category} −{t.count}",
          before={"undone_at": None}, after={"undone_at": now}, now=now)
    return _tally_view(t, _staff_names(session))


def last_tallies(session: Session, *, day: date, limit: int = 20) -> list[TallyView]:
    """The day's latest clicks, newest first, undone ones included (the counter shows them struck out)."""
    rows = session.scalars(select(WalkInTally).where(WalkInTally.at >= _dt(day),
                                                      WalkInTally.at < _dt(day + timedelta(days=1)))
                           .order_by(WalkInTally.at.desc(), WalkInTally.id.desc()).limit(limit))
    staff = _staff_names(session)
    return [_tally_view(t, staff) for t in rows]


def tally_counts(session: Session, day: date) -> dict[str, int]:
    """The day's walk-ins per category (every category, zero-filled)."""
    rows = session.execute(
        select(WalkInTally.category, func.sum(WalkInTally.count))
        .where(WalkInTally.at >= _dt(day), WalkInTally.at < _dt(day + timedelta(days=1)),
               WalkInTally.undone_at.is_(None))
        .group_by(WalkInTally.category)
    ).all()
    found = {c: int(n) for c, n in rows}
    out = {c: found.get(c, 0) for c in walkin_categories(session)}
    out.update({c: n for c, n in found.items() if c not in out})
    return out


# --------------------------------------------------------------------------- centre events


def _event_view(e: CentreEvent, rooms: dict[int, str]) -> EventView:
    return EventView(e.id, e.name, e.kind, e.day, e.room_id, rooms.get(e.room_id, "") if e.room_id else "",
                     e.attendance, e.note)


def _event_snapshot(e: CentreEvent) -> dict[str, Any]:
    return {"name": e.name, "kind": e.kind, "day": e.day, "room_id": e.room_id, "attendance": e.attendance,
            "note": e.note}


def save_event(session: Session, actor: Actor, *, event_id: int | None = None, name: str, kind: str,
               day: date, room_id: int | None = None, attendance: int | None = None, note: str = "",
               now: datetime | None = None) -> EventView:
    """Record a centre event (講座・研修・交流会) or change it, e.g. to enter its attendance afterwards."""
    now = now or local_now()
    name = (name or "").strip()
    if not name:
        raise ValidationError("行事名を入力してください（例：NPO会計講座）。", field="name")
    if len(name) > 200:
        raise ValidationError("行事名は200文字以内で入力してください。", field="name")
    if kind not in EVENT_KINDS:
        raise ValidationError(f"種別は{'・'.join(EVENT_KINDS)}から選んでください。", field="kind")
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationError("開催日を入力してください。", field="day")
    if attendance is not None and (isinstance(attendance, bool) or not isinstance(attendance, int)
                                   or not 0 <= attendance <= MAX_ATTENDANCE):
        raise ValidationError(f"参加者数は0〜{MAX_ATTENDANCE:,}の数で入力してください。", field="attendance")
    if room_id is not None and session.get(Room, room_id) is None:
        raise ValidationError("選んだ部屋が見つかりません。部屋を選び直してください。", field="room")
    if event_id is None:
        if attendance is not None:
            ensure_month_open(session, day)
        e = CentreEvent(name=name, kind=kind, day=day, room_id=room_id, attendance=attendance,
                        note=note or "", created_at=now, created_by=actor.id)
        session.add(e)
        session.flush()
        audit(session, actor, "create", "centre_event", e.id, f"行事「{name}」を登録（{jcal.format_slash(day)}）",
              after=_event_snapshot(e), now=now)
    else:
        e = session.get(CentreEvent, event_id)
        if e is None:
            raise NotFound("行事が見つかりません。")
        # Only the counted part (day and attendance) is locked by a closed month; names and notes may change.
        if (e.day, e.attendance) != (day, attendance):
            if e.attendance is not None:
                ensure_month_open(session, e.day)
            if attendance is not None:
                ensure_month_open(session, day)
        before = _event_snapshot(e)
        e.name, e.kind, e.day, e.room_id = name, kind, day, room_id
        e.attendance, e.note = attendance, note or ""
        e.updated_at, e.updated_by = now, actor.id
        session.flush()
        audit(session, actor, "update", "centre_event", e.id, f"行事「{name}」を変更", before=before,
              after=_event_snapshot(e), now=now)
    return _event_view(e, dict(session.execute(select(Room.id, Room.name)).all()))


def list_events(session: Session, *, fiscal_year: int) -> list[EventView]:
    lo, hi = _fy_range(fiscal_year)
    rooms = dict(session.execute(select(Room.id, Room.name)).all())
    rows = session.scalars(select(CentreEvent).where(CentreEvent.day >= lo, CentreEvent.day < hi)
                           .order_by(CentreEvent.day, CentreEvent.id))
    return [_event_view(e, rooms) for e in rows]


# --------------------------------------------------------------------------- reads for the dashboard


def year_progress(session: Session, *, today: date) -> Progress:
    """Users this fiscal year up to today against the target, with the pace.

    One aggregate query (UNION ALL of the three sources) plus the registered groups.
    """
    fy = jcal.fiscal_year(today)
    targets = targets_for(session, fy)  # the year's targets from settings, else the plan's figures
    lo, hi = _fy_range(fy)
    # As of today: the figure a manager saw on a given day stays what it was (and pace stays honest).
    by_category = _users_by_category(session, lo, min(hi, today + timedelta(days=1)))
    total = sum(by_category.values())
    groups = group_figures(session, today=today, target=targets.groups)
    return Progress(fiscal_year=fy, total=total, target=targets.users,
                    pace=pace(total, targets.users, today), groups_registered=groups.registered,
                    groups_target=targets.groups, by_category=by_category, updated_at=local_now())


def monthly_users(session: Session, fiscal_year: int, *, today: date | None = None) -> list[MonthRow]:
    """April to March: each month's users by category, and last year's same month (see :class:`MonthRow`).

    As of ``today`` (default: the clock's): months ahead are None, the running month counts up to today
    and carries last year's same month up to the same day, so every comparison is like-for-like.
    """
    today = today or local_now().date()
    lo = _fy_range(fiscal_year - 1)[0]
    hi = min(_fy_range(fiscal_year)[1], max(today + timedelta(days=1), _fy_range(fiscal_year)[0]))
    cells = _users_by_month(session, lo, hi)
    walkins = walkin_categories(session)
    rows = []
    for y, m in fiscal_months(fiscal_year):
        first, after = _month_range(y, m)
        last_year = sum(cells.get((y - 1, m), {}).values())
        if first > today:
            rows.append(MonthRow(y, m, None, {}, last_year))
            continue
        by_cat = _category_order(session, cells.get((y, m), {}), walkins)
        if today < after - timedelta(days=1):  # running: up to today, against last year up to the same day
            ly_last = _last_day(y - 1, m, today.day)
            to_date = sum(_users_by_category(session, date(y - 1, m, 1), ly_last + timedelta(days=1)).values())
            rows.append(MonthRow(y, m, sum(by_cat.values()), by_cat, last_year, today.day, to_date))
        else:
            rows.append(MonthRow(y, m, sum(by_cat.values()), by_cat, last_year))
    return rows


def _last_day(year: int, month: int, day: int) -> date:
    """``day`` of that month, or the month's last day when it has fewer (29 February → 28 February)."""
    return min(date(year, month, 1) + timedelta(days=day - 1), _month_range(year, month)[1] - timedelta(days=1))


def _users_by_room(session: Session, lo: date, hi: date) -> dict[str, int]:
    rows = session.execute(
        select(Booking.room_id, func.sum(case((Booking.status == COMPLETED, Booking.actual_users), else_=0)))
        .where(Booking.start_at >= _dt(lo), Booking.start_at < _dt(hi))
        .group_by(Booking.room_id)
    ).all()
    found = {rid: int(n or 0) for rid, n in rows}
    out: dict[str, int] = {}
    for rid, name, active in session.execute(select(Room.id, Room.name, Room.active)
                                             .order_by(Room.sort_order, Room.id)):
        if active or found.get(rid):
            out[name] = found.get(rid, 0)
    if found.get(None):
        out[NO_ROOM] = found[None]
    return out


def users_by_room(session: Session, fiscal_year: int) -> dict[str, int]:
    """Room users (checked-out head counts) of the fiscal year per room; sums to 部屋利用."""
    return _users_by_room(session, *_fy_range(fiscal_year))


def data_version(session: Session) -> str:
    """A cheap fingerprint of the counted data, polled by the dashboard every few seconds.

    Every change to counted data is audited, so the newest audit id moves with any check-out, undo,
    tally or event change; the primary keys of the data tables cover rows written without an audit
    entry (imports, bulk loads). Each part is a primary-key MAX: an index lookup, whatever the size.
    """
    parts = [session.scalar(select(func.max(m.id))) for m in (AuditEntry, WalkInTally, Booking, CentreEvent,
                                                               MonthClosing, StatAmendment)]
    return ":".join(str(p or 0) for p in parts)


# --------------------------------------------------------------------------- unsettled bookings


def unsettled_bookings(session: Session, *, today: date) -> list[BookingView]:
    """Past bookings not yet checked out nor marked no-show, oldest first, for the next day's staff."""
    rows = session.scalars(select(Booking).where(Booking.status.in_(UNSETTLED), Booking.start_at < _dt(today))
                           .order_by(Booking.start_at, Booking.room_id))
    return views_for(session, list(rows))


# --------------------------------------------------------------------------- figures


def _occupancy(session: Session, lo: date, hi: date) -> dict[str, dict[str, float]]:
    """Booked minutes over open minutes per room and period (午前・午後・夜間), on the open days of [lo, hi).

    Open minutes: each open day's periods (hours.periods_for, computed once per date). Booked minutes:
    the part of each live booking (確定・利用中・利用済) inside each period of its day; a room's bookings
    never overlap, so they add up. Time outside every period (the lunch hour) is not counted.
    """
    profile = get_profile(session)
    periods_of: dict[date, tuple] = {}

    def periods(d: date):
        if d not in periods_of:
            periods_of[d] = tuple((p.name, p.start.hour * 60 + p.start.minute, p.end.hour * 60 + p.end.minute)
                                  for p in hours.periods_for(profile, d))
        return periods_of[d]

    names: list[str] = []
    for key in ("weekday", "sunday_holiday"):
        for p in profile.periods.get(key, ()):
            if p.name not in names:
                names.append(p.name)
    open_min = dict.fromkeys(names, 0)
    d = lo
    while d < hi:
        for name, s, e in periods(d):
            open_min[name] = open_min.get(name, 0) + (e - s)
            if name not in names:
                names.append(name)
        d += timedelta(days=1)

    booked: dict[int, dict[str, int]] = {}
    for rid, start, end in session.execute(
        select(Booking.room_id, Booking.start_at, Booking.end_at)
        .where(Booking.start_at >= _dt(lo), Booking.start_at < _dt(hi), Booking.room_id.is_not(None),
               Booking.status.in_(OCCUPYING))
    ):
        day = start.date()
        s_min = start.hour * 60 + start.minute
        e_min = 24 * 60 if end.date() != day else end.hour * 60 + end.minute  # ends at midnight
        cell = booked.setdefault(rid, {})
        for name, ps, pe in periods(day):
            overlap = min(e_min, pe) - max(s_min, ps)
            if overlap > 0:
                cell[name] = cell.get(name, 0) + overlap

    out: dict[str, dict[str, float]] = {}
    for rid, name, active in session.execute(select(Room.id, Room.name, Room.active)
                                             .order_by(Room.sort_order, Room.id)):
        if not active and rid not in booked:
            continue
        cell = booked.get(rid, {})
        out[name] = {p: (cell.get(p, 0) / open_min[p] if open_min.get(p) else 0.0) for p in names}
    return out


def _status_counts(session: Session, lo: date, hi: date) -> dict[str, int]:
    return {st: int(n) for st, n in session.execute(
        select(Booking.status, func.count()).where(Booking.start_at >= _dt(lo), Booking.start_at < _dt(hi))
        .group_by(Booking.status))}


def _users_by_group_type(session: Session, lo: date, hi: date) -> dict[str, int]:
    """Room users by the booking group's type; persons and unregistered groups together."""
    rows = session.execute(
        select(Booking.booker_kind, MemberGroup.group_type,
               func.sum(case((Booking.status == COMPLETED, Booking.actual_users), else_=0)))
        .outerjoin(MemberGroup, MemberGroup.id == Booking.group_id)
        .where(Booking.start_at >= _dt(lo), Booking.start_at < _dt(hi))
        .group_by(Booking.booker_kind, MemberGroup.group_type)
    ).all()
    out = {GROUP_TYPES["purpose"]: 0, GROUP_TYPES["community"]: 0, UNREGISTERED: 0}
    for kind, gtype, n in rows:
        key = GROUP_TYPES.get(gtype, gtype) if kind == "member" and gtype else UNREGISTERED
        out[key] = out.get(key, 0) + int(n or 0)
    return out


def _groups(session: Session, lo: date, hi: date, today: date) -> tuple[int, int]:
    """(new registrations in [lo, hi), groups in good standing at the period's end or today)."""
    new = session.scalar(select(func.count()).select_from(MemberGroup)
                         .where(MemberGroup.registered_on >= lo, MemberGroup.registered_on < hi)) or 0
    on = min(hi - timedelta(days=1), today)
    registered = sum(
        1 for st, valid, reg_on, reg_no in session.execute(
            select(MemberGroup.status, MemberGroup.valid_until, MemberGroup.registered_on,
                   MemberGroup.reg_no))
        if reg_no and (reg_on is None or reg_on <= on) and effective_status(st, valid, on).in_good_standing
    )
    return int(new), registered


def _insurance(session: Session, lo: date, hi: date) -> dict[str, int]:
    rows = session.execute(
        select(InsuranceEnrolment.plan_id, func.count(InsuranceEnrolment.id))
        .where(InsuranceEnrolment.applied_on >= lo, InsuranceEnrolment.applied_on < hi,
               InsuranceEnrolment.status != "cancelled")
        .group_by(InsuranceEnrolment.plan_id)
    ).all()
    if not rows:
        return {}
    names = {pid: (data or {}).get("name", str(pid)) for pid, data in session.execute(
        select(InsurancePlan.id, InsurancePlan.data).where(InsurancePlan.id.in_([r[0] for r in rows])))}
    out: dict[str, int] = {}
    for pid, n in rows:  # the same plan of different fiscal years counts under one name
        out[names[pid]] = out.get(names[pid], 0) + int(n)
    return out


def _printing(session: Session, lo: date, hi: date) -> dict[str, int]:
    uses, masters, sheets = session.execute(
        select(func.count(PrintingLog.id), func.coalesce(func.sum(PrintingLog.masters), 0),
               func.coalesce(func.sum(PrintingLog.sheets), 0))
        .where(PrintingLog.at >= _dt(lo), PrintingLog.at < _dt(hi))
    ).one()
    return {"uses": int(uses), "masters": int(masters), "sheets": int(sheets)}


def _revenue_category(kind: str | None, log_id: int | None) -> str:
    # The same categories as the daily cash-up (payments.cashup), so the two always agree.
    if log_id is not None:
        return "printing"
    return kind if kind in ("room", "equipment", "insurance") else "other"


def _revenue(session: Session, lo: date, hi: date) -> dict[str, int]:
    """Receipts issued in [lo, hi) by kind, less the refunds of voids made in [lo, hi), by the same kinds."""
    totals = dict.fromkeys(REVENUE_KINDS, 0)
    base = (select(ReceiptLine.amount, Charge.kind, Charge.printing_log_id)
            .outerjoin(Charge, Charge.id == ReceiptLine.charge_id))
    issued = base.join(Receipt, Receipt.id == ReceiptLine.receipt_id).where(
        Receipt.issued_at >= _dt(lo), Receipt.issued_at < _dt(hi))
    for amount, kind, log_id in session.execute(issued):
        totals[_revenue_category(kind, log_id)] += amount
    voided = base.join(ReceiptVoid, ReceiptVoid.receipt_id == ReceiptLine.receipt_id).where(
        ReceiptVoid.at >= _dt(lo), ReceiptVoid.at < _dt(hi))
    for amount, kind, log_id in session.execute(voided):
        totals[_revenue_category(kind, log_id)] -= amount
    return {CATEGORY_LABELS[k]: v for k, v in totals.items()}


def _as_of(today: date | None, now: datetime | None) -> tuple[date, datetime]:
    """(the day figures are counted up to, the moment bookings are split at into 実績 and 予定).

    A caller naming ``today`` asks for the figures as at the end of that day; by default, now.
    """
    if now is not None:
        return now.date(), now
    if today is not None:
        return today, _dt(today + timedelta(days=1))
    moment = local_now()
    return moment.date(), moment


def _compute(session: Session, lo: date, hi: date, label: str, *, today: date,
             moment: datetime | None = None) -> MonthFigures:
    """The figures of [lo, hi) as of ``today``: a period still running counts up to today (inclusive).

    Bookings that have begun by ``moment`` (default: the end of today) are 実績; confirmed ones after it
    are 予定. Users, cancellations, no-shows and occupancy are counted on the days up to today only, so a
    running year is never diluted by months that have not happened.
    """
    moment = moment or _dt(today + timedelta(days=1))
    cut = max(lo, min(hi, today + timedelta(days=1)))  # [lo, cut) is what has happened
    by_category = _users_by_category(session, lo, cut)
    statuses = _status_counts(session, lo, cut)
    done, planned = _booking_split(session, lo, hi, moment)
    new_groups, registered = _groups(session, lo, cut, today)
    return MonthFigures(
        period_label=label, users_total=sum(by_category.values()), users_by_category=by_category,
        users_by_room=_users_by_room(session, lo, cut),
        users_by_group_type=_users_by_group_type(session, lo, cut),
        bookings=done,
        cancellations=statuses.get(BookingStatus.CANCELLED.value, 0),
        no_shows=statuses.get(BookingStatus.NO_SHOW.value, 0), occupancy=_occupancy(session, lo, cut),
        new_groups=new_groups, groups_registered=registered, insurance_enrolments=_insurance(session, lo, cut),
        printing=_printing(session, lo, cut), revenue_by_kind=_revenue(session, lo, cut),
        start=lo, end=hi - timedelta(days=1), as_of=today if today < hi - timedelta(days=1) else None,
        bookings_planned=planned,
    )


def _booking_split(session: Session, lo: date, hi: date, moment: datetime) -> tuple[int, int]:
    """(実績, 予定): live bookings (確定・利用中・利用済) of [lo, hi) begun before ``moment``, and after it."""
    begun = Booking.start_at < moment
    done, planned = session.execute(
        select(func.coalesce(func.sum(case((begun, 1), else_=0)), 0),
               func.coalesce(func.sum(case((begun, 0), else_=1)), 0))
        .where(Booking.start_at >= _dt(lo), Booking.start_at < _dt(hi), Booking.status.in_(OCCUPYING))
    ).one()
    return int(done), int(planned)


def _amendment_views(session: Session, q) -> list[AmendmentView]:
    staff = _staff_names(session)
    return [AmendmentView(a.id, a.year, a.month, a.key, amendment_label(a.key), a.old_value, a.new_value,
                          a.reason, a.source, a.at, a.staff_id, staff.get(a.staff_id, ""))
            for a in session.scalars(q.order_by(StatAmendment.at, StatAmendment.id))]


def _figures_to_json(f: MonthFigures) -> dict[str, Any]:
    d = asdict(f)
    out = {k: d[k] for k in _STORED}
    out["start"] = f.start.isoformat() if f.start else None
    out["end"] = f.end.isoformat() if f.end else None
    return out


def _figures_from_json(d: dict[str, Any]) -> MonthFigures:
    kw = {k: d.get(k) for k in _STORED if k in d}
    for k in ("start", "end"):
        if kw.get(k):
            kw[k] = date.fromisoformat(kw[k])
    kw.setdefault("force_reason", "")
    return MonthFigures(**kw)


def month_figures(session: Session, year: int, month: int, *, today: date | None = None,
                  now: datetime | None = None) -> MonthFigures:
    """A month's statistics: the submitted figures once closed (with amendments listed), else live ones
    as of ``now`` (a running month up to today, its bookings split into 実績 and 予定)."""
    if not 1 <= month <= 12:
        raise ValidationError("月は1〜12で指定してください。", field="month")
    # The amendments of this month's own figures, and — so that the next report shows a correction to
    # an earlier, already submitted month — every amendment made during this month.
    first = datetime(year, month, 1)
    after = datetime(year + (month == 12), month % 12 + 1, 1)
    amendments = _amendment_views(session, select(StatAmendment).where(or_(
        and_(StatAmendment.year == year, StatAmendment.month == month),
        and_(StatAmendment.at >= first, StatAmendment.at < after))))
    closing = session.scalars(select(MonthClosing).where(MonthClosing.year == year,
                                                         MonthClosing.month == month)).first()
    if closing is not None:
        f = _figures_from_json(closing.figures)
        staff = _staff_names(session)
        return _with(f, amendments=amendments, closed=True, closed_at=closing.closed_at,
                     closed_by=staff.get(closing.closed_by, ""))
    lo, hi = _month_range(year, month)
    day, moment = _as_of(today, now)
    f = _compute(session, lo, hi, _month_label(year, month), today=day, moment=moment)
    return _with(f, amendments=amendments, year=year, month=month)


def year_figures(session: Session, fiscal_year: int, *, today: date | None = None,
                 now: datetime | None = None) -> MonthFigures:
    """The fiscal year's statistics (April–March), computed from the ledger; the year's amendments listed.

    A year still running is counted up to today (``as_of``), its bookings split into 実績 and 予定, the
    same rule as :func:`monthly_users`. ``closed`` is True once all twelve months are closed
    (``closed_at`` the last of them).
    """
    lo, hi = _fy_range(fiscal_year)
    day, moment = _as_of(today, now)
    f = _compute(session, lo, hi, jcal.fiscal_year_label(fiscal_year), today=day, moment=moment)
    months = fiscal_months(fiscal_year)
    amendments = _amendment_views(session, select(StatAmendment).where(
        (StatAmendment.year * 100 + StatAmendment.month) >= months[0][0] * 100 + months[0][1],
        (StatAmendment.year * 100 + StatAmendment.month) <= months[-1][0] * 100 + months[-1][1]))
    closings = list(session.scalars(select(MonthClosing).where(
        (MonthClosing.year * 100 + MonthClosing.month) >= months[0][0] * 100 + months[0][1],
        (MonthClosing.year * 100 + MonthClosing.month) <= months[-1][0] * 100 + months[-1][1])))
    closed = len(closings) == 12
    last = max(closings, key=lambda c: c.closed_at) if closed else None
    return _with(f, amendments=amendments, closed=closed, closed_at=last.closed_at if last else None,
                 closed_by=_staff_names(session).get(last.closed_by, "") if last else "", year=fiscal_year)


def _with(f: MonthFigures, **changes) -> MonthFigures:
    return replace(f, **changes)


# --------------------------------------------------------------------------- closing and amending


def close_month(session: Session, actor: Actor, year: int, month: int, *, now: datetime | None = None,
                force_reason: str = "") -> MonthFigures:
    """Close a month (月次締め, manager): store its figures as submitted; its counted data is then locked.

    Refused before the month has ended, when it is already closed, and while bookings of the month
    are still unsettled (not 利用済 nor 無断キャンセル) unless a ``force_reason`` is given.
    """
    require_manager(session, actor, "月次締め")
    now = now or local_now()
    if not 1 <= month <= 12:
        raise ValidationError("月は1〜12で指定してください。", field="month")
    lo, hi = _month_range(year, month)
    if now.date() < hi:
        raise RuleError(f"{year}年{month}月はまだ終わっていないため締められません。翌月になってから締めてください。")
    if is_month_closed(session, year, month):
        raise RuleError(f"{year}年{month}月は既に締め済みです。訂正は「訂正」で行ってください。")
    force_reason = (force_reason or "").strip()
    unsettled = session.scalar(select(func.count()).select_from(Booking).where(
        Booking.status.in_(UNSETTLED), Booking.start_at >= _dt(lo), Booking.start_at < _dt(hi))) or 0
    if unsettled and not force_reason:
        raise RuleError(
            f"{year}年{month}月には利用済・無断キャンセルの入力が済んでいない予約が{unsettled}件あります。"
            "入力してから締めてください（やむを得ず締める場合は理由を入力してください）。"
        )
    f = _compute(session, lo, hi, _month_label(year, month), today=now.date())
    f = _with(f, year=year, month=month, force_reason=force_reason if unsettled else "")
    row = MonthClosing(year=year, month=month, closed_at=now, closed_by=actor.id, figures=_figures_to_json(f))
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another terminal closed it a moment ago (unique year, month)
        raise RuleError(f"{year}年{month}月は既に締め済みです。") from None
    audit(session, actor, "close", "month_closing", row.id,
          f"{year}年{month}月を締め（利用者数{f.users_total:,}人）"
          + (f"　未精算{unsettled}件のまま：{force_reason}" if unsettled else ""),
          after={"users_total": f.users_total, "unsettled": unsettled, "force_reason": force_reason}, now=now)
    return _with(f, closed=True, closed_at=now, closed_by=actor.name)


_SCALAR_KEYS = {
    "users_total": "利用者数（合計）", "bookings": "利用件数", "cancellations": "取消件数", "no_shows": "無断キャンセル件数",
    "new_groups": "新規登録団体数", "groups_registered": "登録団体数",
}
_DICT_KEYS = {  # prefix → (figures field, label)
    "users.category": ("users_by_category", "利用者数"),
    "users.walkin": ("users_by_category", "利用者数"),
    "users.room": ("users_by_room", "部屋別利用者数"),
    "users.group_type": ("users_by_group_type", "団体区分別利用者数"),
    "printing": ("printing", "印刷機"),
    "revenue": ("revenue_by_kind", "収入"),
    "insurance": ("insurance_enrolments", "保険加入件数"),
}
_PRINTING_LABELS = {"uses": "利用回数", "masters": "製版数", "sheets": "印刷枚数"}


def _split_key(key: str) -> tuple[str, str | None]:
    if key in _SCALAR_KEYS:
        return key, None
    for prefix in sorted(_DICT_KEYS, key=len, reverse=True):
        if key.startswith(prefix + ".") and len(key) > len(prefix) + 1:
            return prefix, key[len(prefix) + 1:]
    raise ValidationError(f"訂正する項目「{key}」が分かりません。", field="key")


def amendment_label(key: str) -> str:
    """A Japanese name for an amendment key, e.g. 'users.room.大会議室' → '部屋別利用者数（大会議室）'."""
    try:
        head, sub = _split_key(key)
    except ValidationError:
        return key
    if sub is None:
        return _SCALAR_KEYS[head]
    return f"{_DICT_KEYS[head][1]}（{_PRINTING_LABELS.get(sub, sub) if head == 'printing' else sub}）"


def _submitted_value(figures: dict[str, Any], key: str) -> int:
    head, sub = _split_key(key)
    if sub is None:
        return int(figures.get(head) or 0)
    return int((figures.get(_DICT_KEYS[head][0]) or {}).get(sub, 0) or 0)


def amend(session: Session, actor: Actor, year: int, month: int, key: str, new_value: int, reason: str, *,
          source: str = "", now: datetime | None = None) -> AmendmentView:
    """Correct a figure of a closed month (訂正, manager): records old and new, who, when and why.

    The submitted figures (MonthClosing.figures) stay as they were; month_figures lists the amendment.
    ``old_value`` is the figure as it stands: the last amendment of the same key, else the submitted one.
    """
    require_manager(session, actor, "締め済みの月の訂正")
    now = now or local_now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("訂正の理由を入力してください（例：チェックアウト時の人数の入力誤り）。", field="reason")
    if isinstance(new_value, bool) or not isinstance(new_value, int) or new_value < 0:
        raise ValidationError("訂正後の値は0以上の数で入力してください。", field="new_value")
    key = (key or "").strip()
    _split_key(key)
    closing = session.scalars(select(MonthClosing).where(MonthClosing.year == year,
                                                         MonthClosing.month == month)).first()
    if closing is None:
        raise RuleError(f"{year}年{month}月はまだ締めていません。訂正ではなく、元のデータを直してください。")
    previous = session.scalars(select(StatAmendment).where(
        StatAmendment.year == year, StatAmendment.month == month, StatAmendment.key == key)
        .order_by(StatAmendment.at.desc(), StatAmendment.id.desc()).limit(1)).first()
    old = previous.new_value if previous is not None else _submitted_value(closing.figures, key)
    if old == new_value:
        raise ValidationError(f"{amendment_label(key)}は既に{old:,}です。訂正後の値を入力してください。",
                              field="new_value")
    a = StatAmendment(year=year, month=month, key=key, old_value=old, new_value=new_value, reason=reason,
                      source=(source or "").strip()[:80], at=now, staff_id=actor.id)
    session.add(a)
    session.flush()
    audit(session, actor, "amend", "stat_amendment", a.id,
          f"{year}年{month}月の{amendment_label(key)}を訂正：{old:,}→{new_value:,}（{reason}）",
          before={"key": key, "value": old}, after={"key": key, "value": new_value, "source": a.source},
          now=now)
    return AmendmentView(a.id, year, month, key, amendment_label(key), old, new_value, reason, a.source, now,
                         actor.id, actor.name)


__all__ = [
    "ROOM_CATEGORY", "EVENT_CATEGORY", "NO_ROOM", "UNREGISTERED", "MonthClosed", "TallyView", "EventView",
    "AmendmentView", "Progress", "MonthRow", "MonthFigures", "same_period", "walkin_categories", "add_tally", "undo_tally",
    "last_tallies", "tally_counts", "save_event", "list_events", "year_progress", "monthly_users",
    "users_by_room", "data_version", "unsettled_bookings", "month_figures", "year_figures", "close_month",
    "is_month_closed", "ensure_month_open", "closed_message", "amend", "amendment_label",
]
