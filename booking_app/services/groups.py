"""Member groups (登録団体): register, verify at the counter, change status, renew each fiscal year.

Rows are never deleted; every status change is kept in group_status_history with who and why,
and every other change in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from booking_app.domain import japanese_calendar as jcal
from booking_app.domain.documents import CARD_PREFIX  # what a member card's QR code holds before the number
from booking_app.domain.errors import NotFound, ValidationError
from booking_app.domain.groups import (
    GROUP_STATUS_LABELS,
    GROUP_TYPES,
    GroupInput,
    GroupStatus,
    effective_status,
    format_reg_no,
    validate_registration,
    validity_end,
)
from booking_app.domain.kana import digits_only, search_key
from booking_app.services.text_search import matches
from booking_app.services.booking_views import BookingView, views_for
from booking_app.services.common import Actor, audit, local_now, require_manager
from booking_app.store.models import (
    Booking,
    GroupStatusChange,
    GroupVerification,
    MemberGroup,
    NumberSequence,
)


REG_NO_SEQUENCE = "group_reg_no"


@dataclass(frozen=True)
class GroupSummary:
    """One line of a search result."""

    id: int
    reg_no: str | None
    name: str
    kana: str
    group_type: str
    representative: str
    phone: str
    status: str
    valid_until: date | None
    status_reason: str = ""

    @property
    def status_label(self) -> str:
        return GROUP_STATUS_LABELS[GroupStatus(self.status)]

    @property
    def type_label(self) -> str:
        return GROUP_TYPES.get(self.group_type, self.group_type)


@dataclass(frozen=True)
class Verdict:
    """What the counter must say about a group today, large and plain."""

    status: str
    label: str
    good: bool
    reason: str
    advice: str


def _summary(g: MemberGroup, today: date) -> GroupSummary:
    status = effective_status(g.status, g.valid_until, today).value
    return GroupSummary(g.id, g.reg_no, g.name, g.kana, g.group_type, g.representative, g.phone, status,
                        g.valid_until, g.status_reason or "")


def verdict(g: MemberGroup | GroupSummary | None, today: date) -> Verdict:
    """The counter's answer: 有効 (green) or why not and what to do (red)."""
    if g is None:
        return Verdict("unregistered", "未登録", False, "登録団体の名簿に見つかりません。",
                       "一般利用として受け付けるか、団体登録の申請をご案内ください。")
    stored = g.status
    status = effective_status(stored, g.valid_until, today)
    if status == GroupStatus.ACTIVE:
        return Verdict(status.value, status.label, True, f"{jcal.format_slash(g.valid_until)}まで有効"
                       if g.valid_until else "有効", "登録団体として受け付けてください。")
    if status == GroupStatus.RENEWAL_DUE:
        assert g.valid_until is not None  # RENEWAL_DUE is decided from the date
        return Verdict(status.value, status.label, True,
                       f"{jcal.format_slash(g.valid_until)}で期限が切れます。",
                       "登録団体として受け付け、年度更新の手続きをご案内ください。")
    reason = getattr(g, "status_reason", "") or ""
    if status == GroupStatus.EXPIRED:
        until = jcal.format_slash(g.valid_until) if g.valid_until else "不明"
        return Verdict(status.value, status.label, False, f"登録の有効期限（{until}）が過ぎています。",
                       "更新手続きが済むまでは一般利用として受け付けてください。")
    if status == GroupStatus.SUSPENDED:
        return Verdict(status.value, status.label, False, f"利用停止中です。{reason}".strip(),
                       "予約は受け付けられません。管理者に確認してください。")
    return Verdict(status.value, status.label, False, f"登録が抹消されています。{reason}".strip(),
                   "予約は受け付けられません。再登録の申請をご案内ください。")


# --------------------------------------------------------------------------- numbers


def next_number(session: Session, name: str, start_from: int = 1) -> int:
    """Take the next value of a counter that never goes back, inside the caller's transaction.

    On PostgreSQL the counter row is locked (FOR UPDATE) until commit, so two terminals cannot take
    the same number; on SQLite the transaction already holds the write lock (BEGIN IMMEDIATE).
    """
    dialect = session.get_bind().dialect.name
    # Create the counter row if missing without racing another terminal doing the same: with
    # ON CONFLICT DO NOTHING the loser waits for the winner's row and then locks it like any other.
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(ins(NumberSequence).values(name=name, next_value=start_from).on_conflict_do_nothing())
    q = select(NumberSequence).where(NumberSequence.name == name)
    if dialect == "postgresql":
        q = q.with_for_update()
    seq = session.scalars(q.execution_options(populate_existing=True)).one()
    value = seq.next_value
    seq.next_value = value + 1
    return value


