"""Domain errors (業務エラー) raised by the pure domain layer.

Every error carries a Japanese ``message`` meant to be shown to desk staff as-is, and an optional
``field`` naming the form field at fault, so the UI can highlight it without parsing the text.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of all domain errors (業務エラー)."""

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
