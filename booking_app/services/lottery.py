"""Lottery entries (抽選の申込) and the draw (抽選の実施) in the database (issue 18).

The pure parts live in the domain: ``domain/lottery_rules.py`` (the cycle, the checks at the counter) and
``domain/allocation.py`` (the draw itself). This module stores entries, runs the draw inside one transaction
and turns its awards into 仮予約 through the ordinary booking service. Every function takes the caller's
Session (one unit of work) and the time as ``now``; every change is audited. Who may do what is checked
here with a Japanese message and, on PostgreSQL, by the grants of migration 0011 (a desk takes and
withdraws entries; only a manager inserts a draw and sets its results).

Replay (監査の再現): the draw row stores the seed, ``DrawResult.digest()`` and ``inputs`` — the slots that
were booked when the draw ran and the limits applied. ``replay_draw`` rebuilds the entries as drawn (those
whose status is 当選 or 落選, with their wishes as stored), re-runs ``allocation.replay`` with the stored
seed, slots and limits, and compares the digest. Any later change to an entry's group, wishes or
participation makes it false; bookings made or cancelled after the draw do not matter (they are not
rebuilt from the bookings table).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from booking_app.domain import allocation, booking_rules, hours
from booking_app.domain import lottery_rules as lr
from booking_app.domain.booking_rules import GROUP_BARRED, BookingStatus
from booking_app.domain.errors import ConflictError, NotFound, RuleError, ValidationError
from booking_app.domain.groups import GROUP_STATUS_LABELS, effective_status
from booking_app.services import bookings as booking_svc
from booking_app.services import fees as fees_svc
from booking_app.services.booking_plan import (
    NewBookingPlan,
    booking_number,
    plan_new_booking,
    quote_after,
    quote_summary,
)
from booking_app.services.booking_views import BookingInput, blocks_slot_sql
from booking_app.services.centre import get_profile
from booking_app.services.common import Actor, audit, current_staff, jsonable, require_manager
from booking_app.store.audit_chain import PG_APPEND_SQL, note_written, sqlite_append, sqlite_tail
from booking_app.store.models import (
    Base,
    Booking,
    LotteryDraw,
    LotteryEntry,
    LotteryWish,
    MemberGroup,
    Room,
    Staff,
)

CHANNELS = {"counter": "窓口", "phone": "電話"}
STATUS_LABELS = {"entered": "受付済", "won": "当選", "lost": "落選", "withdrawn": "取下げ"}
ALGORITHM = f"{allocation.DIGEST_VERSION} (booking_app.domain.allocation.draw)"
MAX_WISHES = 3
NUMBER_RETRIES = 5


# --------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class EntryInput:
    """What the desk takes down: the group, the month of use, how it came in, and the wishes in rank order
    (第1〜第3希望), each a list of (room_id, start, end) slots needed together (all or nothing)."""

    group_id: int
    month: dt.date
    channel: str
    wishes: list[list[tuple[int, dt.datetime, dt.datetime]]]
    note: str = ""


@dataclass(frozen=True)
class SlotView:
    room_id: int
    room_name: str
    start: dt.datetime
    end: dt.datetime
    booking_id: int | None = None
    booking_number: str | None = None

    @property
    def text_ja(self) -> str:
        return f"{self.room_name} {self.start:%Y/%m/%d} {self.start:%H:%M}〜{self.end:%H:%M}"


@dataclass(frozen=True)
class WishView:
    rank: int
    slots: tuple[SlotView, ...]


@dataclass(frozen=True)
class EntryView:
    id: int
    month: dt.date
    entry_no: int
    group_id: int
    group_name: str
    group_reg_no: str | None
    channel: str
    status: str
    status_label: str
    wishes: tuple[WishView, ...]
    taken_at: dt.datetime
    note: str = ""
    withdrawn_at: dt.datetime | None = None
    withdraw_reason: str = ""
    won_rank: int | None = None  # the wish that won (当選した希望)

    @property
    def won_slots(self) -> tuple[SlotView, ...]:
        return next((w.slots for w in self.wishes if w.rank == self.won_rank), ())


@dataclass(frozen=True)
class DrawView:
    month: dt.date
    seed: str
    digest: str
    algorithm: str
    drawn_at: dt.datetime
    drawn_by: str
    entries: int
    won: int
    lost: int
    winners: tuple[EntryView, ...]
    losers: tuple[EntryView, ...]
    log: tuple[str, ...] = field(default=())  # the draw's Japanese log (allocation.DrawResult.log)
    order: tuple[int, ...] = field(default=())  # group ids in the drawn order (1番 first)
    lost_reasons: dict[int, str] = field(default_factory=dict)  # 受付番号 → why it lost (Japanese)

    def place_of(self, group_id: int) -> int | None:
        """The group's place in the draw order (1 = drawn first), for its result sheet."""
        return self.order.index(group_id) + 1 if group_id in self.order else None