def _highest_reg_no(session: Session) -> int:
    best = 0
    for (reg,) in session.execute(select(MemberGroup.reg_no).where(MemberGroup.reg_no.is_not(None))):
        digits = digits_only(reg)
        if digits:
            best = max(best, int(digits))
    return best


def allocate_reg_no(session: Session) -> str:
    """A registration number never used before, even by a deregistered group."""
    highest = _highest_reg_no(session)
    n = next_number(session, REG_NO_SEQUENCE, start_from=highest + 1)
    while n <= highest:  # groups imported with numbers after the counter was made
        n = next_number(session, REG_NO_SEQUENCE)
    return format_reg_no(n)


# --------------------------------------------------------------------------- writing


def _snapshot(g: MemberGroup) -> dict[str, Any]:
    return {
        "reg_no": g.reg_no, "name": g.name, "kana": g.kana, "group_type": g.group_type,
        "is_machizukuri": g.is_machizukuri, "district": g.district, "activity_fields": list(g.activity_fields or []),
        "status": g.status, "status_reason": g.status_reason, "registered_on": g.registered_on,
        "valid_until": g.valid_until, "representative": g.representative, "phone": g.phone,
        "contact_name": g.contact_name, "contact_phone": g.contact_phone, "email": g.email, "address": g.address,
        "meeting_place": g.meeting_place, "members": g.members, "note": g.note,
    }


def _apply(g: MemberGroup, data: GroupInput) -> None:
    g.name, g.kana = data.name.strip(), data.kana.strip()
    g.group_type, g.is_machizukuri = data.group_type, data.is_machizukuri
    g.district = data.district if data.is_machizukuri else ""
    g.activity_fields = list(data.activity_fields)
    g.representative, g.phone = data.representative.strip(), data.phone.strip()
    g.contact_name, g.contact_phone = data.contact_name.strip(), data.contact_phone.strip()
    g.email, g.address, g.meeting_place = data.email.strip(), data.address.strip(), data.meeting_place.strip()
    g.members, g.note = data.members, data.note
    g.declarations = {k: bool(v) for k, v in data.declarations.items()}


def _record_status(session: Session, g: MemberGroup, new: str, reason: str, actor: Actor | None,
                   now: datetime) -> None:
    old = g.status
    g.status = new
    session.add(GroupStatusChange(group_id=g.id, at=now, staff_id=actor.id if actor else None,
                                  old_status=old, new_status=new, reason=reason))


def register_group(session: Session, actor: Actor, data: GroupInput, *, registered_on: date | None = None,
                   reg_no: str | None = None, now: datetime | None = None) -> GroupSummary:
    """Register a group (団体登録) valid to the end of the fiscal year; refused with the reason in Japanese."""
    now = now or local_now()
    validate_registration(data)
    registered_on = registered_on or now.date()
    if reg_no is not None:
        reg_no = reg_no.strip()
        if session.scalar(select(MemberGroup.id).where(MemberGroup.reg_no == reg_no)):
            raise ValidationError(f"登録番号{reg_no}は既に使われています。番号は再利用できません。", field="reg_no")
    g = MemberGroup(reg_no=reg_no or allocate_reg_no(session), created_at=now, created_by=actor.id,
                    status=GroupStatus.ACTIVE.value, registered_on=registered_on,
                    valid_until=validity_end(registered_on))
    _apply(g, data)
    session.add(g)
    session.flush()
    session.add(GroupStatusChange(group_id=g.id, at=now, staff_id=actor.id, old_status=None,
                                  new_status=g.status, reason="新規登録"))
    audit(session, actor, "create", "group", g.id, f"団体「{g.name}」を登録（登録番号{g.reg_no}）",
          after=_snapshot(g), now=now)
    return _summary(g, now.date())


def update_group(session: Session, actor: Actor, group_id: int, data: GroupInput, *,
                 now: datetime | None = None) -> GroupSummary:
    now = now or local_now()
    validate_registration(data)
    g = _get(session, group_id)
    before = _snapshot(g)
    _apply(g, data)
    g.updated_at, g.updated_by = now, actor.id
    session.flush()
    audit(session, actor, "update", "group", g.id, f"団体「{g.name}」の登録内容を変更", before=before,
          after=_snapshot(g), now=now)
    return _summary(g, now.date())


