"""The lottery's papers as plain data (抽選の帳票, issue 18): from ``services.lottery``'s views to the
``domain.documents`` classes that ``reports.lottery_pdf`` lays out.

Services gather, reports lay out (docs/design.md, the map): the ui or a command calls a builder here in its
transaction and hands the result to the report. Each slot becomes the desk's text
(「大会議室 2027/03/05(金) 夜間 18:00〜22:00」, the period's name from the centre's hours of that day); the centre's
name and phone come from the profile, as the slips and receipts take them; the dates of the cycle from
``lottery_rules.cycle``. The public list is built from numbers and outcomes only: its rows have no field that
could carry a group's name.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from booking_app.domain import hours
from booking_app.domain import japanese_calendar as jcal
from booking_app.domain import lottery_rules as lr
from booking_app.domain.documents import (
    LotteryEntryDoc,
    LotteryEntryListDoc,
    LotteryEntryListRow,
    LotteryPublicListDoc,
    LotteryPublicRow,
    LotteryResultDoc,
    LotteryResultLine,
    LotteryWishLine,
)
from booking_app.domain.errors import NotFound
from booking_app.domain.profile import CentreProfile
from booking_app.services import lottery as lot
from booking_app.services.centre import get_profile
from booking_app.services.common import local_now
from booking_app.store.models import LotteryEntry, Staff


def slot_text(profile: CentreProfile, s: lot.SlotView) -> str:
    """「大会議室 2027/03/05(金) 夜間 18:00〜22:00」: the period's name when the slot is one of the day's 区分."""
    day = s.start.date()
    period = next((p.name for p in hours.periods_for(profile, day)
                   if p.start == s.start.time() and p.end == s.end.time()), "")
    times = f"{jcal.format_time(s.start.time())}〜{jcal.format_time(s.end.time())}"
    return f"{s.room_name} {s.start:%Y/%m/%d}({jcal.weekday_ja(day)}) " + (f"{period} {times}" if period else times)


def wish_lines(profile: CentreProfile, v: lot.EntryView) -> tuple[LotteryWishLine, ...]:
    return tuple(LotteryWishLine(w.rank, tuple(slot_text(profile, s) for s in w.slots)) for w in v.wishes)


def entry_no_text(no: int) -> str:
    """受付番号 as printed (the number the desk says and the audit trail names)."""
    return str(no)


def status_text(v: lot.EntryView) -> str:
    """受付済 / 取下げ / 当選（第1希望） / 落選."""
    if v.status == "won" and v.won_rank is not None:
        return f"当選（第{v.won_rank}希望）"
    return v.status_label


def entry_receipt_doc(session: Session, entry_id: int) -> LotteryEntryDoc:
    """The 受付控 of one entry. Its 受付者 is the staff member who TOOK the entry (``taken_by``), also on a
    reprint by someone else later."""
    row = session.get(LotteryEntry, entry_id)
    if row is None:
        raise NotFound("その抽選の申込は見つかりません。一覧を更新してください。")
    clerk = session.get(Staff, row.taken_by)
    v = next(e for e in lot.list_entries(session, row.month) if e.id == entry_id)
    profile = get_profile(session)
    c = lr.cycle(lr.lottery_rules(profile), v.month)
    return LotteryEntryDoc(
        centre_name=profile.name, centre_phone=profile.phone, month=c.month, entry_no=entry_no_text(v.entry_no),
        group_name=v.group_name, group_reg_no=v.group_reg_no or "", channel=lot.CHANNELS.get(v.channel, v.channel),
        taken_at=v.taken_at, staff_name=clerk.name if clerk else "", wishes=wish_lines(profile, v), entry_open=c.entry_open,
        entry_close=c.entry_close, draw_on=c.draw, confirm_by=c.confirm_by, first_come_from=c.first_come_from)


def entry_list_doc(session: Session, month: dt.date, *, printed_at: dt.datetime | None = None) -> LotteryEntryListDoc:
    """The month's entry list (申込一覧) in 受付番号 order, withdrawn entries marked 取下げ."""
    profile = get_profile(session)
    c = lr.cycle(lr.lottery_rules(profile), month)
    rows = tuple(
        LotteryEntryListRow(entry_no=entry_no_text(v.entry_no), group_name=v.group_name,
                            group_reg_no=v.group_reg_no or "", wishes=wish_lines(profile, v),
                            status_label=status_text(v), channel=lot.CHANNELS.get(v.channel, v.channel),
                            taken_at=v.taken_at)
        for v in lot.list_entries(session, c.month))
    return LotteryEntryListDoc(centre_name=profile.name, month=c.month,
                               printed_at=printed_at if printed_at is not None else local_now(), rows=rows,
                               entry_open=c.entry_open, entry_close=c.entry_close, draw_on=c.draw)


