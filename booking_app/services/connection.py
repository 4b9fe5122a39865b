"""Where the data lives, checked from any layer above the store: a connection test that says in Japanese what it
found (server answers, encryption, the app's tables), the field checks of the 接続設定 form, the sentence for a
failed connection, and the owner's upgrade of a PostgreSQL database.

``booking_app/ui/access/connection_dialog.py`` holds the widgets and calls these; it names no store module and no
SQLAlchemy (the ``ui-no-sql`` contract in ``.importlinter``).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError

from booking_app import config
from booking_app.domain.errors import MigrationFailed
from booking_app.store.engine import make_engine
from booking_app.store import migrate
from booking_app.store.migrate import UpgradeResult, head_revision, known_revisions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """Where a database URL points (never the password): for the forms, the summaries and the messages."""

    backend: str
    host: str
    port: int | None
    database: str
    sslmode: str
    username: str
    sslrootcert: str = ""


def upgrade_as_owner(url: str, user: str, password: str) -> UpgradeResult:
    """Bring the database's tables up to this app's version as the schema owner ``user`` (PostgreSQL): the
    person updating types the owner's credential, which is used for this once and kept nowhere."""
    return migrate.upgrade_as_owner(url, user, password)


def target_of(url: str) -> Target:
    """The parts of ``url`` (after the app's normalising); raises ValueError for a URL that cannot be read."""
    try:
        u = make_url(config._normalise(url))
    except ArgumentError as exc:
        raise ValueError(str(exc)) from exc
    mode, rootcert = u.query.get("sslmode"), u.query.get("sslrootcert")
    return Target(u.get_backend_name(), u.host or "", u.port, u.database or "",
                  mode if isinstance(mode, str) else "", u.username or "",
                  rootcert if isinstance(rootcert, str) else "")


TEST_TIMEOUT_S = 5


# --------------------------------------------------------------------------- messages


def explain_connect_error(exc: BaseException, *, host: str = "", port: int | None = None,
                          database: str = "", user: str = "") -> str:
    """A Japanese sentence for a failed PostgreSQL connection (libpq's English or Japanese text)."""
    text = str(exc)
    low = text.lower()
    where = f"{host or 'localhost'}:{port or config.DEFAULT_PG_PORT}"
    tls = tls_problem(text)
    if tls:
        return tls
    if "password authentication failed" in low or "パスワード認証に失敗" in text or "no password supplied" in low:
        return f"ユーザー名「{user}」またはパスワードが違います。入力し直してください。"
    if ("role" in low and "does not exist" in low) or ("ロール" in text and "存在しません" in text):
        return f"ユーザー「{user}」はサーバーに登録されていません。ユーザー名を確かめてください。"
    if ("database" in low and "does not exist" in low) or ("データベース" in text and "存在しません" in text):
        return (f"データベース「{database}」はサーバー（{where}）にありません。"
                "名前を確かめるか、サーバーの管理者に作成を依頼してください。")
    if "connection refused" in low or "接続を拒否" in text or "actively refused" in low:
        return (f"サーバー（{where}）に接続を拒否されました。サーバーが起動しているか、"
                "ホスト名とポート番号が正しいかを確かめてください。")
    if "resolve host" in low or "translate host name" in low or "名前解決" in text:
        return f"ホスト名「{host}」が見つかりません。綴りを確かめてください。"
    if "timeout" in low or "timed out" in low or "タイムアウト" in text:
        return (f"サーバー（{where}）から{TEST_TIMEOUT_S}秒以内に応答がありません。"
                "ネットワークの接続とサーバーの電源を確かめてください。")
    if "pg_hba.conf" in low and "no encryption" in low:
        return (f"サーバー（{where}）は暗号化しない接続を受け付けません。"
                "「暗号化」を「検証付き暗号化」にして、CAファイルを指定してください。")
    if "pg_hba.conf" in low:
        return (f"サーバー（{where}）がこのパソコンからの接続を許可していません。"
                "サーバーの管理者に pg_hba.conf の設定を依頼してください。")
    return f"サーバー（{where}）に接続できません。\n{text.strip()}"


