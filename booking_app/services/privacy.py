"""Personal data lifecycle (個人情報の取扱い): how long it is kept and how it is erased.

* :class:`PrivacySettings` (``centre_settings`` key ``"privacy"``): ``retention_years`` — a group's personal
  data is due for erasure that many years after its 抹消 or its last booking / visit / enrolment;
  ``backup_retention_days`` — automatic backups older than this are deleted (store/backup.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Unpack

from sqlalchemy import Text, cast, func, or_, select, text, update
from sqlalchemy.engine import CursorResult, Result, Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from booking_app.domain.errors import NotFound, PermissionDenied, RuleError, ValidationError
from booking_app.domain.groups import effective_status
from booking_app.services.common import Actor, audit, current_staff, local_now, require_manager
from booking_app.store import audit_chain
from booking_app.store.db_roles import is_postgres
from booking_app.services.settings_store import put_value
from booking_app.store.models import (
    AccidentReport,
    AuditEntry,
    Booking,
    CentreSetting,
    Charge,
    GroupStatusChange,
    GroupVerification,
    InsuranceEnrolment,
    InsuredPerson,
    LotteryEntry,
    MemberGroup,
    PrintingLog,
)

PRIVACY_KEY = "privacy"
RETENTION_YEARS_RANGE = (1, 30)
BACKUP_DAYS_RANGE = (7, 3650)


@dataclass(frozen=True)
class PrivacySettings:
    """How long personal data is kept (years after 抹消 or last use) and automatic backups (days)."""

    retention_years: int = 5
    backup_retention_days: int = 90


def get_privacy_settings(session: Session) -> PrivacySettings:
    """The centre's settings, or the defaults (5 years, 90 days) when never saved."""
    row = session.get(CentreSetting, PRIVACY_KEY)
    value = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    default = PrivacySettings()
    try:
        years = int(value.get("retention_years", default.retention_years))
        days = int(value.get("backup_retention_days", default.backup_retention_days))
    except (TypeError, ValueError):
        return default
    return PrivacySettings(retention_years=years, backup_retention_days=days)


def _check(settings: PrivacySettings) -> None:
    lo, hi = RETENTION_YEARS_RANGE
    if not isinstance(settings.retention_years, int) or not lo <= settings.retention_years <= hi:
        raise ValidationError(f"個人情報の保存期間は{lo}〜{hi}年の整数で入力してください"
                              f"（いまは{settings.retention_years}）。", field="retention_years")
    lo, hi = BACKUP_DAYS_RANGE
    if not isinstance(settings.backup_retention_days, int) or not lo <= settings.backup_retention_days <= hi:
        raise ValidationError(f"自動バックアップの保存日数は{lo}〜{hi}日の整数で入力してください"
                              f"（いまは{settings.backup_retention_days}）。", field="backup_retention_days")


def save_privacy_settings(session: Session, actor: Actor, settings: PrivacySettings, *,
                          now: datetime | None = None) -> PrivacySettings:
    """Store the settings (管理者 only), audited with before and after."""
    require_manager(session, actor, "個人情報の保存期間の設定")
    _check(settings)
    now = now or local_now()
    value = asdict(settings)
    before = put_value(session, PRIVACY_KEY, value, by=actor.id, now=now)
    audit(session, actor, "update", "settings", None,
          f"個人情報の保存期間を設定（{settings.retention_years}年、自動バックアップ{settings.backup_retention_days}日）",
          before=before, after=value, now=now)
    return settings


# --------------------------------------------------------------------------- due for erasure

MARKER = "（匿名化済み）"
REDACTED = "＊＊＊"
REQUEST_WORD = "本人"  # a reason naming the person's own request (本人の請求・申出) allows 匿名化 at any time


