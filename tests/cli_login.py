"""Signing in the headless commands from tests (issue 15): every command that reads personal data or writes
asks for a login (booking_app/cli_signin.py). A test that runs such a command signs in with a command token,
made directly through the service as the first システム管理 row (no CLI, no prompt)::

    from tests.cli_login import signed_in

    signed_in(monkeypatch, url)                    # FUKUFUKU_DESK_TOKEN for the first admin, scope "all"
    signed_in(monkeypatch, url, "センター長")       # … acting as that staff member
    signed_in(monkeypatch, url, scope="backup")    # a backup / verify-audit token

``url_or_engine`` is a SQLAlchemy URL or an Engine. A URL whose database has no tables yet is first brought
up like a command does it (migrations + initial data), so ``signed_in`` may come before the first command.
Tokens are a SQLite matter: on PostgreSQL the connection's login is the sign-in (use a staff login's URL).
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, select

from booking_app.cli_signin import ENV_VAR


def make_token(url_or_engine, staff_name: str | None = None, scope: str = "all") -> str:
    """Issue a token for ``staff_name`` (default: the first システム管理 row) as the first システム管理 row and
    return the secret."""
    from booking_app.services.command_tokens import create_token
    from booking_app.services.common import Actor
    from booking_app.store.engine import make_engine, write_session
    from booking_app.store.models import Staff

    own = not isinstance(url_or_engine, Engine)
    if own:
        from booking_app.cli import _prepare

        engine = make_engine(url_or_engine)
        with engine.connect() as conn:
            fresh = not inspect(conn).has_table("staff")
        if fresh:
            engine.dispose()
            engine = _prepare(url_or_engine)
    else:
        engine = url_or_engine
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
