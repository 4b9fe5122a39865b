"""Where the database is: the ``--db`` option, then ``BOOKING_APP_DB_URL``, then this terminal's saved
connection setting (接続設定), then a SQLite file in the user's data folder.

One terminal needs nothing set up: the SQLite file is created in the per-user data folder
(``%LOCALAPPDATA%\\fukufuku-desk`` on Windows, ``~/.local/share/fukufuku-desk`` on Linux). Several
terminals share one PostgreSQL database named by URL.

connection.json holds host, port, database, ``sslmode`` and ``sslrootcert`` of the server,
never a user or a password: each staff member signs in with their own database login. A ``--db`` URL
with a user (and password) still connects as that user, for developers, CI and the benchmarks.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from booking_app.domain.errors import ValidationError

APP_DIR_NAME = "fukufuku-desk"
DB_FILENAME = "booking.sqlite3"
ENV_DB_URL = "BOOKING_APP_DB_URL"
CONNECTION_FILENAME = "connection.json"
DEFAULT_PG_PORT = 5432
DEFAULT_OWNER = "fukufuku_owner"  # the schema owner role docs/admin-guide.md has the IT person create

log = logging.getLogger(__name__)


def default_db_path() -> Path:
    """The SQLite file used when nothing else is configured; its folder is created if missing.

    On POSIX: the folder is made (or brought back to) 0700 and an existing database file with
    its ``-wal``/``-shm`` to 0600, since they hold every name and payment. Called at every start."""
    from booking_app.store.backup import make_private_dir, make_private_file

    folder = make_private_dir(Path(user_data_dir(APP_DIR_NAME, appauthor=False)))
    path = folder / DB_FILENAME
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if p.exists():
            make_private_file(p)
    return path


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


SSLMODES = ("verify-full", "require", "prefer", "disable")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", ""})
# The keys connection.json may hold for a server: never a user name or a password.
CONNECTION_KEYS = ("host", "port", "database", "sslmode", "sslrootcert")


def is_local_host(host: str | None) -> bool:
    """localhost, the loopback addresses or a Unix socket folder: the link never leaves this PC."""
    host = (host or "").strip().lower()
    return host in LOCAL_HOSTS or host.startswith("/")


def default_sslmode(host: str | None) -> str:
    """``verify-full`` (encrypted, and the server's certificate checked against the centre's CA) for a
    server on the network; ``prefer`` for one on this PC."""
    return "prefer" if is_local_host(host) else "verify-full"


def _connection_data() -> dict[str, Any] | None:
    path = connection_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("connection setting %s unreadable: %s", path, exc)
        return None
    return data if isinstance(data, dict) else None


def _url_from_data(data: dict[str, Any]) -> str | None:
    if isinstance(data.get("sqlite"), str) and data["sqlite"].strip():
        return sqlite_url_for(Path(data["sqlite"].strip()).expanduser())
    if isinstance(data.get("host"), str) and data["host"].strip():
        try:
            port = int(data.get("port") or DEFAULT_PG_PORT)
        except (TypeError, ValueError):
            port = DEFAULT_PG_PORT
        sslmode = data.get("sslmode") if data.get("sslmode") in SSLMODES else None
        rootcert = data.get("sslrootcert") if isinstance(data.get("sslrootcert"), str) else None
        return postgres_url(data["host"].strip(), port, str(data.get("database") or ""),
                            sslmode=sslmode, sslrootcert=rootcert)
    url = data.get("url")  # the older format: one URL, perhaps with user and password
    if not isinstance(url, str) or not url.strip():
        return None
    url = _normalise(url)
    try:
        u = make_url(url)
    except ArgumentError:
        return url
    if u.get_backend_name() != "postgresql":
        return url
    # Its user (the schema owner) and password are ignored: staff sign in with their own login,
    # and the next save writes the file without them.
    return without_credentials(url)


def load_connection() -> str | None:
    """The database URL saved by the 接続設定 dialog on this terminal (never with a user or a
    password), or None.

    A damaged file is ignored (logged) rather than stopping the app: the desk then starts on the
    default database and staff can save the setting again. An older file holds a
    URL, perhaps with the owner's password: it is still read, its user and password ignored.
    """
    data = _connection_data()
    return _url_from_data(data) if data is not None else None


def saved_connection_has_password() -> bool:
    """True while connection.json is still the old kind holding a password (until the next save)."""
    data = _connection_data()
    url = data.get("url") if data else None
    if not isinstance(url, str):
        return False
    try:
        return bool(make_url(_normalise(url)).password)
    except ArgumentError:
        return False


def connection_fields(url: str) -> dict[str, object]:
    """What connection.json keeps for url: ``{"sqlite": path}`` or host, port, database, sslmode,
    sslrootcert (never a user or a password)."""
    u = make_url(_normalise(url))
    if u.get_backend_name() == "sqlite":
        return {"sqlite": u.database or ""}
    host = u.host or str(u.query.get("host") or "") or "localhost"
    sslmode = u.query.get("sslmode")
    data: dict[str, object] = {"host": host, "port": u.port or DEFAULT_PG_PORT, "database": u.database or "",
                               "sslmode": sslmode if sslmode in SSLMODES else default_sslmode(host)}
    rootcert = u.query.get("sslrootcert")
    if isinstance(rootcert, str) and rootcert:
        data["sslrootcert"] = rootcert
    return data


def save_connection(url: str | None) -> Path:
    """Save this terminal's database (None: forget it, back to the default SQLite file).

    The file never holds a password nor a user name (each staff member signs in with their
    own database login); saving over a file of the old kind removes the password it held. It is
    still made readable by its owner only (0600 on POSIX; on Windows the per-user AppData folder is
    already private to the user).
    """
    path = connection_file()
    if url is None or not url.strip():
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(connection_fields(url.strip()), ensure_ascii=False, indent=2) + "\n"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    if os.name == "posix":
        os.chmod(path, 0o600)
    return path


def postgres_url(host: str, port: int, database: str, user: str = "", password: str = "", *,
                 sslmode: str | None = None, sslrootcert: str | None = None) -> str:
    """The SQLAlchemy URL for the 接続設定 fields; sslmode/sslrootcert travel as query parameters
    (psycopg passes them to libpq). ``sslmode`` defaults to :func:`default_sslmode`. A user and a
    password are only for connections made now (the owner at the first start, a test, ``--db``):
    the URL of a terminal's setting has neither (special characters are escaped)."""
    host = host or "localhost"
    query: dict[str, str] = {"sslmode": sslmode if sslmode in SSLMODES else default_sslmode(host)}
    if sslrootcert:
        query["sslrootcert"] = sslrootcert
    return URL.create("postgresql+psycopg", username=user or None, password=password or None,
                      host=host, port=port or None, database=database or None,
                      query=query).render_as_string(hide_password=False)


