"""Finding a registered group (登録団体検索) for the booking dialog's completer.

Read-only: staff type part of a name, its kana or the registration number and pick from the list.
The group's state on the booking day (有効 / 期限切れ / 停止 / 抹消) is shown next to it, so the desk
sees at once whether the group may book as a member. The search itself is
services.groups.search_groups (kana folding); this module only shapes its results for the completer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from booking_app.domain.groups import GROUP_STATUS_LABELS, effective_status
from booking_app.services import groups as group_service
from booking_app.store.models import MemberGroup


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


__all__ = ["GroupHit", "search_groups", "get_group"]
