"""What every service shares: the acting staff member, the clock, and the audit trail.

Who may do what is decided from the database, not from the ``Actor`` a caller passes in:
:func:`current_staff` re-reads the staff row named by ``actor.id`` (its name, role and active flag) once per
transaction, and every permission check (:func:`require_manager`, :func:`require_admin`,
:func:`is_manager`) and every audit entry (:func:`audit`, which every write makes) go through it. So a
forged ``Actor(desk.id, …, "admin")`` is refused, a role change or a deactivation takes effect on that
person's next write, and a refusal is itself recorded (action ``denied``) under the real staff member.

On PostgreSQL a staff member signs in with their own database login (store/db_roles.py): when the
connection's ``session_user`` is a staff login, THAT staff row is the actor, whatever ``actor.id`` says (an
Actor naming someone else is refused and recorded under the real login's staff), and the audit trigger
writes that staff id into every entry. The same single query per transaction reads both rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from booking_app import clock
from booking_app.domain.errors import PermissionDenied
from booking_app.domain.roles import role_at_least, role_label
from booking_app.store import db_roles
from booking_app.store.models import AuditEntry

JST = clock.JST


def local_now() -> datetime:
    """Japan time without a zone, as every timestamp in the database is stored: the app's one clock
    (``booking_app.clock``), which the tests, ``--today`` and ``--now`` can set."""
    return clock.now()


@dataclass(frozen=True)
class Actor:
    """The staff member on duty (担当者) who makes a change."""

    id: int
    name: str
    role: str = "desk"  # desk 受付 | manager 管理者 | admin システム管理

    @property
    def is_manager(self) -> bool:
        return self.role in ("manager", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class _OnRecord:
    """The staff row as this transaction read it."""

    name: str
    role: str
    active: bool


_STAFF_ROW_SQL = "SELECT name, role, active FROM staff WHERE id = ?"
_STAFF_CACHE = "fukufuku.staff_on_record"  # session.info key: (transaction, {staff id: _OnRecord | None})
MSG_NO_STAFF = "担当者が見つかりません。ログインし直してください。"


def _on_record(session: Session, staff_id: int) -> _OnRecord | None:
    """One primary-key read per staff member and transaction (cached in ``session.info`` for the rest of
    the transaction; a new transaction, as every ``write_session`` is, reads again)."""
    txn = session.get_transaction()
    cached = session.info.get(_STAFF_CACHE)
    rows: dict[int, _OnRecord | None] = cached[1] if cached is not None and txn is not None and cached[0] is txn else {}
    if staff_id not in rows:
        if session.get_bind().dialect.name == "postgresql":
            found, session_id = _read_staff_rows_pg(session, staff_id)
            db_roles.remember_session_staff(session, session_id)
            rows = {**rows, staff_id: None, **found}
        else:
            row = _read_staff_row(session, staff_id)
            rows = {**rows, staff_id: _OnRecord(row[0], row[1], bool(row[2])) if row is not None else None}
        session.info[_STAFF_CACHE] = (session.get_transaction(), rows)
    return rows[staff_id]


_STAFF_ROWS_PG_SQL = ("SELECT id, name, role, active, db_login IS NOT DISTINCT FROM session_user::text FROM staff "
                      "WHERE id = %s OR db_login = session_user::text")


def _read_staff_rows_pg(session: Session, staff_id: int) -> tuple[dict[int, _OnRecord], int | None]:
    """PostgreSQL: the row of ``staff_id`` and the row of the connection's own staff login (if it is one),
    in one query; returns the rows by id and the session's staff id (None for a non-staff login)."""
    driver = session.connection().connection.driver_connection
    assert driver is not None  # a checked-out connection has its driver connection
    cur = driver.cursor()
    try:
        cur.execute(_STAFF_ROWS_PG_SQL, (staff_id,))
        found = cur.fetchall()
    finally:
        cur.close()
    rows = {int(r[0]): _OnRecord(r[1], r[2], bool(r[3])) for r in found}
    session_id = next((int(r[0]) for r in found if r[4]), None)
    return rows, session_id


def _read_staff_row(session: Session, staff_id: int) -> tuple[str, str, bool] | None:
    """The row, on the session's own connection and transaction, straight on the driver's cursor.

    Not through ``session.execute``: that costs ~0.3 ms on SQLite (7 µs this way; bench/bench_staff_check.py),
    more than the SQLite booking save's speed target leaves room for, and it would flush the caller's
    pending rows, whose errors belong to the caller's own flush (e.g. the double-booking guard's).
    """
    conn = session.connection()
    sql = _STAFF_ROW_SQL.replace("?", "%s") if conn.dialect.name == "postgresql" else _STAFF_ROW_SQL
    driver = conn.connection.driver_connection
    assert driver is not None  # a checked-out connection has its driver connection
    cur = driver.cursor()
    try:
        cur.execute(sql, (staff_id,))
        row: tuple[str, str, bool] | None = cur.fetchone()
        return row
    finally:
        cur.close()


