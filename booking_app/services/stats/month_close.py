"""Closing a month (月次締め) and amending a closed one (訂正): the manager's two acts on submitted figures.

A manager closes a month: its figures are stored as submitted in MonthClosing.figures and counted data
dated in that month can no longer change (``month_lock``); a later correction is an amendment (訂正,
StatAmendment) with who, when, why and old and new figure, listed by the next report. The submitted
figures themselves are never rewritten.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking_app.domain.booking_rules import UNSETTLED
from booking_app.domain.errors import RuleError, ValidationError
from booking_app.domain.figures import AmendmentView, MonthFigures
from booking_app.services.booking_views import BookingView, views_for
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.services.stats.amendments import amendment_label, split_key, submitted_value
from booking_app.services.stats.figures import compute, figures_to_json
from booking_app.services.stats.ledger import at_midnight, month_label, month_range
from booking_app.services.stats.month_lock import is_month_closed
from booking_app.store.models import Booking, MonthClosing, StatAmendment


def unsettled_bookings(session: Session, *, today: date) -> list[BookingView]:
    """Past bookings not yet checked out nor marked no-show, oldest first, for the next day's staff."""
    rows = session.scalars(select(Booking).where(Booking.status.in_(UNSETTLED), Booking.start_at < at_midnight(today))
                           .order_by(Booking.start_at, Booking.room_id))
    return views_for(session, list(rows))


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
    lo, hi = month_range(year, month)
    if now.date() < hi:
        raise RuleError(f"{year}年{month}月はまだ終わっていないため締められません。翌月になってから締めてください。")
    if is_month_closed(session, year, month):
        raise RuleError(f"{year}年{month}月は既に締め済みです。訂正は「訂正」で行ってください。")
    force_reason = (force_reason or "").strip()
    unsettled = session.scalar(select(func.count()).select_from(Booking).where(
        Booking.status.in_(UNSETTLED), Booking.start_at >= at_midnight(lo), Booking.start_at < at_midnight(hi))) or 0
    if unsettled and not force_reason:
        raise RuleError(
            f"{year}年{month}月には利用済・無断キャンセルの入力が済んでいない予約が{unsettled}件あります。"
            "入力してから締めてください（やむを得ず締める場合は理由を入力してください）。"
        )
    f = compute(session, lo, hi, month_label(year, month), today=now.date())
    f = replace(f, year=year, month=month, force_reason=force_reason if unsettled else "")
    row = MonthClosing(year=year, month=month, closed_at=now, closed_by=actor.id, figures=figures_to_json(f))
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another terminal closed it a moment ago (unique year, month)
        raise RuleError(f"{year}年{month}月は既に締め済みです。") from None
    audit(session, actor, "close", "month_closing", row.id,
          f"{year}年{month}月を締め（利用者数{f.users_total:,}人）"
          + (f"　未精算{unsettled}件のまま：{force_reason}" if unsettled else ""),
          after={"users_total": f.users_total, "unsettled": unsettled, "force_reason": force_reason}, now=now)
    return replace(f, closed=True, closed_at=now, closed_by=actor.name)


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
    split_key(key)
    closing = session.scalars(select(MonthClosing).where(MonthClosing.year == year,
                                                         MonthClosing.month == month)).first()
    if closing is None:
        raise RuleError(f"{year}年{month}月はまだ締めていません。訂正ではなく、元のデータを直してください。")
    previous = session.scalars(select(StatAmendment).where(
        StatAmendment.year == year, StatAmendment.month == month, StatAmendment.key == key)
        .order_by(StatAmendment.at.desc(), StatAmendment.id.desc()).limit(1)).first()
    old = previous.new_value if previous is not None else submitted_value(closing.figures, key)
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


__all__ = ["unsettled_bookings", "close_month", "amend"]
