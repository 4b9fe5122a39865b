"""Staff members' own PostgreSQL logins and the group roles that decide what they may do.

Migration 0009 makes the group roles, the grants and the SECURITY DEFINER functions this module calls;
docs/design.md 「データベースの権限（PostgreSQL のロールと GRANT）」 describes them. On SQLite there are no
logins: :func:`session_staff_id` is None and the services decide from the staff row the Actor names.

A password never reaches the server in plain text: the SCRAM verifier is computed here, on the client
(libpq's ``PQencryptPasswordConn`` through psycopg), and only the verifier is sent, so it cannot appear in
the server's statement log.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from booking_app.domain.errors import NotFound, PermissionDenied, ValidationError

GROUP_ROLES = {"desk": "fukufuku_desk", "manager": "fukufuku_manager", "admin": "fukufuku_admin"}

LOGIN_FIELD = "ログイン名"
_LOGIN_RE = re.compile(r"[a-z0-9_]{3,63}")
_SESSION_STAFF = "fukufuku.session_staff_id"  # session.info key: (transaction, staff id | None)


def is_postgres(session_or_engine: Session | Engine | Connection) -> bool:
    """Whether this session, engine or connection talks to PostgreSQL."""
    if isinstance(session_or_engine, Session):
        bind = session_or_engine.get_bind()
    else:
        bind = session_or_engine
    return bind.dialect.name == "postgresql"


def valid_login_name(value: str) -> str:
    """The login name, stripped, or ValidationError (ログイン名) saying what is wrong and how to fix it."""
    name = (value or "").strip()
    if not name:
        raise ValidationError("ログイン名を入力してください（半角英小文字・数字・_ の3〜63文字）。", field=LOGIN_FIELD)
    if not re.fullmatch(r"[a-z0-9_]*", name):
        raise ValidationError("ログイン名に使えるのは半角の英小文字・数字・_ だけです（大文字・記号・日本語は不可）。",
                              field=LOGIN_FIELD)
    if not _LOGIN_RE.fullmatch(name):
        raise ValidationError(f"ログイン名は3〜63文字にしてください（いまは{len(name)}文字）。", field=LOGIN_FIELD)
    if name.startswith(("pg_", "fukufuku_")):
        raise ValidationError("ログイン名を「pg_」や「fukufuku_」で始めることはできません。別の名前にしてください。",
                              field=LOGIN_FIELD)
    return name


def session_staff_id(session: Session) -> int | None:
    """The staff id whose ``db_login`` is the connection's ``session_user``; None on SQLite or when the
    connection is the owner / maintenance login. One query per transaction (cached in ``session.info``)."""
    if not is_postgres(session):
        return None
    txn = session.get_transaction()
    cached = session.info.get(_SESSION_STAFF)
    if cached is not None and txn is not None and cached[0] is txn:
        cached_id: int | None = cached[1]
        return cached_id
    driver = session.connection().connection.driver_connection
    assert driver is not None  # a connection checked out of the pool has its driver connection
    cur = driver.cursor()
    try:
        cur.execute("SELECT id FROM staff WHERE db_login = session_user::text")
        row = cur.fetchone()
    finally:
        cur.close()
    staff_id = int(row[0]) if row is not None else None
    session.info[_SESSION_STAFF] = (session.get_transaction(), staff_id)
    return staff_id


def remember_session_staff(session: Session, staff_id: int | None) -> None:
    """Cache what another query of this transaction already learnt (``services.common`` reads the session's
    staff row and its id in one query)."""
    session.info[_SESSION_STAFF] = (session.get_transaction(), staff_id)


def scram_verifier(session: Session, login: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password`` for ``login``, computed by libpq on the client."""
    driver = session.connection().connection.driver_connection
    assert driver is not None  # a connection checked out of the pool has its driver connection
    verifier: bytes = driver.pgconn.encrypt_password(password.encode("utf-8"), login.encode("utf-8"),
                                                     b"scram-sha-256")
    return verifier.decode("ascii")


def _server_message(exc: DBAPIError) -> str:
    diag = getattr(exc.orig, "diag", None)
    return (getattr(diag, "message_primary", None) or str(exc.orig)).strip()


def _call(session: Session, sql: str, params: dict[str, object], field: str) -> None:
    """Run one of migration 0009's functions in a savepoint, turning its refusals into domain errors."""
    import psycopg.errors as pge

    try:
        with session.begin_nested():
            session.execute(text(sql), params)
    except DBAPIError as exc:
        orig = exc.orig
        message = _server_message(exc)
        if isinstance(orig, pge.InsufficientPrivilege):
            raise PermissionDenied(f"{message}。システム管理者に依頼してください。") from None
        if isinstance(orig, pge.NoDataFound):
            raise NotFound(f"{message}。一覧を更新してから選び直してください。") from None
        if isinstance(orig, pge.DuplicateObject):
            raise ValidationError(f"{message}。別のログイン名にしてください。", field=field) from None
        if isinstance(orig, pge.InvalidParameterValue):
            raise ValidationError(f"{message}。", field=field) from None
        raise


def _require_postgres(session: Session, what: str) -> None:
    if not is_postgres(session):
        raise ValidationError(f"{what}は PostgreSQL のデータベースでのみ使えます（SQLite では担当者のパスワードで"
                              "ログインします）。", field="データベース")


def create_login(session: Session, staff_id: int, login: str, password: str) -> None:
    """Create ``login`` (SCRAM password, in the group role of the staff row's role) and set
    ``staff.db_login``; an admin login or the owner only (``fukufuku_create_login`` checks it)."""
    _require_postgres(session, "データベースのログイン")
    login = valid_login_name(login)
    verifier = scram_verifier(session, login, password)
    _call(session, "SELECT fukufuku_create_login(:staff_id, :login, :verifier)",
          {"staff_id": staff_id, "login": login, "verifier": verifier}, LOGIN_FIELD)
    session.info.pop(_SESSION_STAFF, None)


def set_login_password(session: Session, login: str, password: str) -> None:
    """Change a staff login's password: an admin, or the login itself."""
    _require_postgres(session, "データベースのパスワード変更")
    login = valid_login_name(login)
    verifier = scram_verifier(session, login, password)
    _call(session, "SELECT fukufuku_set_login_password(:login, :verifier)",
          {"login": login, "verifier": verifier}, "パスワード")