def _drawn(session: Session, month: dt.date) -> lot.DrawView:
    view = lot.draw_view(session, month)
    if view is None:
        m = lr.month_start(month)
        raise NotFound(f"{m.year}年{m.month}月分の抽選はまだ実施されていません。抽選の後に印刷してください。")
    return view


def result_docs(session: Session, month: dt.date) -> list[LotteryResultDoc]:
    """The result sheets (抽選結果のお知らせ), one per group that was in the draw, in the order of each group's
    first 受付番号: every entry 当選 with its 区分, the 仮予約's number and the day to confirm by, or 落選 with
    the reason; the group's place in the draw order, the seed and the digest."""
    view = _drawn(session, month)
    profile = get_profile(session)
    c = lr.cycle(lr.lottery_rules(profile), view.month)
    by_group: dict[int, list[lot.EntryView]] = {}
    for v in sorted((*view.winners, *view.losers), key=lambda e: e.entry_no):
        by_group.setdefault(v.group_id, []).append(v)
    docs = []
    for group_id, entries in by_group.items():
        lines = []
        for v in entries:
            if v.status == "won":
                lines.append(LotteryResultLine(
                    entry_no=entry_no_text(v.entry_no), wishes=wish_lines(profile, v), won_rank=v.won_rank,
                    won_slots=tuple(slot_text(profile, s) for s in v.won_slots),
                    hold_no="・".join(s.booking_number for s in v.won_slots if s.booking_number)))
            else:
                lines.append(LotteryResultLine(
                    entry_no=entry_no_text(v.entry_no), wishes=wish_lines(profile, v), won_rank=None,
                    lost_reason=view.lost_reasons.get(v.entry_no, "")))
        first = entries[0]
        docs.append(LotteryResultDoc(
            centre_name=profile.name, centre_phone=profile.phone, month=view.month, group_name=first.group_name,
            group_reg_no=first.group_reg_no or "", lines=tuple(lines), confirm_by=c.confirm_by,
            first_come_from=c.first_come_from, seed=view.seed, digest=view.digest, drawn_at=view.drawn_at,
            order_position=view.place_of(group_id) or 0, order_size=len(view.order)))
    return docs


def public_list_doc(session: Session, month: dt.date) -> LotteryPublicListDoc:
    """The public list (抽選結果・掲示用): 受付番号 and 当選（第n希望）/落選 only, never a name."""
    view = _drawn(session, month)
    c = lr.cycle(lr.lottery_rules(get_profile(session)), view.month)
    rows = tuple(LotteryPublicRow(entry_no_text(v.entry_no), v.won_rank if v.status == "won" else None)
                 for v in sorted((*view.winners, *view.losers), key=lambda e: e.entry_no))
    return LotteryPublicListDoc(centre_name=get_profile(session).name, month=view.month, rows=rows, seed=view.seed,
                                digest=view.digest, drawn_at=view.drawn_at, confirm_by=c.confirm_by)


__all__ = ["entry_receipt_doc", "entry_list_doc", "result_docs", "public_list_doc", "slot_text", "status_text"]
