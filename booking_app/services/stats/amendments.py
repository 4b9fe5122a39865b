"""Amendments (訂正) to closed months' figures as read: their keys and Japanese names, and the lists.

An amendment is made by ``month_close.amend``; the submitted figures themselves are never rewritten, so
every report lists the amendments beside them (:func:`amendments_of_month`, :func:`amendments_of_year`)
and the 月次締め tab lists the fiscal year's (:func:`year_amendments`). One view for all of them:
``domain.figures.AmendmentView``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from booking_app.domain.counting import fiscal_months
from booking_app.domain.errors import ValidationError
from booking_app.domain.figures import PRINTING_LABELS, AmendmentView, MonthFigures
from booking_app.services.stats.ledger import staff_names
from booking_app.store.models import StatAmendment

SCALAR_KEYS = {
    "users_total": "利用者数（合計）", "bookings": "利用件数", "cancellations": "取消件数", "no_shows": "無断キャンセル件数",
    "new_groups": "新規登録団体数", "groups_registered": "登録団体数",
}
DICT_KEYS = {  # prefix → (figures field, label)
    "users.category": ("users_by_category", "利用者数"),
    "users.walkin": ("users_by_category", "利用者数"),
    "users.room": ("users_by_room", "部屋別利用者数"),
    "users.group_type": ("users_by_group_type", "団体区分別利用者数"),
    "printing": ("printing", "印刷機"),
    "revenue": ("revenue_by_kind", "収入"),
    "insurance": ("insurance_enrolments", "保険加入件数"),
}


def split_key(key: str) -> tuple[str, str | None]:
    """'users.room.大会議室' → ('users.room', '大会議室'); 'bookings' → ('bookings', None)."""
    if key in SCALAR_KEYS:
        return key, None
    for prefix in sorted(DICT_KEYS, key=len, reverse=True):
        if key.startswith(prefix + ".") and len(key) > len(prefix) + 1:
            return prefix, key[len(prefix) + 1:]
    raise ValidationError(f"訂正する項目「{key}」が分かりません。", field="key")


def amendment_label(key: str) -> str:
    """A Japanese name for an amendment key, e.g. 'users.room.大会議室' → '部屋別利用者数（大会議室）'."""
    try:
        head, sub = split_key(key)
    except ValidationError:
        return key
    if sub is None:
        return SCALAR_KEYS[head]
    return f"{DICT_KEYS[head][1]}（{PRINTING_LABELS.get(sub, sub) if head == 'printing' else sub}）"


def submitted_value(figures: dict[str, Any], key: str) -> int:
    """The value of ``key`` in a month's submitted figures (MonthClosing.figures); 0 when absent."""
    head, sub = split_key(key)
    if sub is None:
        return int(figures.get(head) or 0)
    return int((figures.get(DICT_KEYS[head][0]) or {}).get(sub, 0) or 0)


def amendable_figures(fig: MonthFigures) -> list[tuple[str, str, int]]:
    """The figures of a closed month a manager may amend: (key, Japanese label, value as it stands now,
    i.e. the submitted one or its last amendment)."""
    values: dict[str, int] = {"users_total": fig.users_total}
    values.update({f"users.category.{k}": v for k, v in fig.users_by_category.items()})
    values.update({f"users.room.{k}": v for k, v in fig.users_by_room.items()})
    values.update({f"users.group_type.{k}": v for k, v in fig.users_by_group_type.items()})
    values.update({key: getattr(fig, key) for key in SCALAR_KEYS if key != "users_total"})
    for a in fig.amendments:  # oldest first: the last amendment of a key is its value now
        values[a.key] = a.new_value
    return [(k, amendment_label(k), int(v or 0)) for k, v in values.items()]


def view_of(a: StatAmendment, staff: dict[int, str]) -> AmendmentView:
    return AmendmentView(a.id, a.year, a.month, a.key, amendment_label(a.key), a.old_value, a.new_value,
                         a.reason, a.source, a.at, a.staff_id, staff.get(a.staff_id, ""))


def _views(session: Session, q: Select[StatAmendment]) -> list[AmendmentView]:
    staff = staff_names(session)
    return [view_of(a, staff) for a in session.scalars(q)]


def amendments_of_month(session: Session, year: int, month: int) -> list[AmendmentView]:
    """The amendments of the month's own figures and — so that the next report shows a correction to an
    earlier, already submitted month — every amendment made during the month; oldest first."""
    first = datetime(year, month, 1)
    after = datetime(year + (month == 12), month % 12 + 1, 1)
    return _views(session, select(StatAmendment).where(or_(
        and_(StatAmendment.year == year, StatAmendment.month == month),
        and_(StatAmendment.at >= first, StatAmendment.at < after)))
        .order_by(StatAmendment.at, StatAmendment.id))


def _in_fiscal_year(fiscal_year: int) -> Any:
    months = fiscal_months(fiscal_year)
    ym = StatAmendment.year * 100 + StatAmendment.month
    return and_(ym >= months[0][0] * 100 + months[0][1], ym <= months[-1][0] * 100 + months[-1][1])


def amendments_of_year(session: Session, fiscal_year: int) -> list[AmendmentView]:
    """The amendments of the fiscal year's months, oldest first (for the year's report)."""
    return _views(session, select(StatAmendment).where(_in_fiscal_year(fiscal_year))
                  .order_by(StatAmendment.at, StatAmendment.id))


def year_amendments(session: Session, fiscal_year: int) -> list[AmendmentView]:
    """The amendments of the fiscal year's months, newest first (the 月次締め tab's list)."""
    return _views(session, select(StatAmendment).where(_in_fiscal_year(fiscal_year))
                  .order_by(StatAmendment.at.desc(), StatAmendment.id.desc()))


__all__ = ["SCALAR_KEYS", "DICT_KEYS", "split_key", "amendment_label", "submitted_value", "amendable_figures", "view_of",
           "amendments_of_month", "amendments_of_year", "year_amendments"]