def current_staff(session: Session, actor: Actor, what: str = "この操作") -> Actor:
    """The staff member ``actor`` names, as the database holds them now: the only source of a role.

    Refuses (PermissionDenied, recorded) an id with no staff row or a deactivated account; the role the
    caller claims is never used for a decision, only reported in a refusal's audit entry.
    """
    row = _on_record(session, actor.id)
    signed_in = db_roles.session_staff_id(session)  # cached by the read above on PostgreSQL; None on SQLite
    if signed_in is not None and signed_in != actor.id:
        raise _deny_forged(session, actor, signed_in, what)
    if row is None:
        raise PermissionDenied(MSG_NO_STAFF)  # nobody to record it under (the audit names a staff row)
    real = Actor(actor.id, row.name, row.role)
    if not row.active:
        raise deny(session, actor, what, f"担当者「{row.name}」のアカウントは無効になっているため、{what}はできません。"
                                         "システム管理者に確認してください。")
    return real


def _require(session: Session, actor: Actor, minimum: str, what: str, message: str) -> Actor:
    real = current_staff(session, actor, what)
    if not role_at_least(real.role, minimum):
        raise deny(session, actor, what, message)
    return real


def require_manager(session: Session, actor: Actor, what: str) -> Actor:
    """Refuse unless the staff member is, according to the database now, 管理者 or システム管理.
    Returns the staff member as recorded (use it, not ``actor``, for anything that depends on the role)."""
    return _require(session, actor, "manager", what, f"{what}は管理者のみ行えます。管理者に依頼してください。")


def require_admin(session: Session, actor: Actor, what: str) -> Actor:
    """Refuse unless the staff member is システム管理 according to the database now."""
    return _require(session, actor, "admin", what,
                    f"{what}はシステム管理者のみ行えます。システム管理者に依頼してください。")


def is_manager(session: Session, actor: Actor) -> bool:
    """Whether the staff member is a manager now (for decisions such as a rule override that are not
    refusals by themselves); an inactive or unknown staff member is refused here already."""
    return role_at_least(current_staff(session, actor).role, "manager")


def deny(session: Session, actor: Actor, what: str, message: str) -> PermissionDenied:
    """A PermissionDenied whose refusal is recorded in the audit trail once the refused transaction has
    rolled back (``store.engine.write_session`` runs ``after_rollback`` in a transaction of its own):
    action ``denied``, under the staff row of ``actor.id`` with its real name and role, and the role the
    caller claimed if it differs (a forged or out-of-date ``Actor``)."""
    row = _on_record(session, actor.id)
    exc = PermissionDenied(message)
    if row is None:
        return exc
    claimed = "" if actor.role == row.role else f"、端末の申告した権限：{role_label(actor.role)}"
    state = "" if row.active else "、無効なアカウント"
    summary = f"「{row.name}」（{role_label(row.role)}{state}）の{what}を拒否{claimed}"
    detail = {"what": what, "role": row.role, "active": row.active, "claimed_role": actor.role,
              "claimed_name": actor.name}
    at = local_now()

    def record(new_session: Session) -> None:
        _append(new_session, actor.id, "denied", "staff", actor.id, summary, after=detail, at=at)

    exc.after_rollback = [*getattr(exc, "after_rollback", ()), record]
    return exc


def _deny_forged(session: Session, actor: Actor, signed_in: int, what: str) -> PermissionDenied:
    """PostgreSQL: the terminal names a staff member other than the database login it is signed in with.
    Refused, and recorded under the login's own staff row (the audit trigger would put it there anyway)."""
    real = _on_record(session, signed_in)
    real_name = real.name if real is not None else f"ID {signed_in}"
    real_role = role_label(real.role) if real is not None else "不明"
    claimed = f"ID {actor.id}「{actor.name}」（{role_label(actor.role)}）"
    exc = PermissionDenied(f"この端末は担当者「{real_name}」のログインで接続しているため、{claimed}として{what}は"
                           "できません。ご自身のログインで操作するか、ログインし直してください。")
    summary = f"「{real_name}」（{real_role}）のログインで{claimed}として行おうとした{what}を拒否"
    detail = {"what": what, "role": real.role if real is not None else None, "claimed_id": actor.id,
              "claimed_role": actor.role, "claimed_name": actor.name}
    at = local_now()

    def record(new_session: Session) -> None:
        _append(new_session, signed_in, "denied", "staff", signed_in, summary, after=detail, at=at)

    exc.after_rollback = [*getattr(exc, "after_rollback", ()), record]
    return exc


def precheck_manager(actor: Actor, what: str) -> None:
    """The UI's early answer on the role the terminal believes (to spare staff a file dialog they cannot
    use); never a guard: the service called afterwards decides with :func:`require_manager`."""
    if not actor.is_manager:
        raise PermissionDenied(f"{what}は管理者のみ行えます。管理者に依頼してください。")


def jsonable(value: Any) -> Any:
    """Turn a snapshot into JSON-storable values for the audit trail."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    summary: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Record one change in the audit trail, inside the caller's transaction.

    Every write records one, so this is also where a write by a deactivated (or unknown) staff member is
    refused: the author is checked against the staff row (:func:`current_staff`, cached per transaction).
    """
    current_staff(session, actor)
    _append(session, actor.id, action, entity, entity_id, summary, before=before, after=after, at=now)


def _append(
    session: Session,
    staff_id: int,
    action: str,
    entity: str,
    entity_id: int | None,
    summary: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=at or local_now(),
            staff_id=staff_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            summary=summary,
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
        )
    )