# --------------------------------------------------------------------------- entries


def take_entry(session: Session, actor: Actor, data: EntryInput, *, now: dt.datetime) -> EntryView:
    """Take one lottery entry at the counter or by phone; RuleError / ValidationError (Japanese) when a rule
    of the lottery, the group or the centre's hours refuses it."""
    actor = current_staff(session, actor, "抽選の申込の受付")
    today = now.date()
    profile = get_profile(session)
    rules = lr.lottery_rules(profile)
    month = lr.month_start(data.month)
    if data.channel not in CHANNELS:
        raise ValidationError("受付方法は「窓口」か「電話」を選んでください。", field="channel")
    if "\x00" in data.note:
        raise ValidationError("備考に使えない文字（制御文字）が含まれています。入力し直してください。", field="note")
    lr.check_entry_window(rules, today, month)
    group = _group_in_good_standing(session, data.group_id, today)
    wishes = _check_wishes(session, profile, rules, month, data.wishes)
    so_far = session.scalar(select(func.count()).select_from(LotteryEntry).where(
        LotteryEntry.group_id == group.id, LotteryEntry.month == month, LotteryEntry.status != "withdrawn")) or 0
    lr.check_entry_limits(rules, so_far)
    no_shows = [d.date() for d in session.scalars(select(Booking.start_at).where(
        Booking.group_id == group.id, Booking.status == BookingStatus.NO_SHOW.value))]
    lr.check_no_shows(rules, no_shows, month)
    if _draw_row(session, month) is not None:
        raise RuleError(f"{month.year}年{month.month}月分の抽選は済んでいます。申込は受け付けられません。", "date")

    entry_id, entry_no = _insert_numbered(session, {
        "month": month, "group_id": group.id, "channel": data.channel, "status": "entered", "taken_at": now,
        "taken_by": actor.id, "withdraw_reason": "", "note": data.note.strip()})
    for rank, slots in enumerate(wishes, start=1):
        for seq, s in enumerate(slots, start=1):
            session.add(LotteryWish(entry_id=entry_id, rank=rank, seq=seq, room_id=s.room_id, start_at=s.start,
                                    end_at=s.end))
    session.flush()
    view = _views(session, LotteryEntry.id == entry_id)[0]
    audit(session, actor, "create", "lottery_entry", entry_id,
          f"抽選申込 {month.year}年{month.month}月分 受付番号{entry_no}：{group.name}"
          f"（{CHANNELS[data.channel]}、希望{len(wishes)}件）",
          after={"month": month, "entry_no": entry_no, "group_id": group.id, "channel": data.channel,
                 "wishes": [[[s.room_id, s.start, s.end] for s in w] for w in wishes], "note": view.note},
          now=now)
    return view


def _insert_numbered(session: Session, values: dict[str, Any]) -> tuple[int, int]:
    """Insert the entry with the month's next 受付番号. Two terminals may read the same max at once: the
    UNIQUE(month, entry_no) constraint refuses the second insert, which then takes the next number
    (inside a savepoint, so the rest of the transaction stands)."""
    for _ in range(NUMBER_RETRIES):
        no = (session.scalar(select(func.max(LotteryEntry.entry_no)).where(
            LotteryEntry.month == values["month"])) or 0) + 1
        try:
            with session.begin_nested():
                new_id = session.execute(
                    insert(LotteryEntry).values(entry_no=no, **values).returning(LotteryEntry.id)).scalar_one()
        except IntegrityError as exc:
            if "uq_lottery_entries_month_no" not in str(exc.orig) and "UNIQUE" not in str(exc.orig):
                raise
            continue
        return int(new_id), no
    raise ConflictError("受付番号が他の端末と重なりました。もう一度保存してください。")


