"""Member cards (登録団体証): gather what the card report prints, refusing groups that may not have one.

A card tells the desk at a glance that a group is registered, so one is issued only to a group in good
standing (有効 or 更新待ち) with a registration number and a validity date. The layout lives in
``booking_app.reports.member_cards``; this module reads, and :func:`print_cards` (what every entry point
calls, in a write transaction) records each print run in the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.domain.documents import CardData
from booking_app.domain.errors import NotFound, ValidationError
from booking_app.domain.groups import GROUP_TYPES, effective_status
from booking_app.domain.profile import CentreProfile
from booking_app.services.common import Actor, audit, local_now
from booking_app.store.models import MemberGroup

CARD_TITLE = "登録団体証"


def _type_label(g: MemberGroup) -> str:
    label = GROUP_TYPES.get(g.group_type, g.group_type or "")
    if g.is_machizukuri:
        # The council's district is what the desk asks about, so it goes on the card.
        return f"まちづくり協議会（{g.district}）" if g.district else "まちづくり協議会"
    return label


def card_data(session: Session, group_ids: Iterable[int], *, profile: CentreProfile,
              today: date | None = None) -> list[CardData]:
    """The cards for these groups, in the order given (each group once).

    Raises:
        ValidationError: no group chosen, or a group that may not have a card (expired, suspended,
            deregistered, without number or validity); the message names every such group.
        NotFound: an id that is not in the register.
    """
    today = today or local_now().date()
    ids = list(dict.fromkeys(group_ids))
    if not ids:
        raise ValidationError(f"{CARD_TITLE}を印刷する団体を選んでください。", field="groups")
    rows = {g.id: g for g in session.scalars(select(MemberGroup).where(MemberGroup.id.in_(ids)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound(f"団体が見つかりません（{len(missing)}件）。一覧を更新してから選び直してください。")
    refused: list[str] = []
    cards: list[CardData] = []
    for gid in ids:
        g = rows[gid]
        status = effective_status(g.status, g.valid_until, today)
        if not g.reg_no:
            refused.append(f"・{g.name}：登録番号がありません")
        elif not status.in_good_standing:
            refused.append(f"・{g.name}（{g.reg_no}）：{status.label}")
        elif g.valid_until is None:
            refused.append(f"・{g.name}（{g.reg_no}）：有効期限が登録されていません")
        else:
            cards.append(CardData(
                reg_no=g.reg_no, name=g.name, kana=g.kana or "", group_type_label=_type_label(g),
                valid_until=g.valid_until, centre_name=profile.name, centre_phone=profile.phone or "",
            ))
    if refused:
        raise ValidationError(
            f"次の団体には{CARD_TITLE}を発行できません。更新・登録内容を確認してください。\n" + "\n".join(refused),
            field="groups",
        )
    return cards


def print_cards(session: Session, actor: Actor, group_ids: Iterable[int], *, profile: CentreProfile,
                today: date | None = None, file_name: str | None = None) -> list[CardData]:
    """:func:`card_data`, recorded in the audit trail as one print run: how many cards and their
    registration numbers, never the groups' names. A refused group refuses the run and records nothing."""
    ids = list(dict.fromkeys(group_ids))
    cards = card_data(session, ids, profile=profile, today=today)
    numbers = "、".join(c.reg_no for c in cards[:5]) + ("ほか" if len(cards) > 5 else "")
    where = f"、{file_name}" if file_name else ""
    audit(session, actor, "print", "member_group", ids[0] if len(ids) == 1 else None,
          f"{CARD_TITLE}を印刷（{len(cards)}団体：登録番号{numbers}{where}）",
          after={"file": file_name or "", "rows": len(cards), "reg_nos": [c.reg_no for c in cards]})
    return cards
