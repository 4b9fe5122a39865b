"""The demo register (登録団体): the 17 まちづくり協議会, 自治会 and their federations, and purpose groups."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking_app.demo.tables import (
    ACTIVITIES,
    COMMUNITY_FORMS,
    DISTRICT_KANA,
    GIVEN,
    PLACES,
    PURPOSE_FORMS,
    SURNAMES,
    TOWNS,
)
from booking_app.domain.groups import ACTIVITY_FIELDS, MACHIZUKURI_DISTRICTS
from booking_app.store.models import MemberGroup


def person(rng: random.Random) -> str:
    """A made-up full name (surname, a space, given name)."""
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"


def phone(rng: random.Random) -> str:
    """A made-up landline number of the 083 area."""
    return f"083-{rng.randint(200, 299)}-{rng.randint(0, 9999):04d}"


def make_groups(session: Session, rng: random.Random, *, now: datetime, staff_id: int, count: int,
                 fiscal_end: date, fiscal_start: date) -> list[MemberGroup]:
    """About ``count`` groups: the 17 まちづくり協議会, 自治会 and their federations, and purpose groups."""
    taken = {n for (n,) in session.execute(select(MemberGroup.reg_no).where(MemberGroup.reg_no.is_not(None)))}
    next_no = max((int(n) for n in taken if n and n.isdigit()), default=0) + 1
    specs: list[tuple[str, str, str, bool, str, list[str]]] = []  # name, kana, type, machizukuri, district, fields
    for d in MACHIZUKURI_DISTRICTS:
        k = DISTRICT_KANA.get(d, "")
        specs.append((f"{d}地区まちづくり協議会", f"{k}ちくまちづくりきょうぎかい", "community", True, d, ["まちづくり"]))
    for d in MACHIZUKURI_DISTRICTS:
        k = DISTRICT_KANA.get(d, "")
        specs.append((f"{d}地区自治会連合会", f"{k}ちくじちかいれんごうかい", "community", False, d, ["まちづくり"]))
    forms = [f for f in COMMUNITY_FORMS for _ in range(f[2])]
    for town, tk in TOWNS:
        form, fk, _ = rng.choice(forms)
        specs.append((f"{town}{form}", f"{tk}{fk}", "community", False, "", ["まちづくり", "地域安全"][: rng.randint(1, 2)]))
    names = {s[0] for s in specs}
    pforms = [f for f in PURPOSE_FORMS for _ in range(f[2])]
    attempts = 0
    while len(specs) < count and attempts < count * 50:
        attempts += 1
        (p, pk), (a, ak, fld), (nf, kf, _) = rng.choice(PLACES), rng.choice(ACTIVITIES), rng.choice(pforms)
        name = nf.format(p=p, a=a)
        if name in names or ("ボランティア" in a and "ボランティア" in nf):  # not 「…ボランティアボランティア…」
            continue
        names.add(name)
        extra = [f for f in rng.sample(ACTIVITY_FIELDS, 2) if f != fld][: rng.randint(0, 1)]
        specs.append((name, kf.format(pk=pk, ak=ak), "purpose", False, "", [fld, *extra]))
    # Registration numbers follow the order groups registered, not their kind.
    rng.shuffle(specs)
    groups: list[MemberGroup] = []
    for name, kana, gtype, machi, district, fields in specs[:count]:
        r = rng.random()
        status, valid_until, reason = "active", fiscal_end, ""
        if r < 0.07:
            status, valid_until = "expired", fiscal_start - timedelta(days=1)
        elif r < 0.09:
            status, reason = "suspended", rng.choice(("活動報告書が未提出のため", "営利目的の利用が疑われ確認中のため"))
        while f"{next_no:04d}" in taken:
            next_no += 1
        reg_no = f"{next_no:04d}"
        next_no += 1
        rep = person(rng)
        groups.append(MemberGroup(
            reg_no=reg_no, name=name, kana=kana, group_type=gtype, is_machizukuri=machi, district=district,
            activity_fields=fields, status=status, status_reason=reason,
            registered_on=date(rng.randint(2004, 2025), rng.choice((4, 4, 4, 5, 6, 9, 10)), rng.randint(1, 28)),
            valid_until=valid_until, representative=rep, phone=phone(rng), contact_name=rep,
            members=rng.randint(5, 120) if gtype == "purpose" else rng.randint(30, 400),
            declarations={"not_religious": True, "not_political": True, "not_electoral": True,
                          "not_for_profit": True, "not_gang": True},
            note="", created_at=now, created_by=staff_id,
        ))
    session.add_all(groups)
    session.flush()
    return groups