def _group_in_good_standing(session: Session, group_id: int, today: dt.date) -> MemberGroup:
    group = session.get(MemberGroup, group_id)
    if group is None:
        raise ValidationError("選んだ団体が見つかりません。団体を選び直してください。", field="group")
    if group.status in GROUP_BARRED:
        raise RuleError(f"「{group.name}」は{GROUP_BARRED[group.status]}のため抽選に申し込めません。"
                        + (f"（理由：{group.status_reason}）" if group.status_reason else ""), "group")
    status = effective_status(group.status, group.valid_until, today)
    if not status.in_good_standing:
        raise RuleError(f"「{group.name}」は登録が{GROUP_STATUS_LABELS[status]}のため抽選に申し込めません。"
                        "登録を更新してから申し込んでください。", "group")
    return group


def _check_wishes(session: Session, profile: Any, rules: lr.LotteryRules, month: dt.date,
                  wishes: list[list[tuple[int, dt.datetime, dt.datetime]]]) -> list[list[allocation.Slot]]:
    """Each slot: a lottery room, a day of ``month``, a 区分 of that day (not a closed day); then the
    allocation checks (ranks, overlapping slots in one wish)."""
    if not wishes:
        raise ValidationError("第1希望を入力してください（部屋・日付・区分）。", field="wishes")
    if len(wishes) > MAX_WISHES:
        raise ValidationError(f"希望は第{MAX_WISHES}希望までです。", field="wishes")
    rooms: dict[int, Room | None] = {}
    out: list[list[allocation.Slot]] = []
    for rank, slots in enumerate(wishes, start=1):
        if not slots:
            raise ValidationError(f"第{rank}希望に区分がありません。部屋・日付・区分を選んでください。", field="wishes")
        checked: list[allocation.Slot] = []
        for room_id, start, end in slots:
            if room_id not in rooms:
                rooms[room_id] = session.get(Room, room_id)
            room = rooms[room_id]
            if room is None or not room.active:
                raise ValidationError(f"第{rank}希望の部屋は使えません。部屋を選び直してください。", field="room")
            if not lr.is_lottery_room(rules, room.name):
                raise RuleError(f"{room.name}は抽選の対象ではありません（対象：{'・'.join(rules.rooms)}）。"
                                "先着順の予約として受け付けてください。", "room")
            day = start.date()
            if lr.month_start(day) != month:
                raise ValidationError(f"第{rank}希望の{day.month}月{day.day}日は{month.year}年{month.month}月分では"
                                      "ありません。申込の月の日付を選んでください。", field="date")
            reason = hours.closure_reason(profile, day)
            if reason is not None:
                raise RuleError(f"第{rank}希望の{day.month}月{day.day}日は{reason}のため申し込めません。", "date")
            periods = hours.periods_for(profile, day)
            if not any(p.start == start.time() and p.end == end.time() and end.date() == day for p in periods):
                offered = "、".join(p.label for p in periods)
                raise RuleError(f"第{rank}希望の{start:%H:%M}〜{end:%H:%M}は{day.month}月{day.day}日の区分では"
                                f"ありません。区分（{offered}）から選んでください。", "time")
            checked.append(allocation.Slot(room_id, start, end))
        out.append(checked)
    allocation.check_entries([allocation.Entry(1, 0, tuple(
        allocation.Wish(rank, tuple(s)) for rank, s in enumerate(out, start=1)))])
    return out


