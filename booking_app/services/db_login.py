"""Signing in with a staff member's own PostgreSQL login, and creating such logins.

A terminal holds no database password: each staff member types their own login and password, and the
connection made with them is the one every service of theirs runs on, so the server knows who acts
(store/db_roles.py, migration 0009). :func:`sign_in` turns libpq's English refusals into one Japanese
message per cause.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from booking_app.domain.errors import DbLoginError as DbLoginError  # re-export: its old home
from booking_app.domain.errors import NotFound
from booking_app.domain.roles import role_label
from booking_app.services import auth
from booking_app.services.auth import check_password_rules
from booking_app.services.common import Actor, audit, require_admin
from booking_app.store import db_roles
from booking_app.store.engine import PgTimeouts, make_engine
from booking_app.store.models import Staff

CONNECT_TIMEOUT_S = 10

MSG_WRONG_PASSWORD = ("ログイン名またはパスワードが違います。入力し直してください（大文字・小文字、"
                      "全角・半角も区別されます）。")
MSG_DISABLED = ("ログイン「{login}」は無効になっています。システム管理者にアカウントの有効化を依頼してください。")
MSG_NOT_STAFF = ("ログイン「{login}」はこのデータベースの担当者に結び付いていません。システム管理者に、"
                 "担当者のログインとして作成してもらってください。")
MSG_UNREACHABLE = ("データベースサーバーに接続できません（{where}）。サーバーが動いているか、接続設定の"
                   "サーバー名・ポートとネットワークを確認してください。")
MSG_TLS = ("データベースサーバーとの暗号化（TLS）に失敗しました：{detail}。接続設定の証明書（CA）ファイルと"
           "サーバー名を確認し、わからなければ市の情報担当に確認してください。")
MSG_NOT_ALLOWED = ("この端末からはログイン「{login}」で接続できません（サーバーの許可設定 pg_hba.conf にありません）。"
                   "市の情報担当に確認してください。")
MSG_OTHER = "データベースに接続できませんでした：{detail}。接続設定を確認してください。"


def _classify(login: str, where: str, exc: BaseException) -> DbLoginError:
    text = str(getattr(exc, "orig", None) or exc)
    low = text.lower()
    detail = text.strip().splitlines()[-1] if text.strip() else type(exc).__name__
    if "password authentication failed" in low or "no password supplied" in low:
        return DbLoginError(MSG_WRONG_PASSWORD, "パスワード", reason="wrong_password")
    if "is not permitted to log in" in low:
        return DbLoginError(MSG_DISABLED.format(login=login), "ログイン名", reason="disabled")
    if "no pg_hba.conf entry" in low:
        if "no encryption" in low:
            return DbLoginError(MSG_TLS.format(detail="サーバーは暗号化した接続だけを受け付けます"), "接続設定",
                                reason="tls")
        return DbLoginError(MSG_NOT_ALLOWED.format(login=login), "接続設定", reason="not_allowed")
    if any(k in low for k in ("ssl", "certificate", "tls", "sslrootcert", "server does not support")):
        return DbLoginError(MSG_TLS.format(detail=detail), "接続設定", reason="tls")
    if any(k in low for k in ("connection refused", "could not connect", "could not translate host",
                              "timeout expired", "timed out", "no route to host", "network is unreachable",
                              "name or service not known", "connection to server")):
        return DbLoginError(MSG_UNREACHABLE.format(where=where), "接続設定", reason="unreachable")
    return DbLoginError(MSG_OTHER.format(detail=detail), "接続設定", reason="other")


def _login_url(base_url: str, login: str, password: str) -> tuple[str, str]:
    url = make_url(base_url).set(username=login, password=password)
    if "connect_timeout" not in url.query:
        url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    return url.render_as_string(hide_password=False), where


def sign_in(base_url: str, login: str, password: str, *,
            pg_timeouts: PgTimeouts | None = None) -> tuple[Engine, Actor]:
    """Connect to ``base_url`` (no user or password in it; host, port, database, sslmode/sslrootcert) as
    ``login``; returns the engine and the staff member mapped to that login. DbLoginError otherwise."""
    login = (login or "").strip()
    if not login:
        raise DbLoginError("ログイン名を入力してください。", "ログイン名", reason="wrong_password")
    if not password:
        raise DbLoginError("パスワードを入力してください。", "パスワード", reason="wrong_password")
    url, where = _login_url(base_url, login, password)
    engine = make_engine(url, pg_timeouts=pg_timeouts)
    try:
        with engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT id, name, role, active FROM staff WHERE db_login = session_user::text").first()
    except DBAPIError as exc:
        engine.dispose()
        if "permission denied" in str(exc.orig).lower() or "does not exist" in str(exc.orig).lower():
            raise DbLoginError(MSG_NOT_STAFF.format(login=login), "ログイン名", reason="not_staff") from None
        raise _classify(login, where, exc) from None
    except Exception as exc:  # a driver error outside DBAPIError (e.g. a bad sslrootcert path)
        engine.dispose()
        raise _classify(login, where, exc) from None
    if row is None:
        engine.dispose()
        raise DbLoginError(MSG_NOT_STAFF.format(login=login), "ログイン名", reason="not_staff")
    if not row[3]:
        engine.dispose()
        raise DbLoginError(MSG_DISABLED.format(login=login), "ログイン名", reason="disabled")
    return engine, Actor(int(row[0]), row[1], row[2])


def check_login_name(text: str) -> str:
    """A login name as the server will take it (stripped), or ValidationError (ログイン名) saying what to fix:
    screens check it as it is typed, before anything is sent."""
    return db_roles.valid_login_name(text)


def reset_staff_password(session: Session, actor: Actor, staff_id: int, password: str) -> None:
    """パスワード再設定 (システム管理 only; audited): the desk password and, on PostgreSQL for someone with their
    own login, the password the server checks at sign-in, in one transaction (never one without the other)."""
    auth.reset_password(session, actor, staff_id, password)
    if db_roles.is_postgres(session):
        login = session.get_one(Staff, staff_id).db_login
        if login:
            db_roles.set_login_password(session, login, password)


def create_staff_login(session: Session, actor: Actor, staff_id: int, login: str, password: str) -> None:
    """Give staff member ``staff_id`` their own database login (システム管理 only; audited). The password must
    pass the house rules (``services.auth.check_password_rules``)."""
    require_admin(session, actor, "データベースのログインの作成")
    login = db_roles.valid_login_name(login)
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound("担当者が見つかりません。一覧を更新してから選び直してください。")
    check_password_rules(password, names=(staff.name, staff.kana, login))
    db_roles.create_login(session, staff_id, login, password)
    session.refresh(staff, ["db_login"])
    audit(session, actor, "create_login", "staff", staff_id,
          f"「{staff.name}」（{role_label(staff.role)}）のデータベースログイン「{login}」を作成",
          after={"db_login": login, "role": staff.role})