def change_status(session: Session, actor: Actor, group_id: int, new_status: str, reason: str, *,
                  now: datetime | None = None) -> GroupSummary:
    """Suspend (停止), deregister (抹消) or reinstate a group: a manager's decision with a reason."""
    now = now or local_now()
    require_manager(session, actor, "団体の停止・抹消・解除")
    if not reason or not reason.strip():
        raise ValidationError("理由を入力してください。", field="reason")
    target = GroupStatus(new_status)
    g = _get(session, group_id)
    if target == GroupStatus.ACTIVE:
        # Reinstating returns to what the validity date says, never past it.
        target = effective_status(GroupStatus.ACTIVE.value, g.valid_until, now.date())
    if g.status == GroupStatus.DEREGISTERED.value:
        raise ValidationError("抹消した団体は元に戻せません。新しく登録してください（番号は新しくなります）。",
                              field="status")
    before = _snapshot(g)
    _record_status(session, g, target.value, reason.strip(), actor, now)
    g.status_reason = reason.strip() if target in (GroupStatus.SUSPENDED, GroupStatus.DEREGISTERED) else ""
    g.updated_at, g.updated_by = now, actor.id
    audit(session, actor, "status", "group", g.id, f"団体「{g.name}」を{target.label}に（{reason.strip()}）",
          before=before, after=_snapshot(g), now=now)
    return _summary(g, now.date())


def renew_groups(session: Session, actor: Actor, group_ids: list[int], fiscal_year: int, *,
                 now: datetime | None = None) -> int:
    """Renew registrations (年度更新) for a fiscal year: valid to its 31 March again."""
    now = now or local_now()
    end = jcal.fiscal_year_range(fiscal_year)[1]
    renewed = 0
    for gid in group_ids:
        g = _get(session, gid)
        if g.status in (GroupStatus.SUSPENDED.value, GroupStatus.DEREGISTERED.value):
            raise ValidationError(f"「{g.name}」は{GroupStatus(g.status).label}中のため更新できません。",
                                  field="status")
        if g.valid_until is not None and g.valid_until >= end:
            continue  # already renewed: renewing twice changes nothing
        before = _snapshot(g)
        g.valid_until = end
        new = effective_status(GroupStatus.ACTIVE.value, end, now.date()).value
        if new != g.status:
            _record_status(session, g, new, f"{jcal.fiscal_year_label(fiscal_year)}の更新", actor, now)
        g.updated_at, g.updated_by = now, actor.id
        audit(session, actor, "renew", "group", g.id, f"団体「{g.name}」を{jcal.fiscal_year_label(fiscal_year)}に更新",
              before=before, after=_snapshot(g), now=now)
        renewed += 1
    return renewed


def apply_status_changes(session: Session, *, today: date, now: datetime | None = None) -> int:
    """The April (and March) change of status, done by the app itself.

    Idempotent: it only moves groups whose stored status differs from what the validity date says,
    so whichever terminal opens first does the work and the others find nothing to do.
    """
    now = now or local_now()
    candidates = session.scalars(
        select(MemberGroup).where(MemberGroup.status.in_(("active", "renewal_due", "expired")))
    )
    changed = 0
    for g in candidates:
        new = effective_status(g.status, g.valid_until, today).value
        if new != g.status:
            reason = "有効期限切れ（自動）" if new == "expired" else "年度末の更新時期（自動）"
            _record_status(session, g, new, reason, None, now)
            changed += 1
    return changed


def verify_group(session: Session, actor: Actor, group_id: int, *, note: str = "",
                 now: datetime | None = None) -> Verdict:
    """Log that staff checked the group at the counter (確認済み), with what they saw."""
    now = now or local_now()
    g = _get(session, group_id)
    v = verdict(g, now.date())
    session.add(GroupVerification(group_id=g.id, at=now, staff_id=actor.id, status_seen=v.status, note=note))
    audit(session, actor, "verify", "group", g.id, f"団体「{g.name}」を窓口で確認（{v.label}）", now=now)
    return v


# --------------------------------------------------------------------------- reading


def _get(session: Session, group_id: int) -> MemberGroup:
    g = session.get(MemberGroup, group_id)
    if g is None:
        raise NotFound("団体が見つかりません。検索し直してください。")
    return g


def get_group(session: Session, group_id: int) -> MemberGroup:
    """The ORM row, for a service-level caller that needs every field (never kept in a Qt model)."""
    return _get(session, group_id)