def withdraw_entry(session: Session, actor: Actor, entry_id: int, reason: str, *, now: dt.datetime) -> EntryView:
    """Withdraw an entry (取下げ) before the draw: a status with who, when and why; nothing is deleted."""
    actor = current_staff(session, actor, "抽選の申込の取下げ")
    entry = session.get(LotteryEntry, entry_id)
    if entry is None:
        raise NotFound("その抽選の申込は見つかりません。一覧を更新してください。")
    if not reason.strip():
        raise ValidationError("取下げの理由を入力してください（例：団体の都合）。", field="reason")
    if "\x00" in reason:
        raise ValidationError("理由に使えない文字（制御文字）が含まれています。入力し直してください。", field="reason")
    if entry.status != "entered":
        raise RuleError(f"受付番号{entry.entry_no}は{STATUS_LABELS[entry.status]}のため取り下げられません。", "status")
    if _draw_row(session, entry.month) is not None:
        raise RuleError(f"{entry.month.year}年{entry.month.month}月分の抽選は済んでいます。取下げはできません"
                        "（当選の仮予約は予約の画面で取り消してください）。", "status")
    entry.status = "withdrawn"
    entry.withdrawn_at = now
    entry.withdrawn_by = actor.id
    entry.withdraw_reason = reason.strip()
    session.flush()
    audit(session, actor, "withdraw", "lottery_entry", entry.id,
          f"抽選申込 受付番号{entry.entry_no}を取下げ（理由：{entry.withdraw_reason}）",
          before={"status": "entered"}, after={"status": "withdrawn", "reason": entry.withdraw_reason}, now=now)
    return _views(session, LotteryEntry.id == entry.id)[0]


def list_entries(session: Session, month: dt.date) -> list[EntryView]:
    """The month's entries in 受付番号 order (withdrawn ones too, marked 取下げ)."""
    return _views(session, LotteryEntry.month == lr.month_start(month))


def _views(session: Session, which: ColumnElement[bool]) -> list[EntryView]:
    """The entries ``which`` picks (a condition on LotteryEntry) as views, in 受付番号 order. PERF: plain
    column rows, not ORM objects, and the month's condition rather than a list of ids (the draw's result
    sheets read 2,000 entries with ~4,000 wishes: ~1 s through the ORM's identity map)."""
    entries = {row[0]: row for row in session.execute(
        select(LotteryEntry.id, LotteryEntry.month, LotteryEntry.entry_no, LotteryEntry.group_id,
               LotteryEntry.channel, LotteryEntry.status, LotteryEntry.taken_at, LotteryEntry.note,
               LotteryEntry.withdrawn_at, LotteryEntry.withdraw_reason, MemberGroup.name, MemberGroup.reg_no)
        .join(MemberGroup, MemberGroup.id == LotteryEntry.group_id).where(which)
        .order_by(LotteryEntry.month, LotteryEntry.entry_no))}
    if not entries:
        return []
    rooms = dict(session.execute(select(Room.id, Room.name)).all())
    wishes: dict[int, dict[int, list[Any]]] = {}
    for w in session.execute(
            select(LotteryWish.entry_id, LotteryWish.rank, LotteryWish.room_id, LotteryWish.start_at,
                   LotteryWish.end_at, LotteryWish.booking_id)
            .join(LotteryEntry, LotteryEntry.id == LotteryWish.entry_id).where(which)
            .order_by(LotteryWish.entry_id, LotteryWish.rank, LotteryWish.seq)):
        wishes.setdefault(w[0], {}).setdefault(w[1], []).append(w)
    out: list[EntryView] = []
    for i in entries:
        (_id, month, entry_no, group_id, channel, status, taken_at, note, withdrawn_at, withdraw_reason, g_name,
         g_reg_no) = entries[i]
        wish_views = tuple(
            WishView(rank, tuple(SlotView(room_id, rooms.get(room_id, f"部屋{room_id}"), start, end, b,
                                          booking_number(b) if b else None)
                                 for _e, _r, room_id, start, end, b in ws))
            for rank, ws in sorted(wishes.get(i, {}).items()))
        won = next((wv.rank for wv in wish_views if any(s.booking_id is not None for s in wv.slots)), None)
        out.append(EntryView(i, month, entry_no, group_id, g_name, g_reg_no, channel, status, STATUS_LABELS[status],
                             wish_views, taken_at, note, withdrawn_at, withdraw_reason, won))
    return out


# --------------------------------------------------------------------------- the draw


def _draw_row(session: Session, month: dt.date) -> LotteryDraw | None:
    return session.scalars(select(LotteryDraw).where(LotteryDraw.month == lr.month_start(month))).first()


