"""Finding a registered group (登録団体検索) for the booking dialog's completer, and the no-show bar
(無断キャンセルによる抽選の申込停止) the 団体 page shows when the group is verified at the counter.

Read-only: staff type part of a name, its kana or the registration number and pick from the list.
The group's state on the booking day (有効 / 期限切れ / 停止 / 抹消) is shown next to it, so the desk
sees at once whether the group may book as a member. The search itself is
services.groups.search_groups (kana folding); this module only shapes its results for the completer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.domain import lottery_rules as lr
from booking_app.domain.booking_rules import BookingStatus
from booking_app.domain.groups import GROUP_STATUS_LABELS, effective_status
from booking_app.services import groups as group_service
from booking_app.services.centre import get_profile
from booking_app.store.models import Booking, MemberGroup


@dataclass(frozen=True)
class GroupHit:
    """One registered group as the completer shows it."""

    id: int
    reg_no: str | None
    name: str
    kana: str
    status: str
    valid_until: date | None
    phone: str = ""

    @property
    def display(self) -> str:
        """'0012 ふくふく読書会' — what the completer lists and the line edit keeps."""
        return f"{self.reg_no} {self.name}" if self.reg_no else self.name

    def is_valid_on(self, day: date) -> bool:
        """In good standing on that day: the same rule (domain.groups.effective_status) the booking
        service applies, so the dialog's green/red never disagrees with what saving will do."""
        return effective_status(self.status, self.valid_until, day).in_good_standing

    def state_label(self, day: date) -> str:
        """'有効', '更新待ち', '期限切れ', '停止', '抹消' as of the given day."""
        return GROUP_STATUS_LABELS[effective_status(self.status, self.valid_until, day)]


def search_groups(session: Session, text: str, limit: int = 20) -> list[GroupHit]:
    """Groups by number, name or kana in any script or width (services.groups.search_groups)."""
    ids = [g.id for g in group_service.search_groups(session, text, limit=limit)]
    rows = {g.id: g for g in session.query(MemberGroup).filter(MemberGroup.id.in_(ids))} if ids else {}
    return [_hit(rows[i]) for i in ids]


def _hit(g: MemberGroup) -> GroupHit:
    return GroupHit(g.id, g.reg_no, g.name, g.kana, g.status, g.valid_until, g.phone)


def get_group(session: Session, group_id: int) -> GroupHit | None:
    g = session.get(MemberGroup, group_id)
    return _hit(g) if g is not None else None


@dataclass(frozen=True)
class NoShowBar:
    """The group may not enter the lottery for ``month`` (its first day): ``count`` 無断キャンセル from
    ``first`` to ``last`` (the rule's whole months before the entry month), at least ``limit``."""

    count: int
    limit: int
    first: date
    last: date
    month: date

    @property
    def text(self) -> str:
        """'無断キャンセル 2回（2026年9月〜11月）：2027年3月分の抽選には申し込めません'."""
        span = (f"{self.first.year}年{self.first.month}月〜{self.last.month}月" if self.first.year == self.last.year
                else f"{self.first.year}年{self.first.month}月〜{self.last.year}年{self.last.month}月")
        return (f"無断キャンセル {self.count}回（{span}）：{self.month.year}年{self.month.month}月分の抽選には"
                "申し込めません")


def bar_month(rules: lr.LotteryRules, today: date) -> date:
    """The lottery month the counter asks about today: the one whose entries are taken now, or else the
    next whose entry window is still to come."""
    month = lr.add_months(today, rules.months_ahead)
    return month if today <= lr.entry_window(rules, month)[1] else lr.add_months(month, 1)


def no_show_bar(session: Session, group_id: int, today: date) -> NoShowBar | None:
    """The group's no-show bar for :func:`bar_month`'s lottery (domain.lottery_rules: the group's bookings
    marked 無断キャンセル in the counted months); None under the limit or when the rule is off (limit 0)."""
    rules = lr.lottery_rules(get_profile(session))
    if rules.no_show_limit <= 0:
        return None
    month = bar_month(rules, today)
    days = [at.date() for at in session.scalars(select(Booking.start_at).where(
        Booking.group_id == group_id, Booking.status == BookingStatus.NO_SHOW.value))]
    if not lr.barred_by_no_shows(rules, days, month):
        return None
    first, last = lr.no_show_span(rules, month)
    return NoShowBar(lr.counted_no_shows(rules, days, month), rules.no_show_limit, first, last, month)


__all__ = ["GroupHit", "search_groups", "get_group", "NoShowBar", "bar_month", "no_show_bar"]
