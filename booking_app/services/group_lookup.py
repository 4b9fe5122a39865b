"""Finding a registered group (登録団体検索) for the booking dialog's completer.

Read-only: staff type part of a name, its kana or the registration number and pick from the list.
The group's state on the booking day (有効 / 期限切れ / 停止 / 抹消) is shown next to it, so the desk
sees at once whether the group may book as a member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from booking_app.store.models import MemberGroup

# Group states that still count as registered (the booking service uses the same pair).
VALID_STATES = ("active", "renewal_due")
STATE_LABELS = {
    "active": "有効",
    "renewal_due": "有効（更新待ち）",
    "suspended": "停止",
    "deregistered": "抹消",
}


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
        """'R0012 ふくふく読書会' — what the completer lists and the line edit keeps."""
        return f"{self.reg_no} {self.name}" if self.reg_no else self.name

    def is_valid_on(self, day: date) -> bool:
        return self.status in VALID_STATES and (self.valid_until is None or self.valid_until >= day)

    def state_label(self, day: date) -> str:
        """'有効', '期限切れ', '停止', '抹消' as of the booking day."""
        if self.status in VALID_STATES and self.valid_until is not None and self.valid_until < day:
            return "期限切れ"
        return STATE_LABELS.get(self.status, self.status)


def _hit(g: MemberGroup) -> GroupHit:
    return GroupHit(g.id, g.reg_no, g.name, g.kana, g.status, g.valid_until, g.phone)


def search_groups(session: Session, text: str, limit: int = 20) -> list[GroupHit]:
    """Groups whose name, kana or registration number contains text; exact number first, then by kana."""
    text = (text or "").strip()
    q = select(MemberGroup)
    if text:
        like = f"%{text}%"
        q = q.where(or_(MemberGroup.name.like(like), MemberGroup.kana.like(like), MemberGroup.reg_no.like(like)))
        q = q.order_by(case((MemberGroup.reg_no == text, 0), (MemberGroup.name == text, 1), else_=2))
    q = q.order_by(MemberGroup.kana, MemberGroup.name, MemberGroup.id).limit(limit)
    return [_hit(g) for g in session.scalars(q)]


def get_group(session: Session, group_id: int) -> GroupHit | None:
    g = session.get(MemberGroup, group_id)
    return _hit(g) if g is not None else None


__all__ = ["GroupHit", "search_groups", "get_group", "STATE_LABELS", "VALID_STATES"]