def _wish_rows(session: Session, month: dt.date, statuses: tuple[str, ...]) -> list[Any]:
    """The month's wishes of entries with the given statuses, one row a slot, in 受付番号 / rank / seq order:
    (entry_no, group_id, rank, room_id, start_at, end_at, entry id, wish id)."""
    return list(session.execute(
        select(LotteryEntry.entry_no, LotteryEntry.group_id, LotteryWish.rank, LotteryWish.room_id,
               LotteryWish.start_at, LotteryWish.end_at, LotteryEntry.id, LotteryWish.id)
        .join(LotteryWish, LotteryWish.entry_id == LotteryEntry.id)
        .where(LotteryEntry.month == month, LotteryEntry.status.in_(statuses))
        .order_by(LotteryEntry.entry_no, LotteryWish.rank, LotteryWish.seq)).all())


def _as_entries(rows: list[Any]) -> list[allocation.Entry]:
    """Allocation entries (entry_id = 受付番号) of :func:`_wish_rows`."""
    groups: dict[int, int] = {}
    slots: dict[int, dict[int, list[allocation.Slot]]] = {}
    for no, group_id, rank, room_id, start, end, *_ids in rows:
        groups[no] = group_id
        slots.setdefault(no, {}).setdefault(rank, []).append(allocation.Slot(room_id, start, end))
    return [allocation.Entry(no, groups[no], tuple(allocation.Wish(r, tuple(s)) for r, s in sorted(by.items())))
            for no, by in slots.items()]


def _drawn_entries(session: Session, month: dt.date, statuses: tuple[str, ...]) -> list[allocation.Entry]:
    """The month's entries with the given statuses as allocation entries (entry_id = 受付番号)."""
    return _as_entries(_wish_rows(session, month, statuses))


def _limits(inputs: dict[str, Any]) -> allocation.Limits:
    return allocation.Limits(max_wins_per_group=inputs.get("max_wins_per_group"),
                             max_slots_per_class=inputs.get("max_slots_per_class"))


def _taken(inputs: dict[str, Any]) -> list[allocation.Slot]:
    return [allocation.Slot(int(r), dt.datetime.fromisoformat(s), dt.datetime.fromisoformat(e))
            for r, s, e in inputs.get("taken", [])]


