"""What every service shares: the acting staff member, the clock, and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from booking_app import clock

from booking_app.domain.errors import PermissionDenied
from booking_app.store.models import AuditEntry

JST = clock.JST


def local_now() -> datetime:
    """Japan time without a zone, as every timestamp in the database is stored: the app's one clock
    (``booking_app.clock``), which the tests, ``--today`` and ``--now`` can set."""
    return clock.now()


@dataclass(frozen=True)
class Actor:
    """The staff member on duty (担当者) who makes a change."""

    id: int
    name: str
    role: str = "desk"  # desk 受付 | manager 管理者 | admin システム管理

    @property
    def is_manager(self) -> bool:
        return self.role in ("manager", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def require_manager(actor: Actor, what: str) -> None:
    if not actor.is_manager:
        raise PermissionDenied(f"{what}は管理者のみ行えます。管理者に依頼してください。")


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"{what}はシステム管理者のみ行えます。システム管理者に依頼してください。")


def jsonable(value: Any) -> Any:
    """Turn a snapshot into JSON-storable values for the audit trail."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    summary: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Record one change in the audit trail, inside the caller's transaction."""
    session.add(
        AuditEntry(
            at=now or local_now(),
            staff_id=actor.id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            summary=summary,
            before=jsonable(before) if before is not None else None,
            after=jsonable(after) if after is not None else None,
        )
    )