def tls_problem(text: str) -> str | None:
    """A Japanese sentence for libpq's TLS failures (no CA file, wrong certificate, no TLS), or None."""
    low = text.lower()
    if "root certificate file" in low and "does not exist" in low:
        return ("サーバーの証明書を確かめるCAファイルが指定されていません（またはファイルがありません）。"
                "「CAファイル」に、センターのIT担当者から受け取った ca.crt を指定してください。")
    if "could not read root certificate" in low or "could not load root certificate" in low:
        return "「CAファイル」に指定したファイルを読み取れません。センターのIT担当者から受け取った ca.crt を指定してください。"
    if "does not match host name" in low:
        return ("サーバーの証明書が、入力したホスト名と合いません。"
                "「ホスト名」を証明書に書かれた名前（IT担当者にたずねてください）にしてください。")
    if "certificate verify failed" in low or "self-signed certificate" in low or "unable to get local issuer" in low:
        return ("サーバーの証明書を確かめられませんでした（CAファイルが違うか、別のサーバーにつながっています）。"
                "「CAファイル」がセンターのIT担当者から受け取ったものか確かめてください。")
    if "server does not support ssl" in low:
        return ("サーバーが暗号化に対応していません。サーバーの管理者にTLSの設定を依頼するか、"
                "サーバーがこのパソコンの中にある場合だけ「暗号化」を「可能なら暗号化」にしてください。")
    if "ssl error" in low or "ssl syscall" in low:
        return f"暗号化した接続を確立できませんでした。「暗号化」と「CAファイル」の設定を確かめてください。\n（{text.strip()}）"
    return None


def unreachable_causes(url: str) -> list[str]:
    if config._normalise(url).startswith("sqlite"):
        return ["データベースのファイルがある場所（共有フォルダーやUSBメモリ）に接続されていない",
                "ファイルが移動・削除された、または書き込みの権限がない"]
    return ["サーバーのパソコンの電源が入っていない、または再起動中",
            "このパソコンのネットワーク（LANケーブル・Wi-Fi）がつながっていない",
            "接続設定（ホスト名・ポート番号・暗号化・CAファイル）が違う"]


_HOST_CHARS = re.compile(r"[A-Za-z0-9._-]+")
PG_NAME_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1: longer names are cut short by the server


def server_field_problem(host: str, database: str, user: str, password: str) -> str | None:
    """Why the server fields cannot make a usable connection setting (Japanese, naming the field).

    A host such as ``user@pc:1/x`` written into the URL as is would be read back as another host,
    port and user; control characters would reach libpq, which refuses them.
    """
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if len(host) > 253 or not _HOST_CHARS.fullmatch(host):
            return ("ホスト名に使えない文字が含まれています。半角の英数字・ピリオド・ハイフンで"
                    "入力するか、IPアドレス（例：192.168.1.10）を入力してください。")
    for label, value in (("データベース名", database), ("ユーザー名", user)):
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            return f"{label}に使えない文字（制御文字）が含まれています。入力し直してください。"
        if len(value.encode("utf-8")) > PG_NAME_BYTES:
            return f"{label}が長すぎます（半角{PG_NAME_BYTES}文字以内）。"
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        return "パスワードに使えない文字（制御文字）が含まれています。入力し直してください。"
    return None


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
    needs_migration: bool = False
    encrypted: bool | None = None  # PostgreSQL: was the link TLS? (None: SQLite or not connected)
    tls_version: str | None = None


SSLMODE_CHOICES = (("verify-full", "検証付き暗号化（推奨）"), ("require", "暗号化のみ（証明書を確かめない）"),
                   ("prefer", "可能なら暗号化"), ("disable", "暗号化しない"))