def search_groups(session: Session, text: str, *, today: date | None = None, limit: int = 50,
                  include_deregistered: bool = True) -> list[GroupSummary]:
    """Find groups by number, name, kana (any script or width), phone digits or representative.

    One query over stored folded keys (MemberGroup.search_text / phone_digits): fast enough to run
    on every keystroke (5,000 groups in a few milliseconds).
    """
    today = today or local_now().date()
    q = select(MemberGroup)
    key = search_key(text)
    digits = digits_only(text)
    if text and text.strip() and not (key or digits):
        return []  # only separators typed (「_」, 「・」): they are dropped like spaces, never wildcards
    if key or digits:
        conds: list[ColumnElement[bool]] = []
        if key:
            conds.append(matches(text, keyed=[MemberGroup.search_text]))
        if digits and len(digits) >= 3:
            conds.append(MemberGroup.phone_digits.like(f"%{digits}%"))
        if digits and len(digits) <= 6:
            conds.append(MemberGroup.reg_no == digits.zfill(4))
        q = q.where(or_(*conds))
    if not include_deregistered:
        q = q.where(MemberGroup.status != GroupStatus.DEREGISTERED.value)
    rows = list(session.scalars(q.order_by(MemberGroup.kana, MemberGroup.id).limit(limit * 3 if key else limit)))
    if key:
        # Exact number first, then names that start with what was typed, then the rest.
        def rank(g: MemberGroup) -> tuple[int, str]:
            if g.reg_no and digits and g.reg_no == digits.zfill(4):
                return (0, g.kana)
            starts = any(part.startswith(key) for part in g.search_text.split("|"))
            return (1 if starts else 2, g.kana)
        rows.sort(key=rank)
    return [_summary(g, today) for g in rows[:limit]]


def group_by_code(session: Session, code: str) -> MemberGroup | None:
    """The group a scanned member card (or a typed number) names, or None."""
    code = (code or "").strip()
    if code.upper().startswith(CARD_PREFIX):
        code = code[len(CARD_PREFIX):]
    if not code:
        return None
    exact = session.scalars(select(MemberGroup).where(MemberGroup.reg_no == code)).first()
    if exact is not None:
        return exact
    digits = digits_only(code)
    if not digits:
        return None
    return session.scalars(select(MemberGroup).where(MemberGroup.reg_no == digits.zfill(4))).first()


def renewal_list(session: Session, fiscal_year: int, *, today: date | None = None) -> list[GroupSummary]:
    """Groups still to renew for a fiscal year: valid before its end, not suspended or deregistered."""
    today = today or local_now().date()
    end = jcal.fiscal_year_range(fiscal_year)[1]
    rows = session.scalars(
        select(MemberGroup)
        .where(MemberGroup.status.in_(("active", "renewal_due", "expired")),
               or_(MemberGroup.valid_until.is_(None), MemberGroup.valid_until < end))
        .order_by(MemberGroup.reg_no)
    )
    return [_summary(g, today) for g in rows]


@dataclass(frozen=True)
class GroupFigures:
    """Registered groups against the city's target (目標260団体)."""

    registered: int
    new_this_year: int
    lapsed_this_year: int
    target: int


def group_figures(session: Session, *, today: date, target: int) -> GroupFigures:
    start, end = jcal.fiscal_year_range(jcal.fiscal_year(today))
    registered = sum(
        1 for s, v in session.execute(select(MemberGroup.status, MemberGroup.valid_until))
        if effective_status(s, v, today).in_good_standing
    )
    new = session.scalar(select(func.count()).select_from(MemberGroup)
                         .where(MemberGroup.registered_on >= start, MemberGroup.registered_on <= end))
    # Lapsed this year: ran out on the last 31 March and not renewed, or deregistered since April.
    # Judged from the validity date itself, so the figure is right even before the April change ran.
    lapsed_ids = {
        gid for gid, st, v in session.execute(select(MemberGroup.id, MemberGroup.status, MemberGroup.valid_until))
        if v is not None and start - timedelta(days=1) <= v < today
        and effective_status(st, v, today) == GroupStatus.EXPIRED
    }
    lapsed_ids |= set(session.scalars(
        select(GroupStatusChange.group_id).where(GroupStatusChange.new_status == "deregistered",
                                                 GroupStatusChange.at >= datetime.combine(start, time()))
    ))
    lapsed = len(lapsed_ids)
    return GroupFigures(registered, new or 0, lapsed or 0, target)


def group_bookings(session: Session, group_id: int, *, limit: int = 50) -> list[BookingView]:
    """The group's recent and coming bookings, newest first, for the verification panel."""
    rows = session.scalars(select(Booking).where(Booking.group_id == group_id)
                           .order_by(Booking.start_at.desc()).limit(limit))
    return views_for(session, list(rows))