def add_years(d: date, years: int) -> date:
    """The same day ``years`` later (29 February → 28 February)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


@dataclass(frozen=True)
class DueGroup:
    """A group whose personal data has passed the retention period (保存期間を過ぎた団体)."""

    id: int
    reg_no: str | None
    name: str
    status: str
    kind: str  # "deregistered" (抹消から) | "unused" (最終利用から)
    since: date  # the day of 抹消, or of the last booking / visit / enrolment / registration
    due_on: date  # since + retention_years

    @property
    def reason(self) -> str:
        if self.kind == "deregistered":
            return f"抹消（{self.since:%Y/%m/%d}）から保存期間を過ぎています"
        return f"最終利用（{self.since:%Y/%m/%d}）から保存期間を過ぎています"


def _rowcount(result: Result[Unpack[tuple[Any, ...]]]) -> int:
    """The rows an UPDATE changed (its result is a CursorResult)."""
    assert isinstance(result, CursorResult)
    return result.rowcount or 0


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _group_dates(session: Session, group_ids: list[int] | None = None) -> dict[int, tuple[MemberGroup, date | None,
                                                                                              date]]:
    """group id → (group, day of 抹消 or None, day of last use)."""
    q = select(MemberGroup).where(MemberGroup.anonymised_at.is_(None))
    if group_ids is not None:
        q = q.where(MemberGroup.id.in_(group_ids))
    groups = list(session.scalars(q.order_by(MemberGroup.id)))
    ids = [g.id for g in groups]
    if not ids:
        return {}
    last: dict[int, date] = {}

    def bump(rows: Iterable[Row[int | None, Any]]) -> None:
        for gid, value in rows:
            d = _as_date(value)
            if gid is not None and d is not None and (gid not in last or d > last[gid]):
                last[gid] = d

    bump(session.execute(select(Booking.group_id, func.max(Booking.start_at))
                         .where(Booking.group_id.in_(ids)).group_by(Booking.group_id)))
    bump(session.execute(select(GroupVerification.group_id, func.max(GroupVerification.at))
                         .where(GroupVerification.group_id.in_(ids)).group_by(GroupVerification.group_id)))
    bump(session.execute(select(InsuranceEnrolment.group_id, func.max(InsuranceEnrolment.cover_end))
                         .where(InsuranceEnrolment.group_id.in_(ids)).group_by(InsuranceEnrolment.group_id)))
    dereg: dict[int, date] = {}
    for gid, value in session.execute(
            select(GroupStatusChange.group_id, func.max(GroupStatusChange.at))
            .where(GroupStatusChange.group_id.in_(ids), GroupStatusChange.new_status == "deregistered")
            .group_by(GroupStatusChange.group_id)):
        d = _as_date(value)
        if d is not None:
            dereg[gid] = d
    out = {}
    for g in groups:
        used = [d for d in (last.get(g.id), g.registered_on, _as_date(g.created_at), _as_date(g.updated_at)) if d]
        gone = dereg.get(g.id) or (_as_date(g.updated_at or g.created_at) if g.status == "deregistered" else None)
        out[g.id] = (g, gone, max(used))
    return out


def _due(g: MemberGroup, gone: date | None, last_use: date, years: int, today: date) -> DueGroup | None:
    status = effective_status(g.status, g.valid_until, today).value  # what the groups page shows (期限切れ …)
    if gone is not None and add_years(gone, years) <= today:
        return DueGroup(g.id, g.reg_no, g.name, status, "deregistered", gone, add_years(gone, years))
    if add_years(last_use, years) <= today:
        return DueGroup(g.id, g.reg_no, g.name, status, "unused", last_use, add_years(last_use, years))
    return None


def groups_due_for_erasure(session: Session, today: date) -> list[DueGroup]:
    """Groups not yet anonymised whose 抹消 is more than ``retention_years`` ago, or that have had no
    booking, counter visit (確認記録), insurance cover or registration change for ``retention_years``;
    oldest first."""
    years = get_privacy_settings(session).retention_years
    found = [d for g, gone, used in _group_dates(session).values() if (d := _due(g, gone, used, years, today))]
    return sorted(found, key=lambda d: (d.due_on, d.id))


# --------------------------------------------------------------------------- 匿名化

# Keys of the services' snapshots that hold a person's data: replaced wholesale in the audit rows about
# the group, its bookings, enrolments, accident reports and printing-machine uses.
PERSONAL_KEYS = frozenset({
    "representative", "phone", "contact_name", "contact_phone", "email", "address", "meeting_place", "note",
    "booker_name", "names", "person_name", "reporter_name", "reporter_phone", "witnesses", "injury",
    "description", "damage", "user_name", "holder_name", "status_reason", "removed_reason",
})
# Values that name or reach a person: also searched in every other audit row (3 characters or more).
IDENTIFYING_MIN = 3
FREE_TEXT_MIN = 2
SCAN_BATCH = 20000  # audit rows read at a time when looking for the erased values


@dataclass(frozen=True)
class AnonymiseResult:
    group_id: int
    audit_id: int  # the 匿名化 row
    fields: int  # personal fields replaced in the tables
    redacted_rows: int  # earlier audit rows whose values were erased


@dataclass
class _Values:
    identifying: set[str]
    free_text: set[str]
    keep: set[str]  # the group's name (an organisation's name is not personal data)

    def add(self, value: object, *, identifying: bool) -> None:
        if isinstance(value, list):
            for v in value:
                self.add(v, identifying=identifying)
            return
        if not isinstance(value, str):
            return
        v = value.strip()
        if not v or v in (MARKER, REDACTED) or v in self.keep:
            return
        if identifying and len(v) >= IDENTIFYING_MIN:
            self.identifying.add(v)
        elif len(v) >= FREE_TEXT_MIN:
            self.free_text.add(v)

    def all(self) -> list[str]:
        return sorted(self.identifying | self.free_text, key=len, reverse=True)


IDENTIFYING_KEYS = frozenset({"representative", "phone", "contact_name", "contact_phone", "email", "address",
                              "booker_name", "names", "person_name", "reporter_name", "reporter_phone",
                              "witnesses", "user_name", "holder_name"})


def _scrub_text(text: str, values: list[str]) -> str:
    for v in values:
        if v in text:
            text = text.replace(v, REDACTED)
    return text


def _scrub(value: Any, values: list[str], *, related: bool, key: str = "") -> Any:  # a JSON value
    if isinstance(value, dict):
        return {k: _scrub(v, values, related=related, key=str(k)) for k, v in value.items()}
    if isinstance(value, list):
        if related and key in PERSONAL_KEYS:
            return [REDACTED if isinstance(v, str) and v.strip() else v for v in value]
        return [_scrub(v, values, related=related) for v in value]
    if isinstance(value, str):
        if related and key in PERSONAL_KEYS and value.strip() and value.strip() not in (MARKER, REDACTED):
            return REDACTED
        return _scrub_text(value, values)
    return value


def _collect(value: Any, vals: _Values, key: str = "") -> None:
    """The values under personal keys of an audit snapshot (old addresses and phones too)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _collect(v, vals, str(k))
    elif isinstance(value, list):
        if key in PERSONAL_KEYS:
            vals.add(value, identifying=key in IDENTIFYING_KEYS)
        else:
            for v in value:
                _collect(v, vals)
    elif key in PERSONAL_KEYS:
        vals.add(value, identifying=key in IDENTIFYING_KEYS)


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _load(text_value: str | None) -> Any:  # a JSON value
    return None if text_value is None else json.loads(text_value)