def run_draw(session: Session, actor: Actor, month: dt.date, *, now: dt.datetime,
             seed: str | None = None) -> DrawView:
    """Run the month's draw (管理者): awards become 仮予約 held through confirm_by, entries 当選 / 落選, the
    draw row with its seed and digest. One transaction: any refusal leaves nothing behind.

    PERF (issue 18: ≤ 1 s for 2,000 entries, bench/bench_draw_db.py): everything is read and written in
    bulk — one read of the entries with their groups, one of the wishes, the 仮予約 and their charges as one
    multi-row INSERT each, the wishes' booking ids as one executemany UPDATE by id, the entries' statuses as
    two UPDATEs. The 仮予約 are the rows ``booking_plan.plan_new_booking`` plans for the ordinary save, and
    each keeps the audit rows an ordinary save writes (its charges' ``quote`` and its ``create``), so a
    booking's history reads the same whichever way it was made; one ``draw`` row sums the draw up."""
    actor = require_manager(session, actor, "抽選の実施")
    month = lr.month_start(month)
    today = now.date()
    profile = get_profile(session)
    rules = lr.lottery_rules(profile)
    label = f"{month.year}年{month.month}月分"
    when = lr.draw_date(rules, month)
    if today < when:
        raise RuleError(f"{label}の抽選は{when.year}年{when.month}月{when.day}日からです。", "date")
    if _draw_row(session, month) is not None:
        raise RuleError(f"{label}の抽選は既に実施されています。同じ月の抽選は一度だけです。", "month")
    open_rows = session.execute(
        select(LotteryEntry.entry_no, MemberGroup.id, MemberGroup.name, MemberGroup.status,
               MemberGroup.valid_until)
        .join(MemberGroup, MemberGroup.id == LotteryEntry.group_id)
        .where(LotteryEntry.month == month, LotteryEntry.status == "entered")
        .order_by(LotteryEntry.entry_no)).all()
    barred = []
    names: dict[int, str] = {}
    for no, group_id, name, g_status, valid_until in open_rows:
        names[group_id] = name
        status = effective_status(g_status, valid_until, today)
        if g_status in GROUP_BARRED or not status.in_good_standing:
            barred.append(f"受付番号{no}（{name}：{GROUP_STATUS_LABELS[status]}）")
    if barred:
        raise RuleError("次の申込の団体は今は予約できないため抽選できません：" + "、".join(barred)
                        + "。申込を取り下げるか団体の登録を確かめてから抽選してください。", "group")

    # An overdue hold stops blocking its slot now, audited as the ordinary save does before its check.
    booking_svc.expire_overdue_holds(session, today, actor)
    rows = _wish_rows(session, month, ("entered",))
    entries = _as_entries(rows)
    room_names = dict(session.execute(select(Room.id, Room.name).where(Room.name.in_(rules.rooms))).all())
    end = lr.add_months(month, 1)
    booked = session.execute(select(Booking.room_id, Booking.start_at, Booking.end_at).where(
        Booking.room_id.in_(list(room_names)), Booking.start_at < dt.datetime.combine(end, dt.time()),
        Booking.end_at > dt.datetime.combine(month, dt.time()), blocks_slot_sql(today))).all()
    taken = sorted({allocation.Slot(r, s, e) for r, s, e in booked if r is not None})
    inputs: dict[str, Any] = {"taken": [[s.room_id, s.start.isoformat(), s.end.isoformat()] for s in taken],
                              "max_wins_per_group": rules.max_wins_per_group, "max_slots_per_class": None}
    seed = seed if seed is not None else allocation.new_seed()
    result = allocation.draw(entries, taken=taken, seed=seed, limits=_limits(inputs))

    entry_ids = {no: entry_id for no, *_rest, entry_id, _wish_id in rows}
    won_wishes = [r for r in rows if (a := result.awards.get(r[0])) is not None and a.wish_rank == r[2]]
    booking_ids = _book_awards(session, actor, profile, label, lr.confirm_by(rules, month), won_wishes,
                               room_names, names, {no: a.wish_rank for no, a in result.awards.items()}, now=now)
    if won_wishes:
        session.execute(update(LotteryWish), [{"id": r[7], "booking_id": b} for r, b in zip(won_wishes, booking_ids)])
    for outcome, nos in (("won", result.awards), ("lost", result.losers)):
        if nos:  # by id: an entry taken by another terminal meanwhile was not drawn and stays 受付済
            session.execute(update(LotteryEntry).where(LotteryEntry.id.in_(sorted(entry_ids[no] for no in nos)))
                            .values(status=outcome).execution_options(synchronize_session=False))
    digest = result.digest()
    session.add(LotteryDraw(month=month, seed=seed, digest=digest, algorithm=ALGORITHM, drawn_at=now,
                            drawn_by=actor.id, entries=len(entries), won=len(result.awards),
                            lost=len(result.losers), inputs=inputs))
    try:
        session.flush()
    except IntegrityError as exc:
        if "uq_lottery_draws_month" in str(exc.orig) or "UNIQUE" in str(exc.orig):
            raise ConflictError(f"{label}の抽選は他の端末で実施されました。") from None
        raise
    session.expire_all()  # the bulk UPDATEs went past the identity map
    draw_row = _draw_row(session, month)
    assert draw_row is not None
    audit(session, actor, "draw", "lottery_draw", draw_row.id,
          f"{label}の抽選を実施：申込{len(entries)}件、当選{len(result.awards)}件、落選{len(result.losers)}件"
          f"（シード {seed}、仮予約{len(booking_ids)}件）",
          after={"month": month, "seed": seed, "digest": digest, "entries": len(entries),
                 "won": len(result.awards), "lost": len(result.losers), "bookings": booking_ids}, now=now)
    view = draw_view(session, month, result=result)
    assert view is not None
    return view


