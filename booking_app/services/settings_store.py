"""The centre's settings rows (``centre_settings``: one JSON value per key) read and written one way.

Profile, fees, targets, import limits, privacy, command tokens and backup encryption each keep one key.
Writing replaces the whole value (SQLAlchemy's JSON type does not see changes made in place) and stamps
who and when; the caller writes the audit row, with the previous value this returns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from booking_app.store.models import CentreSetting


def stored_value(session: Session, key: str, *, lock: bool = False) -> dict[str, Any] | None:
    """A copy of the value under ``key``, or None when there is none (or it is not a JSON object)."""
    row = session.get(CentreSetting, key, with_for_update=lock or None)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else None


def put_value(session: Session, key: str, value: dict[str, Any], *, by: int | None,
              now: datetime) -> dict[str, Any] | None:
    """Store ``value`` under ``key`` (insert or replace), stamped with ``by`` and ``now``; returns the previous
    value (None when there was none), for the audit's 'before'."""
    row = session.get(CentreSetting, key)
    if row is None:
        session.add(CentreSetting(key=key, value=value, updated_at=now, updated_by=by))
        return None
    before = dict(row.value) if isinstance(row.value, dict) else None
    row.value, row.updated_at, row.updated_by = value, now, by
    return before


__all__ = ["put_value", "stored_value"]
