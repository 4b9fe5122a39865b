"""Walk-in tallies (来館者カウント): clicks at the counter, +1 or +n per category, undone the same day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking_app.domain.errors import NotFound, RuleError, ValidationError
from booking_app.services.common import Actor, audit, local_now
from booking_app.services.stats.ledger import at_midnight, staff_names, walkin_categories
from booking_app.services.stats.month_lock import ensure_month_open
from booking_app.services.terminal import terminal_name
from booking_app.store.models import WalkInTally

MAX_TALLY = 999


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
    # The row is locked so that two terminals undoing the same click at once on PostgreSQL cannot both
    # see it live (it was undone twice: two audit entries, undone_by overwritten; bench/stress_terminals.py);
    # the second waits, then sees it undone. SQLite renders no FOR UPDATE and needs none: BEGIN
    # IMMEDIATE already serialises writers.
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
    return _tally_view(t, staff_names(session))


def last_tallies(session: Session, *, day: date, limit: int = 20) -> list[TallyView]:
    """The day's latest clicks, newest first, undone ones included (the counter shows them struck out)."""
    rows = session.scalars(select(WalkInTally).where(WalkInTally.at >= at_midnight(day),
                                                      WalkInTally.at < at_midnight(day + timedelta(days=1)))
                           .order_by(WalkInTally.at.desc(), WalkInTally.id.desc()).limit(limit))
    staff = staff_names(session)
    return [_tally_view(t, staff) for t in rows]


def tally_counts(session: Session, day: date) -> dict[str, int]:
    """The day's walk-ins per category (every category, zero-filled)."""
    rows = session.execute(
        select(WalkInTally.category, func.sum(WalkInTally.count))
        .where(WalkInTally.at >= at_midnight(day), WalkInTally.at < at_midnight(day + timedelta(days=1)),
               WalkInTally.undone_at.is_(None))
        .group_by(WalkInTally.category)
    ).all()
    found = {c: int(n) for c, n in rows}
    out = {c: found.get(c, 0) for c in walkin_categories(session)}
    out.update({c: n for c, n in found.items() if c not in out})
    return out


__all__ = ["MAX_TALLY", "TallyView", "add_tally", "undo_tally", "last_tallies", "tally_counts"]