def _book_awards(session: Session, actor: Actor, profile: Any, label: str, hold_until: dt.date,
                 won_wishes: list[Any], room_names: dict[int, str], names: dict[int, str],
                 ranks: dict[int, int], *, now: dt.datetime) -> list[int]:
    """Write the 仮予約 of the won wishes (rows of :func:`_wish_rows`) in bulk; their ids in the same order.

    The checks of the ordinary save that can still fail here are made first (a closed day or hours changed
    since the entry, the booking window): a RuleError names every slot, and nothing is written. A clash
    with a booking made since the draw read the month is the database's to refuse (PostgreSQL's exclusion
    constraint; SQLite's write lock has kept everyone else out since the transaction began)."""
    if not won_wishes:
        return []
    today = now.date()
    schedule = fees_svc.get_fees(session)
    problems: list[str] = []
    plans: list[NewBookingPlan] = []
    for no, group_id, rank, room_id, start, end_at, _entry_id, _wish_id in won_wishes:
        where = f"受付番号{no} {room_names.get(room_id, room_id)} {start:%m/%d} {start:%H:%M}〜{end_at:%H:%M}"
        problems += [f"{where}：{rb.message}" for rb in hours.check_slot(profile, start, end_at)]
        window = hours.check_window(profile, today, start.date(), True)
        if window is not None:
            problems.append(f"{where}：{window.message}")
        data = BookingInput(start=start, end=end_at, room_id=room_id, booker_kind="member", group_id=group_id,
                            purpose=f"抽選当選（{label} 受付番号{no}）", tentative=True, hold_until=hold_until,
                            note=f"抽選 {label} 受付番号{no} 第{ranks[no]}希望")
        plans.append(plan_new_booking(data, actor_id=actor.id, now=now, group=(group_id, names[group_id]),
                                      quote=(schedule, profile, room_names.get(room_id), {}, "member")))
    if problems:
        raise RuleError("当選の仮予約を作れない区分があります：\n" + "\n".join(problems)
                        + "\n休館日・利用時間の設定を確かめてから抽選してください。", "date")
    booking_ids = _insert_rows(session, "bookings", [p.booking | {"version": 1} for p in plans],
                               overlap=f"{label}の抽選中に他の端末が当選の区分を予約しました。"
                                       "もう一度抽選を実施してください（何も保存されていません）。")
    # The guard of both databases, in one query: no new 仮予約 overlaps a live booking of its room (the draw
    # never awards a taken slot, so this finds something only when the month's read was wrong).
    other = aliased(Booking)
    clash = session.execute(
        select(Booking.id).join(other, and_(other.room_id == Booking.room_id, other.id != Booking.id,
                                            other.start_at < Booking.end_at, other.end_at > Booking.start_at,
                                            booking_rules.blocks_slot_sql(today, other)))
        .where(Booking.id.between(min(booking_ids), max(booking_ids))).limit(1)).first()
    if clash is not None:
        raise ConflictError(f"{label}の当選の区分に既に予約があります（予約番号{booking_number(clash[0])}）。"
                            "予約を確かめてからもう一度抽選を実施してください（何も保存されていません）。")
    charge_ids = _insert_rows(session, "charges", [row for p, b in zip(plans, booking_ids)
                                                   for row in p.charge_rows(b)])
    at = 0
    trail: list[tuple[str, str, int | None, str, Any]] = []
    for p, b in zip(plans, booking_ids):
        mine = charge_ids[at:at + len(p.charges)]
        at += len(p.charges)
        if mine:  # the two audit rows of the ordinary save, in its order
            trail.append(("quote", "charge", None, quote_summary(booking_number(b), len(mine), p.charges_total, 0),
                          quote_after(b, mine, [])))
        trail.append(("create", "booking", b, p.created_summary(b), p.snapshot()))
    _append_audit(session, actor, trail, now=now)
    return booking_ids


def _driver_cursor(session: Session) -> tuple[Any, bool]:
    """The DBAPI cursor of the session's own connection (inside its transaction) and whether it is
    PostgreSQL's (psycopg) rather than SQLite's."""
    conn = session.connection()
    driver = conn.connection.driver_connection
    assert driver is not None  # a checked-out connection always has its driver's
    return driver.cursor(), conn.dialect.name == "postgresql"