def without_credentials(url: str) -> str:
    """url without user and password (the base URL ``db_login.sign_in`` adds a login to)."""
    u = make_url(_normalise(url))
    return URL.create(u.drivername, host=u.host, port=u.port, database=u.database,
                      query=u.query).render_as_string(hide_password=False)


def with_credentials(url: str, user: str, password: str) -> str:
    """url connecting as user with password (special characters escaped); for a connection made now,
    never for saving."""
    u = make_url(_normalise(url))
    return URL.create(u.drivername, username=user or None, password=password or None, host=u.host,
                      port=u.port, database=u.database, query=u.query).render_as_string(hide_password=False)


def has_credentials(url: str) -> bool:
    """A PostgreSQL URL that names a user (``--db`` for developers, CI, bench; the password is in the
    URL, in ``PGPASSWORD`` or ``.pgpass``): the app connects with it as before, without a login prompt.
    A terminal's saved setting never names one: staff then sign in with their database login."""
    try:
        u = make_url(_normalise(url))
    except ArgumentError:
        return False
    return u.get_backend_name() == "postgresql" and bool(u.username)


def is_postgres_url(url: str) -> bool:
    try:
        return make_url(_normalise(url)).get_backend_name() == "postgresql"
    except ArgumentError:
        return False


def sslmode_of(url: str) -> str | None:
    try:
        value = make_url(_normalise(url)).query.get("sslmode")
    except ArgumentError:
        return None
    return value if isinstance(value, str) else None


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
