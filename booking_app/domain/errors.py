"""Domain errors (業務エラー) raised by the pure domain layer.

Every error carries a Japanese ``message`` meant to be shown to desk staff as-is, and an optional
``field`` naming the form field at fault, so the UI can highlight it without parsing the text.

Every error class of the application is defined here, the use-case ones (``MonthClosed``,
``RosterError``, ``MigrationFailed``, ``AuthError``, ``DbLoginError``,
``TokenRefused``) at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol


class DomainError(Exception):
    """Base of all domain errors (業務エラー)."""

    # What to do, each in a transaction of its own, once the operation that raised this was rolled back
    # (``store.engine.write_session``), e.g. record a refused action in the audit trail; each gets a Session.
    after_rollback: Sequence[Callable[[Any], None]] = ()

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r})"


class ConflictError(DomainError):
    """Double booking or equipment out of stock (重複予約・在庫不足)."""


class RuleError(DomainError):
    """A centre rule is broken (利用規則違反): hours, closed day, booking window.

    Kept apart from ValidationError because a manager may override these deliberately.
    """


class PermissionDenied(DomainError):
    """The signed-in staff member may not do this (権限なし)."""


class Busy(DomainError):
    """Another terminal holds what this one needs and did not let go in time (他の端末が処理中).

    Nothing was saved; the same action a little later normally succeeds, so the screen keeps what was
    typed. Raised by ``store.engine`` from the database's lock and statement time-outs (PostgreSQL's
    ``lock_timeout``/``statement_timeout``, a deadlock, SQLite's "database is locked").
    """


class NotFound(DomainError):
    """The record asked for does not exist (該当なし)."""


class ValidationError(DomainError):
    """Input that can never be valid (入力エラー), e.g. an unparseable date."""


# ------------------------------------------------------------------ errors of particular use cases
# Defined here so every error of the application lives in one module; the modules that raise them
# re-export the old names (``services.stats.MonthClosed`` etc.) so existing imports keep working.


class MonthClosed(RuleError):
    """Data dated in a closed month (締め済みの月) cannot change; a manager amends (訂正) instead."""


class RowIssue(Protocol):
    """What an error needs of one bad row of a file (``services.tabular.TableIssue`` is one)."""

    @property
    def row(self) -> int: ...

    @property
    def column(self) -> str: ...

    @property
    def message(self) -> str: ...


class RosterError(ValidationError):
    """A roster file or paste with bad rows (名簿の誤り); ``issues`` names each row, column and reason."""

    def __init__(self, message: str, issues: Sequence[RowIssue]) -> None:
        super().__init__(message, field="file")
        self.issues = tuple(issues)


class MigrationFailed(DomainError):
    """The database could not be brought up to date (データベース更新の失敗); the old one is untouched."""

    def __init__(self, message: str, *, backup: Path | None = None) -> None:
        super().__init__(message)
        self.backup = backup


class AuthError(PermissionDenied):
    """Sign-in refused (ログイン失敗): wrong password, locked account, no password, unknown staff."""


class DbLoginError(DomainError):
    """Signing in with a database login failed; the message says why and what to do (Japanese)."""

    def __init__(self, message: str, field: str | None = None, *, reason: str = "other") -> None:
        super().__init__(message, field)
        self.reason = reason  # wrong_password | disabled | not_staff | unreachable | tls | not_allowed | other


class SignInRefused(PermissionDenied):
    """A headless command's sign-in refused (``cli/signin.py``); the message says why and what to do."""


class TokenRefused(PermissionDenied):
    """A token that is unknown, revoked, out of scope, or whose staff member may not act any more."""

    def __init__(self, message: str, *, reason: str, staff_id: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason  # unknown | revoked | scope | inactive
        self.staff_id = staff_id
