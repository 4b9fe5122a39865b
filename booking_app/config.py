"""Where the database is: the ``--db`` option, then ``BOOKING_APP_DB_URL``, then a SQLite file in the
user's data folder.

One terminal needs nothing set up: the SQLite file is created in the per-user data folder
(``%LOCALAPPDATA%\\fukufuku-desk`` on Windows, ``~/.local/share/fukufuku-desk`` on Linux). Several
terminals share one PostgreSQL database named by URL.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from booking_app.domain.errors import ValidationError

APP_DIR_NAME = "fukufuku-desk"
DB_FILENAME = "booking.sqlite3"
ENV_DB_URL = "BOOKING_APP_DB_URL"


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


def resolve_db_url(cli_value: str | None) -> tuple[str, str]:
    """(url, label): ``--db`` wins, then the environment variable, then the default SQLite file."""
    value = (cli_value or "").strip() or os.environ.get(ENV_DB_URL, "").strip()
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
