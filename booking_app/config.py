"""Where the database is: the ``--db`` option, then ``BOOKING_APP_DB_URL``, then this terminal's saved
connection setting (接続設定), then a SQLite file in the user's data folder.

One terminal needs nothing set up: the SQLite file is created in the per-user data folder
(``%LOCALAPPDATA%\\fukufuku-desk`` on Windows, ``~/.local/share/fukufuku-desk`` on Linux). Several
terminals share one PostgreSQL database named by URL.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from booking_app.domain.errors import ValidationError

APP_DIR_NAME = "fukufuku-desk"
DB_FILENAME = "booking.sqlite3"
ENV_DB_URL = "BOOKING_APP_DB_URL"
CONNECTION_FILENAME = "connection.json"
DEFAULT_PG_PORT = 5432

log = logging.getLogger(__name__)


def default_db_path() -> Path:
    """The SQLite file used when nothing else is configured; its folder is created if missing."""
    folder = Path(user_data_dir(APP_DIR_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / DB_FILENAME


def sqlite_url_for(path: Path) -> str:
    return f"sqlite:///{path.resolve().as_posix()}"


def _normalise(value: str) -> str:
    """Turn what a person types into a SQLAlchemy URL.

    A bare path (no ``scheme://``) is a SQLite file. ``postgresql://`` and ``postgres://`` get the
    psycopg 3 driver, the only PostgreSQL driver the app ships with.
    """
    value = value.strip()
    if "://" not in value:
        return sqlite_url_for(Path(value).expanduser())
    scheme, rest = value.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return value


def db_label(url: str) -> str:
    """A human label for the status bar and messages; never contains the password."""
    try:
        u = make_url(url)
    except ArgumentError:
        return url.split("@")[-1]
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            return "SQLite: (メモリ上)"
        return f"SQLite: {u.database}"
    if u.get_backend_name() == "postgresql":
        host = u.host or "localhost"
        if u.port:
            host = f"{host}:{u.port}"
        return f"PostgreSQL: {host}/{u.database or ''}"
    return f"{u.get_backend_name()}: {u.host or ''}/{u.database or ''}"


def config_dir() -> Path:
    """This terminal's settings folder (``%LOCALAPPDATA%\\fukufuku-desk`` / ``~/.config/fukufuku-desk``)."""
    return Path(user_config_dir(APP_DIR_NAME, appauthor=False))


def connection_file() -> Path:
    return config_dir() / CONNECTION_FILENAME


def load_connection() -> str | None:
    """The database URL saved by the 接続設定 dialog on this terminal, or None.

    A damaged file is ignored (logged) rather than stopping the app: the desk then starts on the
    default database and staff can save the setting again.
    """
    path = connection_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("connection setting %s unreadable: %s", path, exc)
        return None
    url = data.get("url") if isinstance(data, dict) else None
    return url.strip() if isinstance(url, str) and url.strip() else None


def save_connection(url: str | None) -> Path:
    """Save this terminal's database URL (None: forget it, back to the default SQLite file).

    The URL includes the PostgreSQL password in plain text: a desk PC has one Windows account per
    terminal and the app must connect unattended. The file is therefore made readable by its owner
    only (0600 on POSIX; on Windows the per-user AppData folder is already private to the user).
    """
    path = connection_file()
    if url is None or not url.strip():
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"url": url.strip()}, ensure_ascii=False, indent=2) + "\n"
    tmp = path.with_suffix(".tmp")
    # Create with 0600 from the start so the password is never readable by others, even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    if os.name == "posix":
        os.chmod(path, 0o600)
    return path


def postgres_url(host: str, port: int, database: str, user: str, password: str = "") -> str:
    """The SQLAlchemy URL for the 接続設定 fields (special characters in the password are escaped)."""
    return URL.create("postgresql+psycopg", username=user or None, password=password or None,
                      host=host or "localhost", port=port or None,
                      database=database or None).render_as_string(hide_password=False)


def resolve_db_url(cli_value: str | None) -> tuple[str, str]:
    """(url, label): ``--db`` wins, then the environment variable, then this terminal's saved
    connection setting, then the default SQLite file."""
    value = ((cli_value or "").strip() or os.environ.get(ENV_DB_URL, "").strip()
             or (load_connection() or ""))
    url = _normalise(value) if value else sqlite_url_for(default_db_path())
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise ValidationError(
            f"データベースの指定「{db_label(url)}」を読み取れません。"
            "SQLiteのファイル名か、postgresql://ユーザー@ホスト/データベース名 の形で指定してください。",
            field="db",
        ) from None
    if backend not in ("sqlite", "postgresql"):
        raise ValidationError(
            f"データベースの種類「{backend}」には対応していません。SQLiteかPostgreSQLを指定してください。", field="db"
        )
    return url, db_label(url)