def anonymise_group(session: Session, actor: Actor, group_id: int, *, reason: str, today: date,
                    now: datetime | None = None) -> AnonymiseResult:
    """Replace the personal data of a group and its people with 「（匿名化済み）」 and erase it from the
    audit trail (管理者 only; one transaction).

    Allowed when the group is past the retention period (:func:`groups_due_for_erasure`), or at any time
    when the reason says it is the person's own request (the word 「本人」, e.g. 「本人の請求」). Kept:
    the group's name and registration number (an organisation's name is not personal data), status and
    dates, activity fields, counts, amounts, and every booking's room, times and numbers, so statistics,
    money and insurance totals do not change. Receipts keep their 宛名 (tax law: 7 years).
    """
    what = "個人情報の匿名化"
    require_manager(session, actor, what)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("匿名化の理由を入力してください（例：保存期間の経過、本人の請求）。", field="reason")
    # Locked (PostgreSQL): an edit of the group from another terminal waits, so its audit row cannot slip in
    # between the search of the trail and the commit (SQLite's BEGIN IMMEDIATE already serialises writers).
    g = session.get(MemberGroup, group_id, with_for_update=is_postgres(session) or None)
    if g is None:
        raise NotFound("団体が見つかりません。一覧を更新してから選び直してください。")
    if g.anonymised_at is not None:
        raise RuleError(f"団体「{g.name}」は{g.anonymised_at:%Y/%m/%d}に匿名化済みです。もう一度匿名化する必要はありません。")
    years = get_privacy_settings(session).retention_years
    dates = _group_dates(session, [g.id]).get(g.id)
    due = _due(g, dates[1], dates[2], years, today) if dates else None
    if due is None and REQUEST_WORD not in reason:
        last = dates[2] if dates else today
        raise RuleError(f"団体「{g.name}」はまだ保存期間（{years}年）を過ぎていません（最終利用 {last:%Y/%m/%d}）。"
                        "保存期間内に匿名化できるのは本人からの請求がある場合だけです。その場合は理由に"
                        "「本人の請求」と書いてください。")
    now = now or local_now()
    vals = _Values(set(), set(), {g.name.strip()} if g.name else set())

    # ------------------------------------------------ the rows that hold the group's people
    booking_ids = list(session.scalars(select(Booking.id).where(Booking.group_id == g.id)))
    enrolments = list(session.scalars(select(InsuranceEnrolment).where(InsuranceEnrolment.group_id == g.id)))
    enrolment_ids = [e.id for e in enrolments]
    people = list(session.scalars(select(InsuredPerson).where(InsuredPerson.enrolment_id.in_(enrolment_ids)))) \
        if enrolment_ids else []
    accident_q = select(AccidentReport).where(AccidentReport.group_id == g.id)
    if enrolment_ids:
        accident_q = select(AccidentReport).where(or_(AccidentReport.group_id == g.id,
                                                      AccidentReport.enrolment_id.in_(enrolment_ids)))
    accidents = list(session.scalars(accident_q))
    printing = list(session.scalars(select(PrintingLog).where(PrintingLog.group_id == g.id)))
    verifications = list(session.scalars(select(GroupVerification).where(GroupVerification.group_id == g.id)))
    history = list(session.scalars(select(GroupStatusChange).where(GroupStatusChange.group_id == g.id)))
    # 抽選の申込 (issue 18): the 備考 may name the group's people; its rank, slots and result stay (the draw's replay).
    lottery = list(session.scalars(select(LotteryEntry).where(LotteryEntry.group_id == g.id)))

    # ------------------------------------------------ the audit rows about them
    related_keys = [("group", g.id), ("member_group", g.id)]
    related_keys += [("booking", i) for i in booking_ids]
    related_keys += [("insurance_enrolment", i) for i in enrolment_ids]
    related_keys += [("accident_report", r.id) for r in accidents]
    related_keys += [("printing_log", p.id) for p in printing]
    related_keys += [("lottery_entry", le.id) for le in lottery]
    cols = (AuditEntry.id, AuditEntry.prev_hash, AuditEntry.at, AuditEntry.staff_id, AuditEntry.action,
            AuditEntry.entity, AuditEntry.entity_id, AuditEntry.summary, cast(AuditEntry.before, Text),
            cast(AuditEntry.after, Text), AuditEntry.row_hash, AuditEntry.redacted_in)
    related: dict[int, tuple[Any, ...]] = {}
    by_entity: dict[str, list[int]] = {}
    for entity, eid in related_keys:
        by_entity.setdefault(entity, []).append(eid)
    for entity, eids in by_entity.items():
        for start in range(0, len(eids), 500):
            for row in session.execute(select(*cols).where(AuditEntry.entity == entity,
                                                           AuditEntry.entity_id.in_(eids[start:start + 500]))):
                related[row[0]] = row

    # ------------------------------------------------ the values to erase (today's and the snapshots' older ones)
    for f in ("representative", "phone", "contact_name", "contact_phone", "email", "address"):
        vals.add(getattr(g, f), identifying=True)
    for f in ("meeting_place", "note", "status_reason"):
        vals.add(getattr(g, f), identifying=False)
    for rel in related.values():
        for text_value in (rel[8], rel[9]):
            _collect(_load(text_value), vals)
    for b_name, b_phone, b_note in session.execute(
            select(Booking.booker_name, Booking.contact_phone, Booking.note).where(Booking.group_id == g.id)):
        vals.add(b_name, identifying=True)
        vals.add(b_phone, identifying=True)
        vals.add(b_note, identifying=False)
    for p in people:
        vals.add(p.name, identifying=True)
        vals.add(p.kana, identifying=True)
        vals.add(p.removed_reason, identifying=False)
    for e in enrolments:
        vals.add(e.holder_name, identifying=True)
        vals.add(e.note, identifying=False)
    for r in accidents:
        for f in ("person_name", "reporter_name", "reporter_phone", "witnesses"):
            vals.add(getattr(r, f), identifying=True)
        for f in ("description", "injury", "damage"):
            vals.add(getattr(r, f), identifying=False)
    for log in printing:
        vals.add(log.user_name, identifying=True)
    for v in verifications:
        vals.add(v.note, identifying=False)
    for le in lottery:
        vals.add(le.note, identifying=False)
    for h in history:
        if h.reason != "新規登録":
            vals.add(h.reason, identifying=False)
    values = vals.all()

    # ------------------------------------------------ replace the fields in the tables
    fields = 0

    def blank(obj: object, name: str, *, keep_name: bool = False) -> None:
        nonlocal fields
        current = getattr(obj, name)
        if current and current.strip() and current != MARKER and not (keep_name and current.strip() in vals.keep):
            setattr(obj, name, MARKER)
            fields += 1

    for f in ("representative", "phone", "contact_name", "contact_phone", "email", "address", "meeting_place",
              "note", "status_reason"):
        blank(g, f)
    g.anonymised_at, g.anonymised_by = now, actor.id
    for p in people:
        blank(p, "name")
        blank(p, "kana")
        blank(p, "removed_reason")
        p.search_text = ""
    for e in enrolments:
        blank(e, "holder_name", keep_name=True)
        blank(e, "note")
    for r in accidents:
        for f in ("person_name", "reporter_name", "reporter_phone", "witnesses", "description", "injury", "damage"):
            blank(r, f)
    for log in printing:
        blank(log, "user_name", keep_name=True)
    for v in verifications:
        blank(v, "note")
    for le in lottery:
        blank(le, "note")
    for h in history:
        if h.reason != "新規登録":
            blank(h, "reason")
    if booking_ids:
        for start in range(0, len(booking_ids), 500):
            chunk = booking_ids[start:start + 500]
            for col in (Booking.booker_name, Booking.contact_phone, Booking.note):
                q = (update(Booking).where(Booking.id.in_(chunk), col != "", col != MARKER)
                     .values({col.key: MARKER, "version": Booking.version + 1})
                     .execution_options(synchronize_session=False))
                if col is Booking.booker_name and vals.keep:
                    q = q.where(col.notin_(list(vals.keep)))
                fields += _rowcount(session.execute(q))
    # Charges not yet paid carry the booker's name too; paid ones belong to their receipt (kept 7 years).
    identifying = sorted(vals.identifying)
    if identifying:
        owners = [Charge.group_id == g.id]
        if booking_ids:
            owners.append(Charge.booking_id.in_(booking_ids))
        if enrolment_ids:
            owners.append(Charge.enrolment_id.in_(enrolment_ids))
        fields += _rowcount(session.execute(
            update(Charge).where(or_(*owners), Charge.status != "paid", Charge.payer_name.in_(identifying))
            .values(payer_name=MARKER).execution_options(synchronize_session=False)))
    session.flush()

    # ------------------------------------------------ the audit rows to erase
    redactions: list[tuple[Any, ...]] = []  # (row, new summary, new before text, new after text)

    # Another row (not about the group) loses only the identifying values, never a common word of a note.
    identifying_values = sorted(vals.identifying, key=len, reverse=True)

    def plan(row: tuple[Any, ...], is_related: bool) -> None:
        use = values if is_related else identifying_values
        summary = _scrub_text(row[7] or "", use)
        before = _json_text(_scrub(_load(row[8]), use, related=is_related)) if row[8] is not None else None
        after = _json_text(_scrub(_load(row[9]), use, related=is_related)) if row[9] is not None else None
        changed = (summary != (row[7] or "") or (before is not None and _load(before) != _load(row[8]))
                   or (after is not None and _load(after) != _load(row[9])))
        if changed:
            redactions.append((row, summary, before if before is not None else row[8],
                               after if after is not None else row[9]))

    for rel in sorted(related.values(), key=lambda r: r[0]):
        plan(rel, True)
    # Any other row naming one of the identifying values (a search in SQL first: JSON keeps non-ASCII
    # as \\u escapes, so both spellings are looked for).
    if vals.identifying:
        # One pass over the trail in id order, the texts matched in Python by one regular expression (both
        # spellings of each value: JSON keeps non-ASCII as \\u escapes). Measured on SQLite with 200,000
        # audit rows on the shared 2-core machine (load ~5): a SQL LIKE / instr filter with ~40 needles took
        # 4.5–7.3 s, this 2.0–2.2 s.
        needles = sorted({n for v in vals.identifying for n in (v, json.dumps(v)[1:-1])}, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(n) for n in needles))
        planned = {r[0][0] for r in redactions}
        found: list[int] = []
        last_id = 0
        texts = select(AuditEntry.id, AuditEntry.summary, cast(AuditEntry.before, Text),
                       cast(AuditEntry.after, Text)).order_by(AuditEntry.id)
        conn = session.connection()  # Core rows: no ORM loading for 200,000 tuples
        while True:
            batch = conn.execute(texts.where(AuditEntry.id > last_id).limit(SCAN_BATCH)).all()
            for id_, summary, before, after in batch:
                if pattern.search(f"{summary}\n{before}\n{after}") and id_ not in related and id_ not in planned:
                    found.append(id_)
            if len(batch) < SCAN_BATCH:
                break
            last_id = batch[-1][0]
        for start in range(0, len(found), 500):
            for row in session.execute(select(*cols).where(AuditEntry.id.in_(found[start:start + 500]))):
                plan(row, False)

    entries = []
    for row, summary, before, after in sorted(redactions, key=lambda r: r[0][0]):
        id_, prev_hash, at, staff_id, action, entity, entity_id = row[:7]
        entries.append({
            "id": id_, "row_hash": row[10], "at": audit_chain.at_text(at), "staff_id": staff_id, "action": action,
            "entity": entity, "entity_id": entity_id,
            "redacted_hash": audit_chain.row_hash(prev_hash, id_, at, staff_id, action, entity, entity_id,
                                                  summary, before, after),
        })
    shown_reason = _scrub_text(reason, values)
    label = f"団体「{g.name}」" + (f"（登録番号{g.reg_no}）" if g.reg_no else "")
    entry = AuditEntry(at=now, staff_id=actor.id, action="anonymise", entity="member_group", entity_id=g.id,
                       summary=f"{label}の個人情報を匿名化（{shown_reason}）：項目{fields}件、操作履歴{len(entries)}件を消去",
                       before=None, after={"rows": entries, "reason": shown_reason, "fields": fields})
    current_staff(session, actor)
    session.add(entry)
    session.flush()
    audit_id = entry.id
    if entries:
        _redact(session, audit_id, redactions)
    return AnonymiseResult(g.id, audit_id, fields, len(entries))


