"""Signing in the headless commands from tests (issue 15): every command that reads personal data or writes
asks for a login (booking_app/cli/signin.py). A test that runs such a command signs in with a command token,
made directly through the service as the first システム管理 row (no CLI, no prompt)::

    from tests.cli_login import signed_in

    signed_in(monkeypatch, url)                    # FUKUFUKU_DESK_TOKEN for the first admin, scope "all"
    signed_in(monkeypatch, url, "センター長")       # … acting as that staff member
    signed_in(monkeypatch, url, scope="backup")    # a backup / verify-audit token

``url_or_engine`` is a SQLAlchemy URL or an Engine. A URL whose database has no tables yet is first brought
up like a command does it (migrations + initial data), so ``signed_in`` may come before the first command.
Tokens are a SQLite matter: on PostgreSQL the connection's login is the sign-in. ``login_url`` gives a staff
member a database login (as the owner URL the tests hold) and returns the URL that signs in with it, and
``command_url`` is the one call for tests parametrised over both backends::

    db = command_url(monkeypatch, db_url, "センター長")   # SQLite: db_url + a token; PostgreSQL: a login's URL
    cli.main(["--db", db, "export-groups", …])
"""

from __future__ import annotations

import itertools
import os
import uuid

from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import make_url

from booking_app.cli.signin import ENV_VAR


def make_token(url_or_engine, staff_name: str | None = None, scope: str = "all") -> str:
    """Issue a token for ``staff_name`` (default: the first システム管理 row) as the first システム管理 row and
    return the secret."""
    from booking_app.services.command_tokens import create_token
    from booking_app.services.common import Actor
    from booking_app.store.engine import write_session
    from booking_app.store.models import Staff

    own = not isinstance(url_or_engine, Engine)
    engine = _prepared(url_or_engine) if own else url_or_engine
    try:
        with write_session(engine) as s:
            admin = s.scalars(select(Staff).where(Staff.role == "admin", Staff.active.is_(True))
                              .order_by(Staff.id)).first()
            assert admin is not None, "no active システム管理 staff row to issue a token"
            staff = admin
            if staff_name is not None:
                staff = s.scalars(select(Staff).where(Staff.name == staff_name)).one()
            return create_token(s, Actor(admin.id, admin.name, admin.role), staff.id, scope, "テスト用")
    finally:
        if own:
            engine.dispose()


def signed_in(monkeypatch, url_or_engine, staff_name: str | None = None, scope: str = "all") -> str:
    """make_token + ``FUKUFUKU_DESK_TOKEN`` set for the rest of the test; returns the secret."""
    secret = make_token(url_or_engine, staff_name, scope)
    monkeypatch.setenv(ENV_VAR, secret)
    return secret


def _prepared(url: str):
    """An engine on ``url`` after migrations and the initial rows (rooms, the three default staff)."""
    from booking_app.cli.context import prepare as _prepare
    from booking_app.services.centre import ensure_initial_data
    from booking_app.store.engine import make_engine, write_session

    engine = make_engine(url)
    with engine.connect() as conn:
        fresh = not inspect(conn).has_table("staff")
    if fresh:
        engine.dispose()
        return _prepare(url)
    with write_session(engine) as s:
        ensure_initial_data(s)
    return engine


LOGIN_PASSWORD = "kanmon-cli-login-2026"
_logins = itertools.count(1)


def login_url(url: str, staff_name: str | None = None, password: str = LOGIN_PASSWORD) -> str:
    """PostgreSQL: give ``staff_name`` (default: the first システム管理 row) a database login of its own, made
    through ``url`` (the owner's URL the tests hold), and return ``url`` signing in with that login."""
    from booking_app.store import db_roles
    from booking_app.store.engine import write_session
    from booking_app.store.models import Staff

    engine = _prepared(url)
    try:
        with write_session(engine) as s:
            q = select(Staff).where(Staff.active.is_(True)).order_by(Staff.id)
            q = q.where(Staff.name == staff_name) if staff_name is not None else q.where(Staff.role == "admin")
            staff = s.scalars(q).first()
            assert staff is not None, f"no active staff row {staff_name!r}"
            if staff.db_login:
                login = staff.db_login
                db_roles.set_login_password(s, login, password)
            else:
                login = f"cli{os.getpid()}_{next(_logins)}_{uuid.uuid4().hex[:6]}"
                db_roles.create_login(s, staff.id, login, password)
    finally:
        engine.dispose()
    return make_url(url).set(username=login, password=password).render_as_string(hide_password=False)


def command_url(monkeypatch, url: str, staff_name: str | None = None, scope: str = "all") -> str:
    """The ``--db`` a command signs in with as ``staff_name``: SQLite, ``url`` itself with a token in
    ``FUKUFUKU_DESK_TOKEN``; PostgreSQL, the URL of the staff member's own login (``login_url``)."""
    if make_url(url).get_backend_name() == "postgresql":
        monkeypatch.delenv(ENV_VAR, raising=False)
        return login_url(url, staff_name)
    signed_in(monkeypatch, url, staff_name, scope)
    return url