def encryption_of(conn: Any) -> tuple[bool, str | None]:
    """(TLS in use, protocol such as 'TLSv1.3') of an open (autocommit) psycopg connection."""
    pgconn = conn.pgconn
    if not pgconn.ssl_in_use:  # libpq's own word: the client side decides, not what the server says
        return False, None
    attribute = getattr(pgconn, "ssl_attribute", None)  # not in every psycopg build (3.3 lacks it)
    protocol = attribute(b"protocol") if attribute is not None else None
    if protocol is None:
        row = conn.execute("SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        protocol = row[0] if row else None
    return True, protocol.decode() if isinstance(protocol, bytes) else protocol


def encryption_text(encrypted: bool, version: str | None) -> str:
    if encrypted:
        return f"暗号化：あり（{version}）" if version else "暗号化：あり"
    return "暗号化されていません"


def _pg_kwargs(url: str) -> dict[str, Any]:
    u = make_url(url)
    kwargs: dict[str, Any] = {"host": u.host or "localhost", "port": u.port or config.DEFAULT_PG_PORT,
                                 "dbname": u.database or "postgres"}
    if u.username:
        kwargs["user"] = u.username
    if u.password:
        kwargs["password"] = u.password
    for key in ("sslmode", "sslrootcert"):
        value = u.query.get(key)
        if isinstance(value, str) and value:
            kwargs[key] = value
    return kwargs


def _schema_state(revision: str | None) -> tuple[str, bool]:
    head = head_revision()
    if revision is None:
        return "アプリの表がまだありません。最初の起動のときに作成されます。", True
    if revision == head:
        return "アプリの表はそろっています（最新）。", False
    if revision in known_revisions():
        return "アプリの表は古い形式です。起動のときに更新されます（更新前に控えを取ります）。", True
    return "このデータベースは新しいバージョンのふくふくデスクで使われています。アプリを更新してください。", False


def _one(conn: Any, sql: str) -> Any:
    """The first column of the first row (None when there is no row)."""
    row = conn.execute(sql).fetchone()
    return None if row is None else row[0]


def check_connection(url: str, *, timeout: int = TEST_TIMEOUT_S) -> ConnectionCheck:
    """Connect once (at most ``timeout`` s) and say, in Japanese, what was found."""
    url = config._normalise(url)
    if url.startswith("sqlite"):
        return _test_sqlite(url)
    import psycopg

    kwargs = _pg_kwargs(url)
    try:
        with psycopg.connect(connect_timeout=timeout, autocommit=True, **kwargs) as conn:
            encrypted, tls_version = encryption_of(conn)
            version = conn.info.parameter_status("server_version") or str(conn.info.server_version)
            has_table = _one(conn, "SELECT to_regclass('alembic_version') IS NOT NULL")
            readable = has_table and _one(conn, "SELECT has_table_privilege('alembic_version', 'SELECT')")
            revision = _one(conn, "SELECT version_num FROM alembic_version") if readable else None
    except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence for the desk
        return ConnectionCheck(False, explain_connect_error(
            exc, host=str(kwargs["host"]), port=int(kwargs["port"]), database=str(kwargs["dbname"]),
            user=str(kwargs.get("user", ""))))
    if has_table and not readable:
        # A staff login that may not read the schema's version: the database is set up.
        state, migrate = "このログインでは表の版は確かめられません（設定済みのデータベースです）。", False
    else:
        state, migrate = _schema_state(revision)
    version = version.split(" ")[0]
    return ConnectionCheck(True, f"接続できました（PostgreSQL {version}）。{encryption_text(encrypted, tls_version)}。"
                                 f"{state}", migrate, encrypted, tls_version)


def _test_sqlite(url: str) -> ConnectionCheck:
    import sqlite3

    path = Path(make_url(url).database or "")
    if not path.name:
        return ConnectionCheck(False, "ファイル名を入力してください。")
    if not path.exists():
        if path.parent.is_dir():
            return ConnectionCheck(True, f"新しいファイル「{path.name}」が最初の起動のときに作成されます。", True)
        return ConnectionCheck(False, f"フォルダー「{path.parent}」がありません。")
    try:
        conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True, timeout=TEST_TIMEOUT_S)
        try:
            has = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone()
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] if has else None
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return ConnectionCheck(False, f"ファイル「{path.name}」を開けません（{exc}）。")
    state, migrate = _schema_state(revision)
    return ConnectionCheck(True, f"ファイルを開けました。{state}", migrate)


# --------------------------------------------------------------------------- dialogs


def is_unreachable(exc: BaseException) -> bool:
    """A connection-level failure (server down, network, wrong login), as opposed to a bug."""
    return isinstance(exc, (OperationalError, InterfaceError))


def probe(db_url: str) -> None:
    """Open one connection and close it; raises what the driver raised (wrapped by SQLAlchemy)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()


__all__ = ["Target", "target_of", "TEST_TIMEOUT_S", "explain_connect_error", "tls_problem", "unreachable_causes",
           "PG_NAME_BYTES", "server_field_problem", "ConnectionCheck", "SSLMODE_CHOICES", "encryption_of",
           "encryption_text", "check_connection", "is_unreachable", "probe", "upgrade_as_owner", "MigrationFailed"]