def _redact(session: Session, audit_id: int, redactions: list[tuple[Any, ...]]) -> None:
    """Write the erased texts: PostgreSQL through ``fukufuku_redact_audit`` (migration 0010), SQLite with an
    UPDATE its trigger allows once per row."""
    ordered = sorted(redactions, key=lambda r: r[0][0])
    if is_postgres(session):
        import psycopg.errors as pge

        try:
            with session.begin_nested():
                session.execute(
                    text("SELECT fukufuku_redact_audit(:rid, CAST(:ids AS bigint[]), CAST(:s AS text[]), "
                         "CAST(:b AS text[]), CAST(:a AS text[]))"),
                    {"rid": audit_id, "ids": [r[0][0] for r in ordered], "s": [r[1] for r in ordered],
                     "b": [r[2] for r in ordered], "a": [r[3] for r in ordered]})
        except DBAPIError as exc:
            if isinstance(exc.orig, pge.InsufficientPrivilege):
                diag = getattr(exc.orig, "diag", None)
                message = (getattr(diag, "message_primary", None) or str(exc.orig)).strip()
                raise PermissionDenied(f"{message}。管理者に依頼してください。") from None
            raise
        return
    for row, summary, before, after in ordered:
        session.execute(text("UPDATE audit_log SET summary = :s, before = :b, after = :a, redacted_in = :rid "
                             "WHERE id = :id"),
                        {"s": summary, "b": before, "a": after, "rid": audit_id, "id": row[0]})