def _insert_rows(session: Session, table: str, rows: list[dict[str, Any]], *, overlap: str = "") -> list[int]:
    """INSERT ``rows`` (column → value, all with the same columns) into ``table``; their new ids, in order.

    PERF: on PostgreSQL the ids are taken from the table's sequence in one statement and the rows go in as
    one pipelined executemany on the driver (a multi-row INSERT … RETURNING of 430 bookings is a long text
    that psycopg parses uncached, and the ORM's unit of work costs more than the insert); SQLite takes one
    multi-row INSERT … RETURNING through SQLAlchemy (its types write the dates as SQLAlchemy's text).
    ``overlap``: the ConflictError message when the exclusion constraint refuses a row."""
    if not rows:
        return []
    cur, pg = _driver_cursor(session)
    if not pg:
        t = Base.metadata.tables[table]
        # (SQLite has no exclusion constraint: the overlap query after the insert is its guard.)
        return [int(i) for i in session.execute(insert(t).returning(t.c.id, sort_by_parameter_order=True),
                                                rows).scalars()]
    from psycopg import errors as pg_errors

    ids = [int(r[0]) for r in cur.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", (table, len(rows)))]
    cols = ["id", *rows[0]]
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
    try:
        cur.executemany(sql, [(i, *r.values()) for i, r in zip(ids, rows)])
    except pg_errors.ExclusionViolation:
        raise ConflictError(overlap or "他の端末が同じ部屋・時間を予約しました。画面を更新してください。") from None
    return ids


def _append_audit(session: Session, actor: Actor, rows: list[tuple[str, str, int | None, str, Any]], *,
                  now: dt.datetime) -> None:
    """The audit rows (action, entity, entity_id, summary, after) of ``actor`` at ``now``, as the ordinary
    save appends them (``booking_fast_save``: ``before`` JSON null, ``after`` the JSON of jsonable): chained
    by the server's trigger on PostgreSQL (one pipelined executemany), by ``audit_chain.sqlite_append`` on
    SQLite under the write lock the transaction holds, its ids noted for the change watcher."""
    if not rows:
        return
    session.flush()  # the ORM's pending audit rows (an expired hold's) first: the chain is in id order
    cur, pg = _driver_cursor(session)
    texts = [(action, entity, entity_id, summary, json.dumps(jsonable(after)))
             for action, entity, entity_id, summary, after in rows]
    if pg:
        cur.executemany(PG_APPEND_SQL, [(now, actor.id, a, e, i, s, "null", t) for a, e, i, s, t in texts])
        return
    tail = first = sqlite_tail(cur)
    for action, entity, entity_id, summary, after_text in texts:
        tail = sqlite_append(cur, at=now, staff_id=actor.id, action=action, entity=entity, entity_id=entity_id,
                             summary=summary, before="null", after=after_text, tail=tail)
    note_written(session, range(first[0] + 1, tail[0] + 1))


def replay_draw(session: Session, month: dt.date) -> bool:
    """Re-run the month's draw from its stored seed and inputs; True when the digest is the stored one."""
    row = _draw_row(session, month)
    if row is None:
        raise NotFound(f"{month.year}年{month.month}月分の抽選はまだ実施されていません。")
    entries = _drawn_entries(session, row.month, ("won", "lost"))
    try:
        return allocation.replay(entries, taken=_taken(row.inputs), seed=row.seed, limits=_limits(row.inputs),
                                 expected_digest=row.digest)
    except ValidationError:
        return False  # the stored entries no longer even form a valid draw


def draw_view(session: Session, month: dt.date, *,
              result: allocation.DrawResult | None = None) -> DrawView | None:
    """The month's draw for the screens and the result sheets, or None before it. The log, the order and the
    reasons of the losers come from re-running the draw from the stored seed and inputs (a few ms)."""
    row = _draw_row(session, month)
    if row is None:
        return None
    if result is None:
        entries = _drawn_entries(session, row.month, ("won", "lost"))
        try:
            result = allocation.draw(entries, taken=_taken(row.inputs), seed=row.seed, limits=_limits(row.inputs))
        except ValidationError:
            result = None  # tampered beyond a valid draw: replay_draw says so; show the stored facts only
    staff = session.get(Staff, row.drawn_by)
    views = list_entries(session, row.month)
    return DrawView(row.month, row.seed, row.digest, row.algorithm, row.drawn_at, staff.name if staff else "",
                    row.entries, row.won, row.lost, tuple(v for v in views if v.status == "won"),
                    tuple(v for v in views if v.status == "lost"),
                    result.log if result else (), result.order if result else (),
                    {no: allocation.LOST_REASONS_JA[r] for no, r in result.lost_reasons.items()} if result else {})
