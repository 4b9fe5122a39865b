"""Staff roles (権限) and what each may do.

Three roles, each including the one before it:

* 受付 ``desk``: bookings, check-in/out, payments and receipts, group lookup and registration,
  insurance enrolment, walk-in tallies: the counter's daily work.
* 管理者 ``manager``: also fees and targets, rule overrides, month close, voids, exports of
  personal data, the audit viewer's export.
* システム管理 ``admin``: also staff accounts and the database (backup, restore, connection).

The services enforce these (``require_manager`` / ``require_admin`` in services/common.py); the UI
only hides what a role cannot use, so a hidden button is never the only guard.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DESK = "desk"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self.value]


ROLE_LABELS = {"desk": "受付", "manager": "管理者", "admin": "システム管理"}

# Higher rank includes everything a lower rank may do.
_RANK = {"desk": 0, "manager": 1, "admin": 2}


def role_at_least(role: str, minimum: str) -> bool:
    return _RANK.get(role, -1) >= _RANK[minimum]


def may_override_rules(role: str) -> bool:
    """A booking rule (closed day, opening hours, booking window) gives way to this role's written reason:
    管理者 and above. The UI asks it to offer the 規則外 field or a slot on a closed day; the services decide."""
    return role_at_least(role, Role.MANAGER)


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)
