"""One unit of work for the layers above the services (the ui, the command line).

A screen runs a read or a write transaction on an engine and hands the session to a service function
(``ctx.read(fn)`` / ``ctx.write(fn)`` in ``ui/context.py`` go through here); it never names ``store`` or
SQLAlchemy itself (the ``ui-no-sql`` contract in ``.importlinter``). ``Engine`` and ``Session`` are here for
type hints; ``DatabaseError`` and ``is_connection_error`` let a screen tell a lost server from a bug.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError as DatabaseError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from booking_app.store.engine import read_session, write_session

T = TypeVar("T")


def read(engine: Engine, fn: Callable[[Session], T]) -> T:
    """``fn(session)`` in one read transaction."""
    with read_session(engine) as session:
        return fn(session)


def write(engine: Engine, fn: Callable[[Session], T]) -> T:
    """``fn(session)`` in one write transaction (committed when it returns, rolled back when it raises)."""
    with write_session(engine) as session:
        return fn(session)


def is_connection_error(exc: BaseException) -> bool:
    """The database could not be reached (server restart, network): not a bug, nothing was saved."""
    return isinstance(exc, (OperationalError, InterfaceError))


__all__ = ["Engine", "Session", "DatabaseError", "read", "write", "read_session", "write_session",
           "is_connection_error"]
