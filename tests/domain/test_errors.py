"""Every error class lives in ``booking_app.domain.errors`` (issue 16: errors in one module).

The modules that used to define the use-case errors re-export them, so an ``except`` written against
the old name still catches what it caught: the same class object, with the same base.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from booking_app.domain import errors
from booking_app.services import auth, command_tokens, db_login, insurance
from booking_app.services.tabular import TableIssue
from booking_app.store import migrate


@pytest.mark.parametrize(
    ("old_home", "name", "base"),
    [
        (insurance, "RosterError", errors.ValidationError),
        (migrate, "MigrationFailed", errors.DomainError),
        (auth, "AuthError", errors.PermissionDenied),
        (db_login, "DbLoginError", errors.DomainError),
        (command_tokens, "TokenRefused", errors.PermissionDenied),
    ],
)
def test_error_is_defined_in_errors_and_reexported(old_home: object, name: str, base: type) -> None:
    cls = getattr(errors, name)
    assert cls.__module__ == "booking_app.domain.errors"
    assert getattr(old_home, name) is cls
    assert issubclass(cls, base)
    assert cls.__doc__


# Not yet moved, in files another engineer owns (the move is asked for in the issue-16 report).
NOT_YET_MOVED: set[str] = set()


def test_no_error_class_is_defined_outside_errors() -> None:
    import booking_app

    root = Path(booking_app.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "errors.py" and path.parent.name == "domain":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.lstrip()
            if stripped.startswith("class ") and any(
                f"({base}" in stripped or f", {base}" in stripped
                for base in ("DomainError", "RuleError", "ValidationError", "PermissionDenied",
                             "ConflictError", "NotFound", "Busy")
            ):
                name = stripped.removeprefix("class ").split("(")[0]
                offenders.append(f"{path.relative_to(root)}: {name}")
    assert sorted(set(offenders) - NOT_YET_MOVED) == []


def test_roster_error_keeps_its_rows_and_field() -> None:
    issue = TableIssue(3, "氏名", "氏名が空です。")
    with pytest.raises(errors.ValidationError) as caught:
        raise insurance.RosterError("名簿に誤りがあります。", [issue])
    assert caught.value.issues == (issue,)
    assert caught.value.field == "file"


def test_migration_failed_keeps_its_backup(tmp_path: Path) -> None:
    with pytest.raises(migrate.MigrationFailed) as caught:
        raise errors.MigrationFailed("更新できませんでした。", backup=tmp_path / "b.db")
    assert caught.value.backup == tmp_path / "b.db"
